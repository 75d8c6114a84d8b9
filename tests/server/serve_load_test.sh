#!/usr/bin/env bash
# A short bounded load on `llmkit serve` (loopback, random tiny model): 32 concurrent streaming
# clients for 10 s, each looping requests of 32 tokens (ignore_eos); zero errors and zero
# dropped streams (load.mjs). The full 60 s run and the 1-vs-8-stream throughput figure are
# scripts/bench_server.sh's.
# Usage: serve_load_test.sh LLMKIT_BINARY SOURCE_DIR
source "$(dirname "$0")/../cli/common.sh"
source "$(dirname "$0")/serve_common.sh"
need_node

make_tiny_model "$tmp/model"
start_server main -m "$tmp/model" --slots 8 --ctx 256 --model-name tiny
node "$src/tests/server/load.mjs" --url "$main_url" --model tiny --clients 32 --seconds 10 \
  --max-tokens 32 >"$tmp/load.json" 2>"$tmp/load.err" ||
  fail "load test: $(cat "$tmp/load.json" "$tmp/load.err")
server log tail: $(tail -20 "$tmp/main.log")"
node -e '
const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
if (!(r.requests >= 32 && r.errors === 0 && r.dropped === 0 && r.tokens === r.requests * 32)) process.exit(1);
' "$tmp/load.json" || fail "load test figures: $(cat "$tmp/load.json")"
cat "$tmp/load.json"
rc=0
stop_server "$main_pid" || rc=$?
[ "$rc" -eq 0 ] || fail "llmkit serve exited with status $rc after SIGTERM"
