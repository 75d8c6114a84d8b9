#!/usr/bin/env bash
# The programs in examples/ (built beside the llmkit binary as example_<name>) run to the end on a
# random llama tiny model folder with a trained tokenizer, and what they leave behind is read back
# independently (the chat history through Python's sqlite3).
# Usage: examples_test.sh LLMKIT_BINARY SOURCE_DIR
source "$(dirname "$0")/common.sh"
bin="$(dirname "$llmkit")"

corpus=("$src"/data/corpora/sotu/*.txt)
"$llmkit" tokenizer train --input "${corpus[@]:0:2}" --vocab-size 512 --type bpe \
  --out "$tmp/tok.model" >"$tmp/log" 2>&1 || fail "tokenizer train: $(cat "$tmp/log")"
model="$tmp/model"
"$llmkit" init --arch llama --preset tiny --vocab 512 --out "$model" >/dev/null 2>&1 || fail "init"
cp "$tmp/tok.model" "$model/tokenizer.model"
# Room for the agent's prompt (the tools' descriptions).
sed -i 's/"max_position_embeddings": [0-9]*/"max_position_embeddings": 2048/' "$model/config.json"

"$bin/example_chain_example" "$model" "$tmp" >"$tmp/out.txt" 2>"$tmp/log" ||
  fail "chain_example: $(cat "$tmp/log") $(cat "$tmp/out.txt")"
for step in 1 2 3 4; do
  grep -q "^\[$step\] " "$tmp/out.txt" || fail "chain_example printed no step $step: $(cat "$tmp/out.txt")"
done
/usr/bin/python3 - "$tmp/chat_history.db" <<'PY' || fail "chat history database"
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
tables = [r[0] for r in db.execute("select name from sqlite_master where type = 'table'")]
rows = []
for t in tables:
    cols = [c[1] for c in db.execute(f"pragma table_info({t})")]
    if "session_id" in cols:
        rows += list(db.execute(f"select * from {t} where session_id = 'example-session'"))
assert len(rows) == 2, (tables, rows)
PY
echo ok
