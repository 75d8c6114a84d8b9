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
echo "loss curve: $work/train/loss_curve.svg   metrics: $work/train/metrics.jsonl"
echo "GGUF files (llama.cpp loads them): $work/model-f32.gguf $work/model-q8_0.gguf"
