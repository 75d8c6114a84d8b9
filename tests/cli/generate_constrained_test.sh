#!/usr/bin/env bash
# `llmkit generate --chat / --grammar / --json-schema / --regex` end to end on a random gemma3 tiny
# model folder with a trained tokenizer and its own chat_template.jinja:
#   - --chat renders the folder's template: the prompt holds exactly the tokens of the text
#     `llmkit template render -m` prints, tokenized with special tokens parsed and one BOS;
#   - sampled output (temperature 1) under a JSON schema is JSON valid under it (Python's json
#     and jsonschema), under a regex matches it in full (Python's re), under a GBNF grammar is a
#     sentence of it (checked by Python's re on an equivalent regex);
#   - bad grammars, schemas and option mixes are refused with messages that name the problem.
# Usage: generate_constrained_test.sh LLMKIT_BINARY SOURCE_DIR
source "$(dirname "$0")/common.sh"
py=/usr/bin/python3

corpus=("$src"/data/corpora/sotu/*.txt)
"$llmkit" tokenizer train --input "${corpus[@]:0:2}" --vocab-size 512 --type bpe \
  --out "$tmp/tok.model" >"$tmp/log" 2>&1 || fail "tokenizer train: $(cat "$tmp/log")"
model="$tmp/model"
"$llmkit" init --arch gemma3 --preset tiny --vocab 512 --out "$model" >/dev/null 2>&1 || fail "init"
cp "$tmp/tok.model" "$model/tokenizer.model"
cat >"$model/chat_template.jinja" <<'T'
{{ bos_token }}{% for m in messages %}[{{ m['role'] | upper }}] {{ m['content'] | trim }}
{% endfor %}{% if add_generation_prompt %}[ASSISTANT] {% endif %}
T
echo '[{"role": "system", "content": "Be brief."}, {"role": "user", "content": " Hello there "}]' \
  >"$tmp/messages.json"

# --chat uses the folder's template with one BOS.
"$llmkit" template render -m "$model" --messages "$tmp/messages.json" --add-generation-prompt \
  >"$tmp/rendered.txt" 2>"$tmp/log" || fail "template render -m: $(cat "$tmp/log")"
grep -q '^\[USER\] Hello there$' "$tmp/rendered.txt" || fail "rendered text: $(cat "$tmp/rendered.txt")"
expected=$("$llmkit" tokenize --tokenizer "$tmp/tok.model" -f "$tmp/rendered.txt" --ids \
  --parse-special | wc -w)
"$llmkit" generate -m "$model" --chat --system "Be brief." -p " Hello there " -n 3 --temp 0 \
  >/dev/null 2>"$tmp/log" || fail "generate --chat: $(cat "$tmp/log")"
grep -q "prefill: $expected tokens" "$tmp/log" ||
  fail "generate --chat prefilled $(grep -o 'prefill: [0-9]* tokens' "$tmp/log"), the rendered template has $expected tokens"

# chat uses the same template for every turn (the banner names it) and answers each line.
printf 'Hello there\nAnd again\n' | "$llmkit" chat -m "$model" -n 4 --temp 0 >"$tmp/chat.txt" \
  2>"$tmp/log" || fail "chat: $(cat "$tmp/log")"
grep -q "format template of $model" "$tmp/log" || fail "chat banner: $(head -3 "$tmp/log")"
[ "$(wc -l <"$tmp/chat.txt")" -ge 2 ] || fail "chat printed fewer than two answers: $(cat "$tmp/chat.txt")"

# The template travels into an exported GGUF (tokenizer.chat_template) and renders the same.
"$llmkit" export --from "$model" --to "$tmp/model.gguf" --type f32 2>/dev/null || fail "export"
"$llmkit" template render -m "$tmp/model.gguf" --messages "$tmp/messages.json" \
  --add-generation-prompt >"$tmp/rendered_gguf.txt" 2>"$tmp/log" ||
  fail "template render -m GGUF: $(cat "$tmp/log")"
cmp -s "$tmp/rendered.txt" "$tmp/rendered_gguf.txt" || fail "the GGUF's template renders differently"

# JSON schema: every sampled answer validates.
cat >"$tmp/schema.json" <<'S'
{"type": "object",
 "properties": {"city": {"type": "string", "maxLength": 10},
                "rank": {"type": "integer", "minimum": 1, "maximum": 99},
                "kind": {"enum": ["town", "city"]}},
 "required": ["city", "kind"]}
S
cat >"$tmp/check_json.py" <<'P'
import json, sys, jsonschema
schema = json.load(open(sys.argv[1]))
text = open(sys.argv[2], encoding="utf-8").read()
assert text.endswith("\n"), repr(text)
jsonschema.validate(json.loads(text[:-1]), schema)
P
for seed in 1 2 3 4 5; do
  "$llmkit" generate -m "$model" --chat -p "A city as JSON" --json-schema "$tmp/schema.json" \
    --temp 1 --top-k 0 --top-p 1 --min-p 0 --seed "$seed" -n 600 >"$tmp/out.txt" 2>"$tmp/log" ||
    fail "generate --json-schema: $(cat "$tmp/log")"
  grep -q "stop: grammar\|stop: eos" "$tmp/log" || fail "json-schema run did not finish: $(cat "$tmp/log")"
  $py "$tmp/check_json.py" "$tmp/schema.json" "$tmp/out.txt" 2>"$tmp/pylog" ||
    fail "seed $seed: output is not valid under the schema: $(cat "$tmp/out.txt") $(tail -1 "$tmp/pylog")"
done

# Regex and GBNF grammar: outputs match, checked by Python's re.
check_match() {  # REGEX FILE
  $py -c 'import re, sys; t = open(sys.argv[2], encoding="utf-8").read(); assert t.endswith("\n"); sys.exit(0 if re.fullmatch(sys.argv[1], t[:-1]) else 1)' "$1" "$2"
}
for seed in 1 2 3; do
  "$llmkit" generate -m "$model" --chat -p "A code" --regex '[0-9]{3}-[a-z]{2,4}' --temp 1 \
    --top-k 0 --top-p 1 --min-p 0 --seed "$seed" -n 40 >"$tmp/out.txt" 2>"$tmp/log" ||
    fail "generate --regex: $(cat "$tmp/log")"
  check_match '[0-9]{3}-[a-z]{2,4}' "$tmp/out.txt" || fail "regex output: $(cat "$tmp/out.txt")"
done
cat >"$tmp/list.gbnf" <<'G'
# one to three items, comma separated
root ::= item ("," " " item){0,2}
item ::= [a-e]+ | "(" [0-9] ")"
G
for seed in 1 2 3; do
  "$llmkit" generate -m "$model" --chat -p "A list" --grammar "$tmp/list.gbnf" --temp 1 \
    --top-k 0 --top-p 1 --min-p 0 --seed "$seed" -n 60 >"$tmp/out.txt" 2>"$tmp/log" ||
    fail "generate --grammar: $(cat "$tmp/log")"
  if grep -q "stop: max tokens" "$tmp/log"; then
    check_match '([a-e]+|\([0-9]\))(, ([a-e]+|\([0-9]\)))*,? ?[a-e]*\(?[0-9]?' "$tmp/out.txt" ||
      fail "grammar output (cut short) is not a prefix: $(cat "$tmp/out.txt")"
  else
    check_match '([a-e]+|\([0-9]\))(, ([a-e]+|\([0-9]\))){0,2}' "$tmp/out.txt" ||
      fail "grammar output: $(cat "$tmp/out.txt")"
  fi
done

# Errors name the problem.
expect_error() {  # PATTERN ARGS...
  local pattern="$1"
  shift
  if "$llmkit" generate -m "$model" -p x -n 2 "$@" >"$tmp/out" 2>&1; then
    fail "generate $* succeeded"
  fi
  grep -q -- "$pattern" "$tmp/out" || fail "generate $*: expected '$pattern' in: $(cat "$tmp/out")"
}
printf 'root ::= item\nitem ::= "a" | missing\n' >"$tmp/undefined.gbnf"
expect_error "missing" --grammar "$tmp/undefined.gbnf"
printf 'root ::= "a" (\n' >"$tmp/syntax.gbnf"
expect_error "line 1" --grammar "$tmp/syntax.gbnf"
echo '{"type": "string", "not": {"const": "a"}}' >"$tmp/not.json"
expect_error "not" --json-schema "$tmp/not.json"
echo '{"type": ' >"$tmp/broken.json"
expect_error "not valid JSON" --json-schema "$tmp/broken.json"
expect_error "at most one" --regex a --grammar "$tmp/list.gbnf"
expect_error "cannot open grammar file" --grammar "$tmp/none.gbnf"
expect_error "need --chat" --system hi
echo '{% if %}' >"$tmp/bad.jinja"
expect_error "bad.jinja:1:" --chat --chat-template "$tmp/bad.jinja"
echo "ok (chat prompt: $expected tokens)"
