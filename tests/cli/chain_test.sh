#!/usr/bin/env bash
# `llmkit chain run` end to end:
#   - on a random gemma3 tiny model folder (local engine): text output, JSON output constrained by
#     the pipeline's schema (validated by Python's jsonschema), list output streamed, a JSONL
#     trace whose runs nest under the pipeline's root run;
#   - on a real local HTTP server speaking OpenAI's format (tests/cli/openai_stub_server.py): the
#     request carries the rendered prompt messages and the options; streamed and whole answers are
#     the server's text;
#   - errors name the problem: unknown pipeline key, bad --input JSON, a missing variable, both or
#     neither of -m / --endpoint, an unreachable endpoint.
# Usage: chain_test.sh LLMKIT_BINARY SOURCE_DIR
source "$(dirname "$0")/common.sh"
py=/usr/bin/python3
pipelines="$src/examples/pipelines"

corpus=("$src"/data/corpora/sotu/*.txt)
"$llmkit" tokenizer train --input "${corpus[@]:0:2}" --vocab-size 512 --type bpe \
  --out "$tmp/tok.model" >"$tmp/log" 2>&1 || fail "tokenizer train: $(cat "$tmp/log")"
model="$tmp/model"
"$llmkit" init --arch gemma3 --preset tiny --vocab 512 --out "$model" >/dev/null 2>&1 || fail "init"
cp "$tmp/tok.model" "$model/tokenizer.model"

# Local engine: text, JSON under the schema, streamed list, trace.
"$llmkit" chain run "$pipelines/answer.json" -m "$model" --seed 1 -n 12 \
  --input '{"style": "plain", "question": "Why?"}' >"$tmp/text.txt" 2>"$tmp/log" ||
  fail "chain run answer.json: $(cat "$tmp/log")"
grep -q "chain: [0-9]* prompt + [0-9]* generated tokens" "$tmp/log" || fail "no token line: $(cat "$tmp/log")"
for seed in 1 2 3; do
  "$llmkit" chain run "$pipelines/speech_card.json" -m "$model" --seed "$seed" -n 600 \
    --input '{"topic": "the economy"}' >"$tmp/card.json" 2>"$tmp/log" ||
    fail "chain run speech_card.json: $(cat "$tmp/log")"
  $py -c '
import json, sys, jsonschema
schema = json.load(open(sys.argv[1]))["model"]["json_schema"]
jsonschema.validate(json.load(open(sys.argv[2])), schema)' "$pipelines/speech_card.json" "$tmp/card.json" ||
    fail "seed $seed: card is not valid under the pipeline's schema: $(cat "$tmp/card.json")"
done
"$llmkit" chain run "$pipelines/keywords.json" -m "$model" --seed 4 --stream \
  --input '{"text": "taxes"}' --trace "$tmp/trace.jsonl" >"$tmp/list.txt" 2>"$tmp/log" ||
  fail "chain run keywords.json --stream: $(cat "$tmp/log")"
$py -c '
import json, sys
events = [json.loads(l) for l in open(sys.argv[1])]
roots = [e for e in events if e["parent_run_id"] == ""]
assert [e["event"] for e in roots] == ["start", "end"], roots
names = {e["name"] for e in events if e["parent_run_id"] == roots[0]["run_id"]}
assert {"ChatPrompt", "LocalChatModel"} <= names, names
assert roots[1]["tokens"]["completion"] > 0, roots[1]
' "$tmp/trace.jsonl" || fail "trace: $(head -c 1000 "$tmp/trace.jsonl")"

# An OpenAI-compatible server over loopback.
coproc SERVER { exec $py "$src/tests/cli/openai_stub_server.py" "$tmp/requests.jsonl"; }
trap 'kill $SERVER_PID 2>/dev/null; rm -rf "$tmp"' EXIT
read -r port <&"${SERVER[0]}" || fail "the stub server did not start"
endpoint="http://127.0.0.1:$port"
out="$("$llmkit" chain run "$pipelines/answer.json" --endpoint "$endpoint" --model-name stub \
  --input '{"style": "terse", "question": "How are you?"}' 2>"$tmp/log")" ||
  fail "chain run --endpoint: $(cat "$tmp/log")"
[ "$out" = "echo: How are you?" ] || fail "endpoint answer: '$out'"
out="$("$llmkit" chain run "$pipelines/answer.json" --endpoint "$endpoint" --stream --temp 0.3 \
  --input '{"style": "terse", "question": "And now streamed?"}' 2>"$tmp/log")" ||
  fail "chain run --endpoint --stream: $(cat "$tmp/log")"
[ "$out" = "echo: And now streamed?" ] || fail "streamed endpoint answer: '$out'"
$py -c '
import json, sys
first, second = [json.loads(l) for l in open(sys.argv[1])]
assert first["model"] == "stub", first
assert first["messages"][0] == {"role": "system", "content": "You answer questions in a terse style."}, first
assert first["messages"][-1]["content"] == "How are you?", first
assert first["max_tokens"] == 120 and abs(first["temperature"] - 0.7) < 1e-6, first
assert second["stream"] is True and abs(second["temperature"] - 0.3) < 1e-6, second
' "$tmp/requests.jsonl" || fail "requests seen by the server: $(cat "$tmp/requests.jsonl")"

# Errors.
expect_error() {  # PATTERN ARGS...
  local pattern="$1"
  shift
  if "$llmkit" chain run "$@" >"$tmp/out" 2>&1; then fail "chain run $* succeeded"; fi
  grep -q -- "$pattern" "$tmp/out" || fail "chain run $*: expected '$pattern' in: $(cat "$tmp/out")"
}
echo '{"prompt": {"messages": []}, "modle": {}}' >"$tmp/bad.json"
expect_error "unknown key 'modle'" "$tmp/bad.json" -m "$model"
expect_error "not valid JSON" "$pipelines/answer.json" -m "$model" --input '{"style":'
expect_error "question" "$pipelines/answer.json" -m "$model" --input '{"style": "x"}'
expect_error "exactly one of" "$pipelines/answer.json" --input '{}'
expect_error "exactly one of" "$pipelines/answer.json" -m "$model" --endpoint "$endpoint"
expect_error "127.0.0.1:1" "$pipelines/answer.json" --endpoint "http://127.0.0.1:1" \
  --input '{"style": "x", "question": "y"}'
echo ok
