#!/usr/bin/env bash
# Side-by-side inference speed: `llmkit bench` and llama.cpp's `llama-bench` on the same GGUF files,
# same threads, same pp/tg sizes, run one after the other (nothing else should run meanwhile).
#
#   bench/infer_vs_llamacpp.sh LLAMA_BIN_DIR MODEL.gguf [MODEL.gguf ...]
#
# LLAMA_BIN_DIR holds a llama-bench you built yourself (llama.cpp is not part of llmkit). Env:
# THREADS (2), PP (512), TG (128), REPS (3). Prints one markdown row per model and test with both
# tokens/s figures and their ratio llmkit / llama.cpp.
set -euo pipefail
llama_bin=${1:?usage: $0 LLAMA_BIN_DIR MODEL.gguf...}
shift
threads=${THREADS:-2}
pp=${PP:-512}
tg=${TG:-128}
reps=${REPS:-3}
llmkit=${LLMKIT:-$(dirname "$0")/../build/release/llmkit}
export OPENBLAS_CORETYPE=${OPENBLAS_CORETYPE:-Haswell}

rss_file=$(mktemp)
trap 'rm -f "$rss_file"' EXIT
rss_rows=()
echo "| model | test | llmkit t/s | llama.cpp t/s | llmkit / llama.cpp |"
echo "| --- | --- | ---: | ---: | ---: |"
for model in "$@"; do
  ours=$(/usr/bin/time -f "%M" -o "$rss_file" \
    "$llmkit" bench -m "$model" -p "$pp" -n "$tg" -t "$threads" -r "$reps" --json 2>/dev/null)
  ours_rss=$(tail -1 "$rss_file")
  theirs=$(/usr/bin/time -f "%M" -o "$rss_file" \
    "$llama_bin/llama-bench" -m "$model" -p "$pp" -n "$tg" -t "$threads" -r "$reps" -o jsonl 2>/dev/null)
  theirs_rss=$(tail -1 "$rss_file")
  rss_rows+=("| $(basename "$model") | $((ours_rss / 1024)) | $((theirs_rss / 1024)) | $(python3 -c "print(f'{$ours_rss / $theirs_rss:.2f}')") |")
  python3 - "$model" "$ours" "$theirs" <<'PY'
import json, os, sys
model, ours, theirs = sys.argv[1], sys.argv[2], sys.argv[3]
def rows(text):
    out = {}
    for line in text.splitlines():
        line = line.strip()
        if line.startswith("{"):
            j = json.loads(line)
            test = f"pp{j['n_prompt']}" if j["n_prompt"] > 0 else f"tg{j['n_gen']}"
            out[test] = (j["avg_ts"], j["stddev_ts"])
    return out
a, b = rows(ours), rows(theirs)
for test in a:
    if test in b:
        print(f"| {os.path.basename(model)} | {test} | {a[test][0]:.2f} ± {a[test][1]:.2f} | "
              f"{b[test][0]:.2f} ± {b[test][1]:.2f} | {a[test][0] / b[test][0]:.2f} |")
PY
done
echo
echo "| model | llmkit max RSS MiB | llama.cpp max RSS MiB | llmkit / llama.cpp |"
echo "| --- | ---: | ---: | ---: |"
printf '%s\n' "${rss_rows[@]}"
