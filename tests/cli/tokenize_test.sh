#!/usr/bin/env bash
# `llmkit tokenize --tokenizer FILE` against independent references:
#   tokenizer.json (Gemma 3, Qwen 2.5 from the npm fixtures): ids equal those of @lenml/tokenizers
#     run by tests/tokenizer/hf_reference.mjs (with and without the post-processor's BOS);
#   SentencePiece .model (trained here by spm_train): ids equal spm_encode's;
#   bad input: a missing file, and -m together with --tokenizer, fail with a message naming them.
# Usage: tokenize_test.sh LLMKIT_BINARY SOURCE_DIR
source "$(dirname "$0")/common.sh"

text=$'Hello, world! 안녕하세요 🙂👍🏽 café\n  two  spaces\t<start_of_turn> 1234567 https://x.org/a?b=c'
printf '%s' "$text" >"$tmp/text.txt"

# ids_of JSON_FILE KEY: the first case's id list from the reference output, as "[1, 2, 3]".
ids_of() {
  python3 -c 'import json,sys; r=json.load(open(sys.argv[1]))["results"][0][sys.argv[2]]; print("[" + ", ".join(map(str, r)) + "]")' "$1" "$2"
}

for name in gemma3 qwen2_5; do
  tj="$src/data/npm/node_modules/@lenml/tokenizer-$name/models/tokenizer.json"
  [ -f "$tj" ] || fail "$tj not found: run scripts/setup.sh"
  node "$src/tests/tokenizer/hf_reference.mjs" "$tj" "$tmp/text.txt" whole >"$tmp/ref_$name.json"
  # The reference always parses special tokens written in the text.
  want="$(ids_of "$tmp/ref_$name.json" ids)"
  got="$("$llmkit" tokenize --tokenizer "$tj" -f "$tmp/text.txt" --ids --no-bos --parse-special)"
  [ "$got" = "$want" ] || fail "$name without BOS: llmkit $got, reference $want"
  want="$(ids_of "$tmp/ref_$name.json" ids_bos)"
  got="$("$llmkit" tokenize --tokenizer "$tj" -f "$tmp/text.txt" --ids --parse-special)"
  [ "$got" = "$want" ] || fail "$name with BOS: llmkit $got, reference $want"
  echo "ok: $name tokenizer.json matches the reference"
done

# A SentencePiece model trained by the sentencepiece tools, compared with spm_encode.
python3 - "$tmp/corpus.txt" <<'EOF'
import random, sys
random.seed(3)
words = "the of and to in is was for on that with as by at from it an be this which or".split()
with open(sys.argv[1], "w") as f:
    for _ in range(2000):
        f.write(" ".join(random.choice(words) for _ in range(12)) + " 2024 café\n")
EOF
spm_train --input="$tmp/corpus.txt" --model_prefix="$tmp/spm" --vocab_size=330 --model_type=bpe \
  --byte_fallback=true --minloglevel=2 >/dev/null 2>&1 || fail "spm_train failed"
spm_text="the café was in 2024 and 日本 🙂 is new"
want="[$(printf '%s' "$spm_text" | spm_encode --model="$tmp/spm.model" --output_format=id | sed 's/ /, /g')]"
got="$("$llmkit" tokenize --tokenizer "$tmp/spm.model" -p "$spm_text" --ids --no-bos)"
[ "$got" = "$want" ] || fail "SentencePiece: llmkit $got, spm_encode $want"
got_bos="$("$llmkit" tokenize --tokenizer "$tmp/spm.model" -p "$spm_text" --ids)"
bos="$(python3 -c 'import sys; print(sys.argv[1])' "$(spm_encode --model="$tmp/spm.model" --output_format=id --extra_options=bos <<<"")")"
[ "$got_bos" = "[$bos, ${want#[}" ] || fail "SentencePiece with BOS: $got_bos (BOS $bos)"
echo "ok: SentencePiece .model matches spm_encode"

# Bad input fails with a message naming the problem.
if "$llmkit" tokenize --tokenizer "$tmp/missing.json" -p hi >"$tmp/out" 2>&1; then
  fail "a missing tokenizer file was accepted"
fi
grep -q "missing.json" "$tmp/out" || fail "the error does not name the missing file: $(cat "$tmp/out")"
if "$llmkit" tokenize --tokenizer "$tmp/spm.model" -m "$tmp/spm.model" -p hi >"$tmp/out" 2>&1; then
  fail "-m with --tokenizer was accepted"
fi
grep -q -- "--tokenizer" "$tmp/out" || fail "the error does not name --tokenizer: $(cat "$tmp/out")"
printf '{"model": {"type": "WordLevel"}}' >"$tmp/bad.json"
if "$llmkit" tokenize --tokenizer "$tmp/bad.json" -p hi >"$tmp/out" 2>&1; then
  fail "an unsupported tokenizer.json was accepted"
fi
grep -q "bad.json" "$tmp/out" || fail "the error does not name the file: $(cat "$tmp/out")"
echo "ok: bad input is reported"
