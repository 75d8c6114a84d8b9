#!/usr/bin/env bash
# `llmkit template render` against Python jinja2 driven as transformers' apply_chat_template
# (tests/prompt/jinja_reference.py, which reads the template and BOS / EOS from the config itself):
#   -m on a Hugging Face folder (Qwen 2.5 from the npm fixtures) with tools and the generation
#     prompt, --template FILE with --bos-token (Gemma 3's template), and -m on a GGUF file written
#     here with Llama 3.1's template and BOS id: byte-identical output;
#   errors: a template with a syntax error names FILE:line:column; a folder without a chat
#     template, and both --template and -m, fail with a message saying so.
# Usage: template_test.sh LLMKIT_BINARY SOURCE_DIR
source "$(dirname "$0")/common.sh"

npm="$src/data/npm/node_modules/@lenml"
[ -d "$npm/tokenizer-qwen2_5" ] || fail "$npm not found: run scripts/setup.sh"
/usr/bin/python3 -c 'import jinja2' || fail "python3-jinja2 is not installed"

cat >"$tmp/messages.json" <<'JSON'
[{"role": "system", "content": "You are terse. Ünïcödé ✓"},
 {"role": "user", "content": "Weather in Paris?"},
 {"role": "assistant", "content": "", "tool_calls": [{"type": "function",
   "function": {"name": "get_weather", "arguments": {"city": "Paris"}}}]},
 {"role": "tool", "content": "{\"temp\": 21}"},
 {"role": "assistant", "content": "21 degrees."},
 {"role": "user", "content": "Thanks!\n"}]
JSON
cat >"$tmp/tools.json" <<'JSON'
[{"type": "function", "function": {"name": "get_weather", "description": "Current weather",
  "parameters": {"type": "object", "properties": {"city": {"type": "string"}},
  "required": ["city"]}}}]
JSON

# reference CONFIG ADD_GENERATION_PROMPT(true|false) TOOLS(file|none) > output
reference() {
  /usr/bin/python3 - "$1" "$2" "$3" "$tmp/messages.json" "$src/tests/prompt/jinja_reference.py" <<'PY'
import json, subprocess, sys
config, agp, tools, messages, script = sys.argv[1:]
case = {"tokenizer_config": config, "messages": json.load(open(messages)),
        "tools": None if tools == "none" else json.load(open(tools)),
        "add_generation_prompt": agp == "true"}
out = subprocess.run(["/usr/bin/python3", script], input=json.dumps([case]).encode(),
                     capture_output=True, check=True).stdout
result = json.loads(out)[0]
if not result["ok"]:
    sys.exit("reference failed: " + result["error"])
sys.stdout.buffer.write(result["output"].encode())
PY
}

qwen="$npm/tokenizer-qwen2_5/models"
reference "$qwen/tokenizer_config.json" true "$tmp/tools.json" >"$tmp/want_qwen.txt"
"$llmkit" template render -m "$qwen" --messages "$tmp/messages.json" --tools "$tmp/tools.json" \
  --add-generation-prompt >"$tmp/got_qwen.txt"
cmp "$tmp/got_qwen.txt" "$tmp/want_qwen.txt" || fail "qwen2_5 -m folder: output differs from jinja2"
echo "ok: qwen2_5 folder with tools matches jinja2"

gemma="$npm/tokenizer-gemma3/models"
/usr/bin/python3 -c 'import json,sys; sys.stdout.write(json.load(open(sys.argv[1]))["chat_template"])' \
  "$gemma/tokenizer_config.json" >"$tmp/gemma.jinja"
# Gemma's template wants alternating user/assistant turns after the system prompt.
cat >"$tmp/messages.json" <<'JSON'
[{"role": "system", "content": "Be brief."}, {"role": "user", "content": " Hi "},
 {"role": "assistant", "content": "Hello."}, {"role": "user", "content": "Bye"}]
JSON
reference "$gemma/tokenizer_config.json" false none >"$tmp/want_gemma.txt"
"$llmkit" template render --template "$tmp/gemma.jinja" --messages "$tmp/messages.json" \
  --bos-token '<bos>' >"$tmp/got_gemma.txt"
