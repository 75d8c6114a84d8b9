#!/usr/bin/env bash
# `llmkit distill` end to end on a small slice of the bundled corpus: a tiny teacher trained here
# (run folder and Q8_0 GGUF) teaches students live, through a top-K cache that a second run reuses
# without the teacher, from the teacher's layers, and on a corpus it samples; `llmkit plot` draws
# their curves. Bad input (missing teacher, another vocabulary, a cache of another teacher, bad
# options) fails with messages naming the problem.
# Usage: distill_test.sh LLMKIT_BINARY SOURCE_DIR
source "$(dirname "$0")/common.sh"

mkdir -p "$tmp/corpus"
cp "$src"/data/corpora/sotu/18[0-2]*.txt "$tmp/corpus/"
"$llmkit" tokenizer train --input "$tmp"/corpus/*.txt --vocab-size 400 --out "$tmp/tok.model" \
  >/dev/null 2>&1
"$llmkit" data prepare --input "$tmp/corpus" --tokenizer "$tmp/tok.model" --out "$tmp/shards" \
  --val-fraction 0.2 --quiet >/dev/null
common=(--batch 2 --seq 32 --warmup 1 --eval-every 0 --eval-batches 2 --threads 1 --no-progress)
train_args=(--data "$tmp/shards" "${common[@]}")
"$llmkit" train --arch gemma3 --preset tiny --steps 6 "${train_args[@]}" --out "$tmp/teacher" \
  >/dev/null
"$llmkit" export --from "$tmp/teacher" --to "$tmp/teacher-q8_0.gguf" --type q8_0 >/dev/null 2>&1

# Live teacher (run folder), student initialised from its layers.
"$llmkit" distill --teacher "$tmp/teacher" --student-layers 3 --init-from-teacher --steps 3 \
  "${train_args[@]}" --out "$tmp/live" >"$tmp/live.txt" 2>"$tmp/live.err"
grep -q "initialised from the teacher's layers 0,2,4" "$tmp/live.err" || fail "no layer map: $(cat "$tmp/live.err")"
grep -q "student" "$tmp/live.txt" || fail "no result table: $(cat "$tmp/live.txt")"
python3 - "$tmp/live" <<'PY' || fail "live run: distill.json or metrics.jsonl incomplete"
import json, sys
d = json.load(open(sys.argv[1] + "/distill.json"))
assert d["student"]["parameters"] < d["teacher"]["parameters"]
assert 0 < d["accuracy_of_teacher"]
lines = [json.loads(l) for l in open(sys.argv[1] + "/metrics.jsonl")]
assert len(lines) == 3 and all("kd" in l and "ce" in l for l in lines)
PY
echo "ok: live teacher, student from the teacher's layers"

# Quantized GGUF teacher through a top-K cache; a second student reuses the cache.
"$llmkit" distill --teacher "$tmp/teacher-q8_0.gguf" --student-layers 2 --steps 3 \
  --cache-topk 8 --cache "$tmp/top8.cache" "${train_args[@]}" --out "$tmp/cached1" \
  >/dev/null 2>"$tmp/cached1.err"
[ -f "$tmp/top8.cache" ] || fail "no cache written: $(cat "$tmp/cached1.err")"
grep -q "3 built" "$tmp/cached1.err" || fail "cache not built: $(cat "$tmp/cached1.err")"
before=$(stat -c %Y.%s "$tmp/top8.cache")
"$llmkit" distill --teacher "$tmp/teacher-q8_0.gguf" --student-layers 2 --steps 3 \
  --cache-topk 8 --cache "$tmp/top8.cache" "${train_args[@]}" --out "$tmp/cached2" \
  >/dev/null 2>"$tmp/cached2.err"
grep -q "built" "$tmp/cached2.err" && fail "the cache was rebuilt: $(cat "$tmp/cached2.err")"
[ "$(stat -c %Y.%s "$tmp/top8.cache")" = "$before" ] || fail "the cache file changed"
cmp <(python3 -c 'import json,sys;print([l["loss"] for l in map(json.loads,open(sys.argv[1]))])' "$tmp/cached1/metrics.jsonl") \
    <(python3 -c 'import json,sys;print([l["loss"] for l in map(json.loads,open(sys.argv[1]))])' "$tmp/cached2/metrics.jsonl") \
  || fail "two students from the same cache trained differently"
echo "ok: Q8_0 GGUF teacher, top-K cache built once and reused"

# Sequence-level KD: the teacher samples a corpus, the student trains on it.
"$llmkit" distill --teacher "$tmp/teacher" --student-layers 2 --steps 2 --generate 6 \
  --generate-length 33 "${train_args[@]}" --out "$tmp/seq" >/dev/null 2>&1 \
  || fail "--generate failed"
[ -f "$tmp/seq/teacher_corpus/manifest.json" ] || fail "no teacher corpus"
[ -f "$tmp/seq/distill.json" ] || fail "no distill.json after --generate"
echo "ok: sequence-level distillation"

"$llmkit" plot --metric loss --out "$tmp/curves.svg" "$tmp/live=live" "$tmp/cached1=cached"
grep -q "<svg" "$tmp/curves.svg" && grep -q "cached" "$tmp/curves.svg" || fail "plot"
echo "ok: plot"

# expect_error PATTERN ARGS...: llmkit ARGS fails and says PATTERN.
expect_error() {
  local pattern=$1
  shift
  if "$llmkit" "$@" >"$tmp/err.out" 2>&1; then fail "expected failure: $*"; fi
  grep -q -- "$pattern" "$tmp/err.out" || fail "'$pattern' not in: $(cat "$tmp/err.out")"
}
expect_error "no-such-teacher" distill --teacher "$tmp/no-such-teacher" --student-layers 2 \
  "${train_args[@]}" --out "$tmp/e1"
"$llmkit" tokenizer train --input "$tmp"/corpus/*.txt --vocab-size 450 --out "$tmp/tok450.model" \
  >/dev/null 2>&1
"$llmkit" data prepare --input "$tmp/corpus" --tokenizer "$tmp/tok450.model" \
  --out "$tmp/shards450" --val-fraction 0.2 --quiet >/dev/null
expect_error "share the vocabulary" distill --teacher "$tmp/teacher" --student-layers 2 \
  --steps 2 "${common[@]}" --data "$tmp/shards450" --out "$tmp/e2"
"$llmkit" train --arch gemma3 --preset tiny --steps 2 --seed 9 "${train_args[@]}" \
  --out "$tmp/teacher2" >/dev/null
expect_error "another teacher" distill --teacher "$tmp/teacher2" --student-layers 2 --steps 3 \
  --cache-topk 8 --cache "$tmp/top8.cache" "${train_args[@]}" --out "$tmp/e3"
expect_error "fkl" distill --teacher "$tmp/teacher" --student-layers 2 --loss kl \
  "${train_args[@]}" --out "$tmp/e4"
expect_error "alpha" distill --teacher "$tmp/teacher" --student-layers 2 --alpha 1.5 \
  "${train_args[@]}" --out "$tmp/e5"
expect_error "n_embd" distill --teacher "$tmp/teacher" --arch gemma3 --preset small \
  --init-from-teacher --steps 2 "${train_args[@]}" --out "$tmp/e6"
echo "ok: bad input refused with clear errors"
