# Sourced by tests/server/serve_*_test.sh after tests/cli/common.sh ($llmkit, $src, $tmp, fail):
#   make_tiny_model DIR [CTX]     a random gemma3 tiny model (BPE tokenizer of 512 pieces trained
#                                 on two State of the Union texts) in folder DIR; CTX: its context
#                                 length (config.json max_position_embeddings; the preset's 256
#                                 is too short for prompts that list tools);
#   start_server NAME ARGS...     runs `$llmkit serve ARGS --port 0` in the background, waits for
#                                 its "llmkit serve: listening on http://HOST:PORT" line (60 s at
#                                 most) and sets ${NAME}_url and ${NAME}_pid; log in $tmp/NAME.log;
#   stop_server PID               SIGTERM, then waits (20 s at most, then SIGKILL and fails);
#                                 returns the server's exit status;
#   need_node                     fails unless node and the npm packages of
#                                 scripts/install_test_oracles.sh are there.
# Every server started here is killed on exit (the EXIT trap also removes $tmp).
server_pids=()

stop_all_servers() {
  local pid
  for pid in "${server_pids[@]}"; do
    kill -TERM "$pid" 2>/dev/null || true
  done
  for pid in "${server_pids[@]}"; do
    for _ in $(seq 100); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.1
    done
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  server_pids=()
}
trap 'stop_all_servers; rm -rf "$tmp"' EXIT
trap 'exit 130' INT TERM

need_node() {
  command -v node >/dev/null 2>&1 || fail "node not found (install Node.js: scripts/setup.sh)"
  local p
  for p in openai @langchain/openai @langchain/core ajv zod; do
    [ -f "$src/data/npm/node_modules/$p/package.json" ] ||
      fail "npm package $p missing from data/npm (run scripts/install_test_oracles.sh)"
  done
}

make_tiny_model() {
  local dir="$1" corpus=("$src"/data/corpora/sotu/*.txt)
  "$llmkit" tokenizer train --input "${corpus[@]:0:2}" --vocab-size 512 --type bpe \
    --out "$tmp/tok.model" >"$tmp/tok.log" 2>&1 || fail "tokenizer train: $(cat "$tmp/tok.log")"
  "$llmkit" init --arch gemma3 --preset tiny --vocab 512 --out "$dir" >"$tmp/init.log" 2>&1 ||
    fail "init: $(cat "$tmp/init.log")"
  cp "$tmp/tok.model" "$dir/tokenizer.model"
  if [ -n "${2:-}" ]; then
    node -e '
const fs = require("fs");
const config = JSON.parse(fs.readFileSync(process.argv[1], "utf8"));
config.max_position_embeddings = Number(process.argv[2]);
fs.writeFileSync(process.argv[1], JSON.stringify(config, null, 2));' "$dir/config.json" "$2" ||
      fail "could not set the context length in $dir/config.json"
  fi
}

start_server() {
  local name="$1"
  shift
  local log="$tmp/$name.log"
  "$llmkit" serve "$@" --port 0 >"$log" 2>&1 &
  local pid=$!
  server_pids+=("$pid")
  local line="" i
  for i in $(seq 600); do
    line="$(grep -m1 -o 'llmkit serve: listening on http://[^ ]*' "$log" 2>/dev/null || true)"
    [ -n "$line" ] && break
    kill -0 "$pid" 2>/dev/null || fail "llmkit serve $* exited before listening: $(cat "$log")"
    sleep 0.1
  done
  [ -n "$line" ] || fail "llmkit serve $* printed no 'listening on' line in 60 s: $(cat "$log")"
  printf -v "${name}_url" '%s' "${line#llmkit serve: listening on }"
  printf -v "${name}_pid" '%s' "$pid"
}

stop_server() {
  local pid="$1" rc=0 i
  kill -TERM "$pid" 2>/dev/null || fail "server $pid is not running"
  for i in $(seq 200); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  if kill -0 "$pid" 2>/dev/null; then
    kill -KILL "$pid" 2>/dev/null || true
    fail "server $pid still running 20 s after SIGTERM"
  fi
  wait "$pid" || rc=$?
  local kept=() p
  for p in "${server_pids[@]}"; do
    [ "$p" = "$pid" ] || kept+=("$p")
  done
  server_pids=("${kept[@]}")
  return "$rc"
}
