#!/usr/bin/env bash
# `llmkit train-embedder`: a short run on (sentence -> passage) pairs from the bundled corpus
# writes run/embedder.gguf, read by an independent GGUF parser (tests/io/gguf_oracle.mjs, the npm
# package @huggingface/gguf): llama.cpp's bert keys and tensor names and shapes, and the
# tokenizer's vocabulary. A second run on the same folder needs --resume, which continues from the
# checkpoint's step; a bad pairs file is named in the error.
# Usage: train_embedder_test.sh LLMKIT_BINARY SOURCE_DIR
source "$(dirname "$0")/common.sh"

corpus="$src/data/corpora/sotu"
"$llmkit" tokenizer train --input "$corpus/1790_george_washington.txt" \
  "$corpus/1791_george_washington.txt" "$corpus/1792_george_washington.txt" \
  --vocab-size 500 --threads 1 --out "$tmp/tok.model" >/dev/null 2>&1 ||
  fail "tokenizer training failed"

python3 - "$corpus" "$tmp/pairs.jsonl" <<'PY'
import json, sys
names = ["1790_george_washington.txt", "1791_george_washington.txt", "1792_george_washington.txt"]
with open(sys.argv[2], "w") as out:
    for name in names:
        lines = [l for l in open(f"{sys.argv[1]}/{name}", encoding="utf-8").read().split("\n") if l]
        for g in range(0, len(lines) - 2, 3):
            passage = " ".join(lines[g:g + 3])
            for k in range(3):
                query = " ".join(lines[g + k].split()[:12])
                out.write(json.dumps({"query": query, "passage": passage}) + "\n")
PY

args=(--pairs "$tmp/pairs.jsonl" --tokenizer "$tmp/tok.model" --out "$tmp/run" --batch 8
  --dim 32 --layers 2 --heads 2 --ff 64 --ctx 64 --holdout 0.3 --threads 1 --save-every 3
  --no-progress)
"$llmkit" train-embedder "${args[@]}" --steps 6 >"$tmp/out.txt" 2>"$tmp/err.txt" ||
  fail "train-embedder failed: $(cat "$tmp/err.txt")"
grep -q "recall@1" "$tmp/out.txt" || fail "no retrieval report in: $(cat "$tmp/out.txt")"
[ -f "$tmp/run/embedder.gguf" ] || fail "no embedder.gguf"
[ -f "$tmp/run/checkpoint/state.json" ] || fail "no checkpoint"
[ "$(wc -l <"$tmp/run/metrics.jsonl")" -eq 6 ] || fail "metrics.jsonl should have 6 lines"

node "$src/tests/io/gguf_oracle.mjs" "$tmp/run/embedder.gguf" >"$tmp/oracle.json" ||
  fail "the independent GGUF reader rejected embedder.gguf"
python3 - "$tmp/oracle.json" <<'PY' || fail "embedder.gguf does not have llama.cpp's bert layout"
import json, sys
r = json.load(open(sys.argv[1]))
meta = {m["key"]: m["value"] for m in r["metadata"]}
def val(k):
    v = meta[k]
    return v.get("str", v.get("num", v.get("bool", v.get("big"))))
assert val("general.architecture") == "bert", meta["general.architecture"]
expect = {"bert.context_length": 64, "bert.embedding_length": 32, "bert.feed_forward_length": 64,
          "bert.block_count": 2, "bert.attention.head_count": 2, "bert.pooling_type": 1,
          "tokenizer.ggml.token_type_count": 2}
for k, v in expect.items():
    assert val(k) == v, (k, val(k))
assert val("bert.attention.causal") is False
assert val("tokenizer.ggml.model") == "llama"
n_vocab = len(meta["tokenizer.ggml.tokens"]["arr"])
assert n_vocab == 500, n_vocab
shapes = {t["name"]: [int(s) for s in t["shape"]] for t in r["tensors"]}
want = {"token_embd.weight": [32, n_vocab], "token_types.weight": [32, 2],
        "position_embd.weight": [32, 64], "token_embd_norm.weight": [32], "token_embd_norm.bias": [32]}
for i in range(2):
    for m in ["attn_q", "attn_k", "attn_v", "attn_output"]:
        want[f"blk.{i}.{m}.weight"] = [32, 32]
        want[f"blk.{i}.{m}.bias"] = [32]
    for m in ["attn_output_norm", "layer_output_norm"]:
        want[f"blk.{i}.{m}.weight"] = [32]
        want[f"blk.{i}.{m}.bias"] = [32]
    want[f"blk.{i}.ffn_up.weight"] = [32, 64]
    want[f"blk.{i}.ffn_up.bias"] = [64]
    want[f"blk.{i}.ffn_down.weight"] = [64, 32]
    want[f"blk.{i}.ffn_down.bias"] = [32]
assert shapes == want, sorted(set(shapes.items()) ^ set((k, tuple(v)) for k, v in want.items()))
PY
echo "ok: embedder.gguf has llama.cpp's bert keys, tensors and the tokenizer"

if "$llmkit" train-embedder "${args[@]}" --steps 8 >/dev/null 2>"$tmp/err.txt"; then
  fail "a second run on the same folder without --resume succeeded"
fi
grep -q -- "--resume" "$tmp/err.txt" || fail "no hint to --resume in: $(cat "$tmp/err.txt")"
"$llmkit" train-embedder "${args[@]}" --steps 8 --resume >/dev/null 2>"$tmp/err.txt" ||
  fail "resume failed: $(cat "$tmp/err.txt")"
[ "$(wc -l <"$tmp/run/metrics.jsonl")" -eq 8 ] || fail "the resumed run should end at step 8"
grep -q '"step": 7' "$tmp/run/metrics.jsonl" || fail "the resumed run did not continue at step 7"
echo "ok: --resume continues from the checkpoint"

if "$llmkit" train-embedder --pairs "$tmp/missing.jsonl" --tokenizer "$tmp/tok.model" \
  --out "$tmp/run2" >/dev/null 2>"$tmp/err.txt"; then
  fail "a missing pairs file was accepted"
fi
grep -q "missing.jsonl" "$tmp/err.txt" || fail "the error does not name the pairs file"
echo "ok: train-embedder"
