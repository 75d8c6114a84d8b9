#!/usr/bin/env bash
# `llmkit serve` with real clients over loopback, on a random tiny model:
#   - the official `openai` npm SDK (openai_sdk.mjs, openai_sdk_structured.mjs,
#     openai_sdk_errors.mjs): chat and completions whole and streamed, n, seeds, stop strings,
#     max_tokens, logprobs, embeddings, tool calls, JSON-schema output, errors (404, 400 with
#     param, context overflow, 401 and 429 on a second server started with --api-key --slots 1
#     --max-queue 1), cancellation of a stream whose client disconnects;
#   - LangChain JS (langchain.mjs): prompt | ChatOpenAI | parser chains, structured output, tools;
#   - SIGTERM while a stream is in flight: the stream still ends with data: [DONE], exit status 0.
# Usage: serve_sdk_test.sh LLMKIT_BINARY SOURCE_DIR
source "$(dirname "$0")/../cli/common.sh"
source "$(dirname "$0")/serve_common.sh"
need_node
here="$src/tests/server"

make_tiny_model "$tmp/model" 2048
start_server main -m "$tmp/model" --slots 4 --ctx 2048 --model-name tiny
start_server auth -m "$tmp/model" --slots 1 --max-queue 1 --ctx 2048 --model-name tiny --api-key sekrit

# run_checks NAME SCRIPT ARGS...: the script's checks all pass.
run_checks() {
  local name="$1" script="$2"
  shift 2
  node "$here/$script" "$@" >"$tmp/$name.out" 2>&1 || fail "$script:
$(cat "$tmp/$name.out")"
  grep -q "^[1-9][0-9]* passed, 0 failed$" "$tmp/$name.out" || fail "$script: $(cat "$tmp/$name.out")"
}
run_checks sdk openai_sdk.mjs --url "$main_url" --model tiny
run_checks structured openai_sdk_structured.mjs --url "$main_url" --model tiny
run_checks errors openai_sdk_errors.mjs --url "$main_url" --model tiny --auth-url "$auth_url" --api-key sekrit
run_checks langchain langchain.mjs --url "$main_url" --model tiny

# Graceful shutdown: a stream in flight finishes, then the server exits 0.
curl -sN --max-time 60 "$main_url/v1/chat/completions" -H 'content-type: application/json' \
  -d '{"model": "tiny", "messages": [{"role": "user", "content": "Go on."}], "max_tokens": 1500,
       "ignore_eos": true, "stream": true}' >"$tmp/stream.out" 2>&1 &
curl_pid=$!
for _ in $(seq 100); do
  grep -q '"content"' "$tmp/stream.out" 2>/dev/null && break
  sleep 0.05
done
rc=0
stop_server "$main_pid" || rc=$?
[ "$rc" -eq 0 ] || fail "llmkit serve exited with status $rc after SIGTERM: $(tail -5 "$tmp/main.log")"
wait "$curl_pid" || fail "the stream in flight at SIGTERM failed: $(tail -c 300 "$tmp/stream.out")"
tail -c 100 "$tmp/stream.out" | grep -q 'data: \[DONE\]' ||
  fail "the stream in flight at SIGTERM did not end with data: [DONE]: $(tail -c 300 "$tmp/stream.out")"
rc=0
stop_server "$auth_pid" || rc=$?
[ "$rc" -eq 0 ] || fail "llmkit serve --api-key exited with status $rc after SIGTERM"
