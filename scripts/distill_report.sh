#!/usr/bin/env bash
# The distillation experiment of docs/distillation.md (`make distill-report`):
#   1. tokenizer + shards of the bundled corpus (shared with `make run`; skipped when present)
#   2. teacher: gemma3 `base` pretrained on the corpus              -> runs/distill/teacher
#   3. students with the teacher's width and 4 of its 10 layers (43 % of its parameters), all with
#      the same data, steps and seed:
#        scratch  next-token loss only (--alpha 0)
#        fkl      forward KL on the live teacher's soft targets
#        rkl      reverse KL (MiniLLM)
#        topk     forward KL from a precomputed top-K teacher cache (the teacher is not run)
#        init     forward KL, student initialised from the teacher's layers 0, 2, 5, 7
#   4. decode speed of each model (llmkit bench, tg64), the validation curves (SVG) and the table
#      (runs/distill/report.md).
# Every step is skipped when its result exists and resumed when it was interrupted; sizes can be
# changed through the environment (TEACHER_STEPS, STUDENT_STEPS, STUDENT_LAYERS, TOPK).
set -euo pipefail
cd "$(dirname "$0")/.."

bin=build/release/llmkit
main=runs/main
work=runs/distill
teacher_steps=${TEACHER_STEPS:-300}
student_steps=${STUDENT_STEPS:-120}
student_layers=${STUDENT_LAYERS:-4}
topk=${TOPK:-32}
mkdir -p "$work"

if [ ! -f "$main/tokenizer.model" ]; then
  mkdir -p "$main"
  "$bin" tokenizer train --input data/corpora/sotu/*.txt --vocab-size 4096 --type bpe \
    --out "$main/tokenizer.model"
fi
if [ ! -f "$main/shards/manifest.json" ]; then
  "$bin" data prepare --input data/corpora/sotu --tokenizer "$main/tokenizer.model" \
    --out "$main/shards"
fi
data=$main/shards
common=(--data "$data" --batch 8 --seq 128 --seed 1 --threads 2 --eval-batches 16)

# Runs a training command unless its run folder is finished; continues an interrupted one.
run_step() {
  local out=$1
  shift
  if [ -f "$out/summary.json" ]; then
    echo "== $out: done (delete it to run again)"
    return
  fi
  local resume=()
  if [ -d "$out/checkpoint" ] || [ -d "$out/checkpoint.old" ]; then resume=(--resume); fi
  echo "== $out"
  "$bin" "$@" --out "$out" "${resume[@]}"
}

run_step "$work/teacher" train --arch gemma3 --preset base "${common[@]}" \
  --steps "$teacher_steps" --lr 2e-3 --min-lr 2e-4 --warmup 20 --eval-every 100 --save-every 100

student=("${common[@]}" --teacher "$work/teacher" --student-layers "$student_layers"
  --steps "$student_steps" --lr 3e-3 --min-lr 3e-4 --warmup 10 --eval-every 20 --save-every 60)
run_step "$work/scratch" distill "${student[@]}" --alpha 0
run_step "$work/fkl" distill "${student[@]}" --loss fkl --alpha 0.5 --temperature 1
run_step "$work/rkl" distill "${student[@]}" --loss rkl --alpha 0.5 --temperature 1
run_step "$work/topk" distill "${student[@]}" --loss fkl --alpha 0.5 --temperature 1 \
  --cache-topk "$topk" --cache "$work/teacher_top$topk.cache"
run_step "$work/init" distill "${student[@]}" --loss fkl --alpha 0.5 --temperature 1 \
  --init-from-teacher

echo "== decode speed (llmkit bench -n 64, 2 threads)"
for run in teacher scratch fkl rkl topk init; do
  "$bin" bench -m "$work/$run" -p 0 -n 64 -r 3 -t 2 --json >"$work/$run/bench.jsonl"
done
"$bin" plot --metric val_loss --out "$work/val_curves.svg" \
  --title "validation loss: students of a gemma3 base teacher" \
  --y-label "cross-entropy (nats/token)" \
  "$work/scratch=scratch" "$work/fkl=forward KL" "$work/rkl=reverse KL" \
  "$work/topk=top-$topk cache" "$work/init=forward KL, init from teacher"

python3 - "$work" "$topk" <<'PY'
import json, sys
work, topk = sys.argv[1], sys.argv[2]
def tg(run):
    for line in open(f"{work}/{run}/bench.jsonl"):
        j = json.loads(line)
        if j.get("n_gen", 0) > 0:
            return j["avg_ts"]
    return float("nan")
teacher_summary = json.load(open(f"{work}/teacher/summary.json"))
report = json.load(open(f"{work}/fkl/distill.json"))
t = report["teacher"]
rows = [("teacher (gemma3 base)", t["parameters"], t["val_ppl"], t["val_acc"], tg("teacher"), "")]
names = {"scratch": "student, from scratch", "fkl": "student, forward KL",
         "rkl": "student, reverse KL", "topk": f"student, forward KL from top-{topk} cache",
         "init": "student, forward KL + init from teacher"}
for run, name in names.items():
    d = json.load(open(f"{work}/{run}/distill.json"))
    s = d["student"]
    rows.append((name, s["parameters"], s["val_ppl"], s["val_acc"], tg(run),
                 f'{s.get("tokens_per_s_training", 0):.0f}'))
lines = ["| model | parameters | val perplexity | next-token accuracy | % of teacher's accuracy "
         "| decode tok/s | train tok/s |", "|---|---:|---:|---:|---:|---:|---:|"]
for name, params, ppl, acc, speed, train_tps in rows:
    lines.append(f"| {name} | {params/1e6:.1f}M ({100*params/t['parameters']:.0f}%) | {ppl:.1f} "
                 f"| {100*acc:.2f}% | {100*acc/t['val_acc']:.1f}% | {speed:.0f} | {train_tps} |")
cache = json.load(open(f"{work}/topk/distill.json"))["cache"]
lines.append("")
lines.append(f"top-{topk} cache: {cache['bytes']/1e6:.1f} MB for {cache['batches']} batches, "
             f"built in {cache['build_seconds']:.0f} s; teacher pretrained "
             f"{teacher_summary['steps']} steps in {teacher_summary['seconds']:.0f} s")
open(f"{work}/report.md", "w").write("\n".join(lines) + "\n")
print("\n".join(lines))
PY
echo "validation curves: $work/val_curves.svg   table: $work/report.md"
