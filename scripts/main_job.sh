#!/usr/bin/env bash
# The main job (`make run`): pretrain a small Gemma-3-style model on the bundled State of the Union
# corpus and compare it with n-gram baselines.
#   1. train a 4096-piece BPE tokenizer on the corpus        -> runs/main/tokenizer.model
#   2. tokenize it into shards (deterministic 95/5 split)     -> runs/main/shards/
#   3. pretrain gemma3 'small' for a few minutes on 2 threads -> runs/main/train/
#      (metrics.jsonl, loss_curve.svg, summary.json, checkpoint/), then print validation
#      perplexity next to unigram and bigram baselines on the same tokens
#   4. sample a few continuations from the trained model
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

echo
echo "samples (temperature 0.8, top-k 40):"
for prompt in "The state of the Union" "Our country" "The Congress"; do
  printf '  '
  "$bin" sample -m "$work/train" -p "$prompt" -n 40 --temp 0.8 --top-k 40 --seed 1
done
echo
echo "loss curve: $work/train/loss_curve.svg   metrics: $work/train/metrics.jsonl"
