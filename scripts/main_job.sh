#!/usr/bin/env bash
# The main job (`make run`): pretrain a small Gemma-3-style model on the bundled State of the Union
# corpus and compare it with n-gram baselines.
#   1. train a 4096-piece BPE tokenizer on the corpus        -> runs/main/tokenizer.model
#   2. tokenize it into shards (deterministic 95/5 split)     -> runs/main/shards/
#   3. pretrain gemma3 'small' for a few minutes on 2 threads -> runs/main/train/
#      (metrics.jsonl, loss_curve.svg, summary.json, checkpoint/), then print validation
#      perplexity next to unigram and bigram baselines on the same tokens
#   4. export the trained model to GGUF (F32 and Q8_0, files llama.cpp loads) and measure both
#      exports' perplexity on the validation documents with llama-perplexity's protocol
#   5. generate a few continuations from the Q8_0 export with the inference engine, and one
#      constrained to JSON valid under a JSON Schema (data/schemas/speech_summary.schema.json)
#   6. distil the trained model into a student with half its layers (initialised from every other
#      teacher layer, forward KL on the teacher's soft targets) and compare the two
#   7-10. RAG: generate questions over the corpus, train the default embedder, fine-tune the model
#      on reading comprehension, index the corpus, answer held-out questions with citations and
#      measure retrieval (dense, BM25, hybrid) and answers (with retrieval vs closed-book)
# Steps 1-2 are skipped when their outputs exist; an interrupted training run is resumed.
set -euo pipefail
cd "$(dirname "$0")/.."

bin=build/release/llmkit
work=runs/main
steps=${LLMKIT_MAIN_STEPS:-400}
mkdir -p "$work"

if [ ! -f "$work/tokenizer.model" ]; then
  "$bin" tokenizer train --input data/corpora/sotu/*.txt --vocab-size 4096 --type bpe \
    --out "$work/tokenizer.model"
fi
if [ ! -f "$work/shards/manifest.json" ]; then
  "$bin" data prepare --input data/corpora/sotu --tokenizer "$work/tokenizer.model" \
    --out "$work/shards"
fi

resume=()
if [ -f "$work/train/summary.json" ] || [ ! -d "$work/train" ]; then
  rm -rf "$work/train"
else
  resume=(--resume)  # a run that was interrupted: continue it
fi
"$bin" train --arch gemma3 --preset small --data "$work/shards" --out "$work/train" \
  --steps "$steps" --batch 8 --seq 128 --lr 3e-3 --min-lr 3e-4 --warmup 30 \
  --eval-every 100 --eval-batches 16 --save-every 200 --threads 2 "${resume[@]}"

# The validation documents (those the manifest puts in the val split) as one text file.
python3 - "$work/shards/manifest.json" "$work/val.txt" <<'PY'
import json, sys
manifest = json.load(open(sys.argv[1]))
with open(sys.argv[2], "w") as out:
    for source in manifest["sources"]:
        if source["split"] == "val":
            out.write(open(source["path"]).read())
PY
for type in f32 q8_0; do
  "$bin" export --from "$work" --to "$work/model-$type.gguf" --type "$type"
done
echo
for type in f32 q8_0; do
  printf 'validation perplexity, %s GGUF (ctx 128): ' "$type"
  "$bin" perplexity -m "$work/model-$type.gguf" -f "$work/val.txt" --ctx 128 --chunks 200 -t 2 \
    2>/dev/null
done

echo
echo "samples from the Q8_0 GGUF (temperature 0.8, top-k 40):"
for prompt in "The state of the Union" "Our country" "The Congress"; do
  printf '  '
  "$bin" generate -m "$work/model-q8_0.gguf" -p "$prompt" -n 40 --temp 0.8 --top-k 40 --seed 1 \
    -t 2 2>/dev/null
done
echo
echo "constrained generation from the Q8_0 GGUF: JSON valid under data/schemas/speech_summary.schema.json"
printf '  '
"$bin" generate -m "$work/model-q8_0.gguf" -p "The state of the Union" -n 200 --temp 0.8 \
  --top-k 40 --seed 1 -t 2 --json-schema data/schemas/speech_summary.schema.json 2>/dev/null
echo
echo "knowledge distillation: a 4-layer student of the 8-layer model (forward KL, tau 1, alpha 0.5)"
distill_steps=${LLMKIT_MAIN_DISTILL_STEPS:-40}
rm -rf "$work/distill"
"$bin" distill --teacher "$work/train" --data "$work/shards" --out "$work/distill" \
  --student-layers 4 --init-from-teacher --loss fkl --temperature 1 --alpha 0.5 \
  --steps "$distill_steps" --batch 8 --seq 128 --lr 1e-3 --min-lr 1e-4 --warmup 5 \
  --eval-every 20 --eval-batches 16 --threads 2

echo
echo "RAG over the corpus: questions, the default embedder, a reading-comprehension fine-tune"
# 7. Questions with answer spans (held-out speeches never tuned on), and a larger set of
#    question/passage pairs and reading-comprehension conversations from the other speeches.
"$bin" make-qa --corpus data/corpora/sotu --out "$work/qa"
"$bin" make-qa --corpus data/corpora/sotu --out "$work/qa_train" --max-per-document 40
# 8. The embedded default embedder: a small BERT-style encoder trained contrastively (in-batch
#    negatives) on the pairs, written as a llama.cpp "bert" GGUF that `rag index` finds by itself.
embed_steps=${LLMKIT_MAIN_EMBED_STEPS:-800}
rm -rf "$work/embedder"
"$bin" train-embedder --pairs "$work/qa_train/pairs.jsonl" --tokenizer "$work/tokenizer.model" \
  --out "$work/embedder" --steps "$embed_steps" --batch 64 --threads 2
# 9. Supervised fine-tuning of the demo model on the conversations (loss on the answers only).
sft_steps=${LLMKIT_MAIN_SFT_STEPS:-120}
rm -rf "$work/sft"
"$bin" finetune --base "$work/train" --data "$work/qa_train/sft.jsonl" --out "$work/sft" \
  --steps "$sft_steps" --batch 4 --seq 512 --lr 1e-3 --min-lr 1e-3 --warmup 10 --threads 2
"$bin" export --from "$work/sft" --to "$work/model-sft-q8_0.gguf" --type q8_0
# 10. Index the corpus with the default embedder (only what changed since the last run), answer
#     held-out questions with citations, and measure retrieval and answers on held-out questions.
"$bin" rag index data/corpora/sotu --db "$work/rag" --chunk-size 300 --overlap 60 -t 2
echo
python3 - "$work/qa/qa_heldout.jsonl" >"$work/questions.txt" <<'PY'
import json, sys
for line in list(open(sys.argv[1]))[:3]:
    print(json.loads(line)["question"])
PY
while IFS= read -r question; do
  echo "Q: $question"
  "$bin" rag ask --db "$work/rag" -m "$work/model-sft-q8_0.gguf" "$question" -t 2 2>/dev/null
  echo
done <"$work/questions.txt"
"$bin" rag eval --db "$work/rag" --qa "$work/qa/qa_heldout.jsonl" --limit "${LLMKIT_MAIN_EVAL:-200}" \
  -m "$work/model-sft-q8_0.gguf" -t 2 --report "$work/rag_eval.json" 2>/dev/null
echo
echo "loss curve: $work/train/loss_curve.svg   metrics: $work/train/metrics.jsonl"
echo "GGUF files (llama.cpp loads them): $work/model-f32.gguf $work/model-q8_0.gguf"
