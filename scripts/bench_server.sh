#!/usr/bin/env bash
# Load figures of `llmkit serve` for docs/benchmarks.md (loopback only, bounded in time):
#   1. 32 concurrent streaming clients for 60 s (ignore_eos, 128 tokens a request): errors,
#      dropped streams, aggregate tokens/s, p50/p99 time to first token and inter-token latency;
#   2. aggregate decode throughput of 1 stream vs 8 concurrent streams (30 s each) and their
#      ratio (continuous batching: >= 3x expected).
# Runs on an otherwise idle machine; prints both JSON reports and a summary.
# Usage: scripts/bench_server.sh MODEL [--slots 8] [--threads N] [--ctx N] [--clients 32]
#          [--seconds 60] [--scaling-seconds 30] [--max-tokens 128]
#        (--ctx: the server's default when absent; prompt + max-tokens must fit in it)
#        LLMKIT=path/to/llmkit overrides the binary (default build/release/llmkit).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
llmkit="${LLMKIT:-$root/build/release/llmkit}"
usage="usage: scripts/bench_server.sh MODEL [--slots N] [--threads N] [--ctx N] [--clients N]
  [--seconds S] [--scaling-seconds S] [--max-tokens M]"
[ $# -ge 1 ] || { echo "$usage" >&2; exit 2; }
model="$1"
shift
slots=8 threads="" ctx="" clients=32 seconds=60 scaling_seconds=30 max_tokens=128
while [ $# -gt 0 ]; do
  [ $# -ge 2 ] || { echo "$1 needs a value; $usage" >&2; exit 2; }
  case "$1" in
    --slots) slots="$2" ;;
    --threads) threads="$2" ;;
    --ctx) ctx="$2" ;;
    --clients) clients="$2" ;;
    --seconds) seconds="$2" ;;
    --scaling-seconds) scaling_seconds="$2" ;;
    --max-tokens) max_tokens="$2" ;;
    *) echo "unknown option $1; $usage" >&2; exit 2 ;;
  esac
  shift 2
done
[ -x "$llmkit" ] || { echo "bench_server: no llmkit binary at $llmkit (build it or set LLMKIT)" >&2; exit 1; }
[ -e "$model" ] || { echo "bench_server: model $model not found" >&2; exit 1; }

tmp="$(mktemp -d)"
server_pid=""
cleanup() {
  if [ -n "$server_pid" ]; then
    kill -TERM "$server_pid" 2>/dev/null || true
    for _ in $(seq 100); do kill -0 "$server_pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
  fi
  rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

args=(serve -m "$model" --port 0 --slots "$slots" --model-name bench --max-queue 256)
[ -n "$threads" ] && args+=(--threads "$threads")
[ -n "$ctx" ] && args+=(--ctx "$ctx")
"$llmkit" "${args[@]}" >"$tmp/server.log" 2>&1 &
server_pid=$!
url=""
for _ in $(seq 1200); do
  url="$(grep -m1 -o 'llmkit serve: listening on http://[^ ]*' "$tmp/server.log" 2>/dev/null || true)"
  [ -n "$url" ] && break
  kill -0 "$server_pid" 2>/dev/null || { echo "bench_server: server exited: $(cat "$tmp/server.log")" >&2; exit 1; }
  sleep 0.1
done
[ -n "$url" ] || { echo "bench_server: server not listening after 120 s: $(cat "$tmp/server.log")" >&2; exit 1; }
url="${url#llmkit serve: listening on }"
echo "server: $llmkit ${args[*]} -> $url" >&2

status=0
load="$root/tests/server/load.mjs"
echo "== $clients concurrent streaming clients for $seconds s, $max_tokens tokens a request" >&2
node "$load" --url "$url" --model bench --clients "$clients" --seconds "$seconds" --max-tokens "$max_tokens" \
  >"$tmp/load.json" || status=1
cat "$tmp/load.json"
echo "== aggregate throughput: 1 stream vs 8 streams, $scaling_seconds s each" >&2
node "$load" --url "$url" --model bench --seconds "$scaling_seconds" --max-tokens "$max_tokens" --scaling 1,8 \
  --min-ratio 3 >"$tmp/scaling.json" || status=1
cat "$tmp/scaling.json"
node -e '
const fs = require("fs");
const l = JSON.parse(fs.readFileSync(process.argv[1], "utf8"));
const s = JSON.parse(fs.readFileSync(process.argv[2], "utf8"));
console.log(`summary: ${l.clients} clients x ${l.seconds} s: ${l.requests} requests, ${l.errors} errors, ` +
  `${l.dropped} dropped, ${l.tokens_per_s} tokens/s, TTFT p50 ${l.ttft_ms.p50} ms p99 ${l.ttft_ms.p99} ms, ` +
  `inter-token p50 ${l.itl_ms.p50} ms p99 ${l.itl_ms.p99} ms`);
console.log(`summary: 1 stream ${s.runs[0].tokens_per_s} tokens/s, ` +
  `8 streams ${s.runs[1].tokens_per_s} tokens/s, ratio ${s.ratio}`);
' "$tmp/load.json" "$tmp/scaling.json" || status=1
exit "$status"