cmp "$tmp/got_gemma.txt" "$tmp/want_gemma.txt" || fail "gemma3 --template: output differs from jinja2"
echo "ok: gemma3 template file matches jinja2"

# A GGUF file (no tensors) holding Llama 3.1's template and a vocabulary with BOS / EOS ids,
# written byte by byte here after the GGUF v3 layout.
/usr/bin/python3 - "$npm/tokenizer-llama3_1/models/tokenizer_config.json" "$tmp/model.gguf" <<'PY'
import json, struct, sys
template = json.load(open(sys.argv[1]))["chat_template"]
def s(x):
    b = x.encode()
    return struct.pack("<Q", len(b)) + b
tokens = ["<unk>", "<|begin_of_text|>", "<|eot_id|>", "hello"]
kv = [
    ("general.architecture", struct.pack("<I", 8) + s("llama")),
    ("tokenizer.chat_template", struct.pack("<I", 8) + s(template)),
    ("tokenizer.ggml.tokens",
     struct.pack("<IIQ", 9, 8, len(tokens)) + b"".join(s(t) for t in tokens)),
    ("tokenizer.ggml.bos_token_id", struct.pack("<II", 4, 1)),
    ("tokenizer.ggml.eos_token_id", struct.pack("<II", 4, 2)),
]
with open(sys.argv[2], "wb") as f:
    f.write(b"GGUF" + struct.pack("<IQQ", 3, 0, len(kv)))
    for key, value in kv:
        f.write(s(key) + value)
PY
/usr/bin/python3 - "$npm/tokenizer-llama3_1/models/tokenizer_config.json" "$tmp/messages.json" \
  "$src/tests/prompt/jinja_reference.py" >"$tmp/want_gguf.txt" <<'PY'
import json, subprocess, sys
config, messages, script = sys.argv[1:]
context = {"messages": json.load(open(messages)), "tools": None, "documents": None,
           "add_generation_prompt": True, "bos_token": "<|begin_of_text|>",
           "eos_token": "<|eot_id|>"}
case = {"template": json.load(open(config))["chat_template"], "context": context}
out = subprocess.run(["/usr/bin/python3", script], input=json.dumps([case]).encode(),
                     capture_output=True, check=True).stdout
result = json.loads(out)[0]
if not result["ok"]:
    sys.exit("reference failed: " + result["error"])
sys.stdout.buffer.write(result["output"].encode())
PY
"$llmkit" template render -m "$tmp/model.gguf" --messages "$tmp/messages.json" \
  --add-generation-prompt >"$tmp/got_gguf.txt"
cmp "$tmp/got_gguf.txt" "$tmp/want_gguf.txt" || fail "GGUF -m: output differs from jinja2"
echo "ok: GGUF chat template and BOS match jinja2"

printf '{%% for m in messages %%}\n  {{ m.content + }}\n{%% endfor %%}\n' >"$tmp/bad.jinja"
if "$llmkit" template render --template "$tmp/bad.jinja" --messages "$tmp/messages.json" \
  >"$tmp/out.txt" 2>"$tmp/err.txt"; then
  fail "a template with a syntax error rendered"
fi
grep -q "bad.jinja:2:18:" "$tmp/err.txt" || fail "syntax error lacks FILE:2:18: $(cat "$tmp/err.txt")"
echo "ok: syntax error names line and column"

if "$llmkit" template render -m "$npm/tokenizer-llama2/models" --messages "$tmp/messages.json" \
  >"$tmp/out.txt" 2>"$tmp/err.txt"; then
  fail "a folder without a chat template rendered"
fi
grep -q "has no chat template" "$tmp/err.txt" || fail "missing template: $(cat "$tmp/err.txt")"
if "$llmkit" template render -m "$qwen" --template "$tmp/gemma.jinja" \
  --messages "$tmp/messages.json" >"$tmp/out.txt" 2>"$tmp/err.txt"; then
  fail "--template together with -m was accepted"
fi
echo "ok: bad invocations fail"
