#!/usr/bin/env bash
# `llmkit serve` under a malformed-request campaign (malformed.mjs: > 1,000 generated bad requests
# over raw sockets and fetch: broken JSON, wrong types, huge fields, invalid UTF-8, broken HTTP,
# slow clients): each is answered with a 4xx, the server stays up (/health, a normal chat
# request), and it still exits 0 on SIGTERM.
# Usage: serve_malformed_test.sh LLMKIT_BINARY SOURCE_DIR
source "$(dirname "$0")/../cli/common.sh"
source "$(dirname "$0")/serve_common.sh"
need_node

make_tiny_model "$tmp/model"
start_server main -m "$tmp/model" --slots 2 --ctx 256 --model-name tiny
node "$src/tests/server/malformed.mjs" --url "$main_url" --model tiny --seed 1 >"$tmp/campaign.out" 2>&1 ||
  fail "malformed-request campaign:
$(cat "$tmp/campaign.out")
server log tail: $(tail -20 "$tmp/main.log")"
grep -q "^[0-9]* passed, 0 failed$" "$tmp/campaign.out" || fail "campaign: $(cat "$tmp/campaign.out")"
rc=0
stop_server "$main_pid" || rc=$?
[ "$rc" -eq 0 ] || fail "llmkit serve exited with status $rc after SIGTERM: $(tail -5 "$tmp/main.log")"
