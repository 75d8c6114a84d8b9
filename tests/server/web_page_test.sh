#!/usr/bin/env bash
# The chat page end to end: `llmkit serve` on a random tiny gemma3 model (port 0, read from its
# "listening on" line), driven in headless Chromium (Debian's chromium) by tests/server/web_page.mjs
# with playwright-core (data/npm/, scripts/setup.sh): streaming, Stop, reload keeping the
# conversation, an error shown in the chat, no request outside the server. A second server with
# --rag-db (an index built with the same model as embedder) shows the RAG toggle and the
# answer's sources.
# Usage: web_page_test.sh LLMKIT_BINARY SOURCE_DIR
source "$(dirname "$0")/../cli/common.sh"
chromium="${LLMKIT_CHROMIUM:-/usr/bin/chromium}"
[ -x "$chromium" ] || fail "no Chromium at $chromium; run scripts/setup.sh (Debian package chromium)"
[ -d "$src/data/npm/node_modules/playwright-core" ] ||
  fail "playwright-core is not installed in data/npm/; run scripts/setup.sh"

server_pid=""
stop_server() {
  if [ -n "$server_pid" ]; then
    kill "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
    server_pid=""
  fi
}
trap 'stop_server; rm -rf "$tmp"' EXIT

corpus=("$src"/data/corpora/sotu/*.txt)
"$llmkit" tokenizer train --input "${corpus[@]:0:2}" --vocab-size 512 --type bpe \
  --out "$tmp/tok.model" >"$tmp/log" 2>&1 || fail "tokenizer train: $(cat "$tmp/log")"
model="$tmp/model"
"$llmkit" init --arch gemma3 --preset tiny --vocab 512 --out "$model" >/dev/null 2>&1 || fail "init"
cp "$tmp/tok.model" "$model/tokenizer.model"
# The tiny preset's 256 positions would end a stream in a fraction of a second; RoPE needs no
# learned positions, so the same weights take a 16k context and a stream of 12k tokens lasts
# seconds (long enough to see it grow and press Stop).
sed -i 's/"max_position_embeddings": [0-9]*,/"max_position_embeddings": 16384,/' "$model/config.json"
grep -q '"max_position_embeddings": 16384,' "$model/config.json" || fail "config.json: no max_position_embeddings"

# start_server LOG ARGS...: starts `llmkit serve` in the background, sets $server_pid and $url.
start_server() {
  local log="$1"
  shift
  "$llmkit" serve -m "$model" --port 0 --ctx 16384 --slots 2 "$@" 2>"$log" &
  server_pid=$!
  local port=""
  for _ in $(seq 600); do
    port="$(sed -n 's|^llmkit serve: listening on http://127\.0\.0\.1:\([0-9][0-9]*\)$|\1|p' "$log")"
    [ -n "$port" ] && break
    kill -0 "$server_pid" 2>/dev/null || fail "llmkit serve exited: $(cat "$log")"
    sleep 0.1
  done
  [ -n "$port" ] || fail "llmkit serve printed no 'listening on' line in 60 s: $(cat "$log")"
  url="http://127.0.0.1:$port"
}

start_server "$tmp/serve.log"
node "$src/tests/server/web_page.mjs" --url "$url" --chromium "$chromium" >"$tmp/out" 2>&1 ||
  fail "web page checks: $(cat "$tmp/out")
server log: $(tail -20 "$tmp/serve.log")"
cat "$tmp/out"
stop_server

# With --rag-db: the toggle is shown and the answer lists its sources.
mkdir "$tmp/docs"
for f in "${corpus[@]:0:2}"; do head -c 3000 "$f" >"$tmp/docs/$(basename "$f")"; done
"$llmkit" rag index "$tmp/docs" --db "$tmp/db" --embed-model "$model" -q >"$tmp/log" 2>&1 ||
  fail "rag index: $(cat "$tmp/log")"
start_server "$tmp/serve_rag.log" --rag-db "$tmp/db"
node "$src/tests/server/web_page.mjs" --url "$url" --chromium "$chromium" --rag >"$tmp/out" 2>&1 ||
  fail "web page checks with --rag-db: $(cat "$tmp/out")
server log: $(tail -20 "$tmp/serve_rag.log")"
cat "$tmp/out"
echo "web_page_test: ok"
