#!/usr/bin/env bash
# `llmkit quantize` end to end, files read back by an independent GGUF parser (Python, written here
# from ggml's docs/gguf.md):
#   - an F32 GGUF (random llama and gemma3 models with a trained tokenizer, via init + export)
#     quantized to Q8_0 holds exactly the tensors (types and bytes) and metadata that
#     `llmkit export --type q8_0` writes from the same source, except general.file_type /
#     general.quantization_version;
#   - the per-tensor types follow llama-quantize's rules: q4_k / q6_k / q4_0 matrices, the tied
#     token embedding as q6_K (q8_0 when its rows are not a multiple of 256), fallbacks for rows
#     that do not fit a block, norms f32, --output-tensor-type / --token-embedding-type;
#   - quantized files load (`llmkit info`) and generate (`llmkit generate -n 4`);
#   - errors name the problem: unknown type, missing input, a folder or non-GGUF input, output =
#     input.
# Usage: quantize_test.sh LLMKIT_BINARY SOURCE_DIR
source "$(dirname "$0")/common.sh"

cat >"$tmp/gguf.py" <<'EOF'
# Minimal GGUF v3 reader: metadata dict and {name: (type id, ne, data bytes)} in file order.
import struct, sys

GEOMETRY = {0: (1, 4), 1: (1, 2), 30: (1, 2), 8: (32, 34), 2: (32, 18), 12: (256, 144), 14: (256, 210)}
NAMES = {0: "f32", 1: "f16", 30: "bf16", 8: "q8_0", 2: "q4_0", 12: "q4_K", 14: "q6_K"}
SCALAR = {0: "<B", 1: "<b", 2: "<H", 3: "<h", 4: "<I", 5: "<i", 6: "<f", 7: "<?", 10: "<Q", 11: "<q", 12: "<d"}

def read(path):
    b = open(path, "rb").read()
    assert b[:4] == b"GGUF", path
    _, n_tensors, n_kv = struct.unpack_from("<IQQ", b, 4)
    off = 24
    def string(off):
        (n,) = struct.unpack_from("<Q", b, off)
        return b[off + 8 : off + 8 + n].decode("utf-8", "replace"), off + 8 + n
    def value(t, off):
        if t == 8:
            return string(off)
        if t == 9:
            et, n = struct.unpack_from("<IQ", b, off)
            off += 12
            out = []
            for _ in range(n):
                v, off = value(et, off)
                out.append(v)
            return out, off
        return struct.unpack_from(SCALAR[t], b, off)[0], off + struct.calcsize(SCALAR[t])
    kv = {}
    for _ in range(n_kv):
        k, off = string(off)
        (t,) = struct.unpack_from("<I", b, off)
        kv[k], off = value(t, off + 4)
    infos = []
    for _ in range(n_tensors):
        name, off = string(off)
        (nd,) = struct.unpack_from("<I", b, off)
        ne = list(struct.unpack_from("<%dQ" % nd, b, off + 4))
        t, o = struct.unpack_from("<IQ", b, off + 4 + 8 * nd)
        off += 4 + 8 * nd + 12
        infos.append((name, ne, t, o))
    align = kv.get("general.alignment", 32)
    start = (off + align - 1) // align * align
    tensors = {}
    for name, ne, t, o in infos:
        n = 1
        for d in ne:
            n *= d
        elems, size = GEOMETRY[t]
        tensors[name] = (t, ne, b[start + o : start + o + n // elems * size])
    return kv, tensors

if __name__ == "__main__":
    cmd = sys.argv[1]
    if cmd == "types":  # name=type lines
        for name, (t, ne, _) in read(sys.argv[2])[1].items():
            print(f"{name}={NAMES[t]}")
    elif cmd == "same":  # same tensors and metadata, but for the keys given after the files
        ka, ta = read(sys.argv[2])
        kb, tb = read(sys.argv[3])
        skip = set(sys.argv[4:])
        strip = lambda kv: {k: v for k, v in kv.items() if k not in skip}
        assert list(ta) == list(tb), (list(ta), list(tb))
        for name in ta:
            assert ta[name][0] == tb[name][0], (name, NAMES[ta[name][0]], NAMES[tb[name][0]])
            assert ta[name][1] == tb[name][1], (name, ta[name][1], tb[name][1])
            assert ta[name][2] == tb[name][2], ("data differs", name)
        assert strip(ka) == strip(kb), [k for k in set(ka) | set(kb) if ka.get(k) != kb.get(k)]
        print(f"{len(ta)} tensors and {len(strip(ka))} keys identical")
    elif cmd == "keys":  # same metadata, but for the keys given after the files
        ka, kb = read(sys.argv[2])[0], read(sys.argv[3])[0]
        skip = set(sys.argv[4:])
        diff = [k for k in set(ka) | set(kb) if k not in skip and ka.get(k) != kb.get(k)]
        assert not diff, diff
        print(f"{len(ka)} keys")
    elif cmd == "key":
        print(read(sys.argv[2])[0][sys.argv[3]])
EOF
gguf() { python3 "$tmp/gguf.py" "$@"; }
# type_of FILE TENSOR
type_of() { gguf types "$1" | sed -n "s/^$2=//p"; }
expect_type() {
  local got
  got="$(type_of "$1" "$2")"
  [ "$got" = "$3" ] || fail "$(basename "$1"): $2 is '$got', expected $3"
}

# A tokenizer and two random models (llama small: rows of 256 and 1024; gemma3 tiny: rows of 64
# and 256), exported to F32 GGUF.
corpus=("$src"/data/corpora/sotu/*.txt)
"$llmkit" tokenizer train --input "${corpus[@]:0:4}" --vocab-size 512 --type bpe \
  --out "$tmp/tok.model" >"$tmp/log" 2>&1 || fail "tokenizer train: $(cat "$tmp/log")"
for model in "llama small" "gemma3 tiny"; do
  read -r arch preset <<<"$model"
  "$llmkit" init --arch "$arch" --preset "$preset" --vocab 512 --out "$tmp/$arch" >/dev/null 2>&1 ||
    fail "init $arch"
  cp "$tmp/tok.model" "$tmp/$arch/tokenizer.model"
  "$llmkit" export --from "$tmp/$arch" --to "$tmp/${arch}_f32.gguf" --type f32 2>/dev/null ||
    fail "export $arch f32"
done

# Q8_0: identical to export --type q8_0 of the same weights.
for arch in llama gemma3; do
  "$llmkit" quantize "$tmp/${arch}_f32.gguf" "$tmp/${arch}_q8.gguf" --type q8_0 2>"$tmp/log" ||
    fail "quantize $arch q8_0: $(cat "$tmp/log")"
  grep -q "q8_0" "$tmp/log" || fail "no summary: $(cat "$tmp/log")"
  "$llmkit" export --from "$tmp/$arch" --to "$tmp/${arch}_export_q8.gguf" --type q8_0 2>/dev/null
  gguf same "$tmp/${arch}_q8.gguf" "$tmp/${arch}_export_q8.gguf" general.quantization_version \
    >/dev/null || fail "$arch: quantize q8_0 differs from export q8_0"
  [ "$(gguf key "$tmp/${arch}_q8.gguf" general.file_type)" = 7 ] || fail "file_type"
  [ "$(gguf key "$tmp/${arch}_q8.gguf" general.quantization_version)" = 2 ] || fail "qnt version"
  # All metadata but the file type carried over from the input (tokenizer included).
  gguf keys "$tmp/${arch}_f32.gguf" "$tmp/${arch}_q8.gguf" general.file_type \
    general.quantization_version >/dev/null || fail "$arch: metadata not kept"
  echo "ok: $arch quantize q8_0 = export q8_0"
done

# Type mix, llama small (rows of 256 / 1024, tied embeddings).
f="$tmp/llama_q4k.gguf"
"$llmkit" quantize "$tmp/llama_f32.gguf" "$f" --type q4_k 2>/dev/null
expect_type "$f" token_embd.weight q6_K # tied: treated as the output
expect_type "$f" blk.0.attn_q.weight q4_K
expect_type "$f" blk.0.ffn_down.weight q4_K
expect_type "$f" blk.0.attn_norm.weight f32
expect_type "$f" output_norm.weight f32
[ "$(gguf key "$f" general.file_type)" = 15 ] || fail "q4_k file_type"
f="$tmp/llama_q6k.gguf"
"$llmkit" quantize "$tmp/llama_f32.gguf" "$f" --type q6_k 2>/dev/null
expect_type "$f" token_embd.weight q6_K
expect_type "$f" blk.1.attn_v.weight q6_K
f="$tmp/llama_q40.gguf"
"$llmkit" quantize "$tmp/llama_f32.gguf" "$f" --type q4_0 --token-embedding-type q8_0 2>/dev/null
expect_type "$f" token_embd.weight q8_0
expect_type "$f" blk.0.ffn_up.weight q4_0
f="$tmp/llama_q40_out.gguf"
"$llmkit" quantize "$tmp/llama_f32.gguf" "$f" --type q4_0 --output-tensor-type f16 2>/dev/null
expect_type "$f" token_embd.weight f16 # tied: the output's type
f="$tmp/llama_f16.gguf"
"$llmkit" quantize "$tmp/llama_f32.gguf" "$f" --type f16 2>/dev/null
expect_type "$f" token_embd.weight f16
expect_type "$f" blk.0.attn_k.weight f16
expect_type "$f" blk.0.ffn_norm.weight f32
# Re-quantizing a quantized file works (with a warning); same type is a byte copy.
"$llmkit" quantize "$tmp/llama_q8.gguf" "$tmp/llama_q8_q8.gguf" --type q8_0 2>/dev/null
gguf same "$tmp/llama_q8.gguf" "$tmp/llama_q8_q8.gguf" >/dev/null || fail "q8_0 -> q8_0 copy"
"$llmkit" quantize "$tmp/llama_q8.gguf" "$tmp/llama_q8_q4.gguf" --type q4_0 2>"$tmp/log"
grep -q "already quantized" "$tmp/log" || fail "no requantize warning: $(cat "$tmp/log")"
echo "ok: llama type mix"

# Type mix, gemma3 tiny (rows of 64: no K-quant fits; ffn_down rows of 256 do).
f="$tmp/gemma3_q4k.gguf"
"$llmkit" quantize "$tmp/gemma3_f32.gguf" "$f" --type q4_k 2>"$tmp/log"
expect_type "$f" token_embd.weight q8_0 # output rule: rows % 256 != 0 -> q8_0
expect_type "$f" blk.0.attn_q.weight q8_0 # fallback
expect_type "$f" blk.0.ffn_down.weight q4_K
expect_type "$f" blk.0.attn_q_norm.weight f32
grep -q "fallbacks" "$tmp/log" || fail "summary without fallbacks: $(cat "$tmp/log")"
f="$tmp/gemma3_q40.gguf"
"$llmkit" quantize "$tmp/gemma3_f32.gguf" "$f" --type q4_0 2>/dev/null
expect_type "$f" token_embd.weight q8_0
expect_type "$f" blk.0.attn_q.weight q4_0
echo "ok: gemma3 type mix"

# The quantized files load and generate.
for f in llama_q8 llama_q4k llama_q6k llama_q40 gemma3_q4k gemma3_q40; do
  "$llmkit" info -m "$tmp/$f.gguf" >"$tmp/info" 2>&1 || fail "info $f: $(cat "$tmp/info")"
  grep -q "tokenizer: 512 tokens" "$tmp/info" || fail "info $f: $(cat "$tmp/info")"
  "$llmkit" generate -m "$tmp/$f.gguf" -p "The" -n 4 --temp 0 -t 1 >"$tmp/gen" 2>&1 ||
    fail "generate $f: $(cat "$tmp/gen")"
done
echo "ok: quantized files load and generate"

# Errors.
expect_fail() {
  local want="$1"
  shift
  if "$llmkit" quantize "$@" >"$tmp/err" 2>&1; then fail "accepted: $*"; fi
  grep -qF -- "$want" "$tmp/err" || fail "quantize $*: message lacks '$want': $(cat "$tmp/err")"
}
expect_fail "q5_1" "$tmp/llama_f32.gguf" "$tmp/x.gguf" --type q5_1
expect_fail "q4_k" "$tmp/llama_f32.gguf" "$tmp/x.gguf" --type q5_1
expect_fail "--output-tensor-type" "$tmp/llama_f32.gguf" "$tmp/x.gguf" --type q8_0 \
  --output-tensor-type iq2_xs
expect_fail "$tmp/missing.gguf" "$tmp/missing.gguf" "$tmp/x.gguf" --type q8_0
expect_fail "not a GGUF file" "$tmp/tok.model" "$tmp/x.gguf" --type q8_0
expect_fail "llmkit export" "$tmp/llama" "$tmp/x.gguf" --type q8_0
expect_fail "is the input" "$tmp/llama_f32.gguf" "$tmp/llama_f32.gguf" --type q8_0
expect_fail "is the input" "$tmp/llama_f32.gguf" "$tmp/../$(basename "$tmp")/llama_f32.gguf" \
  --type q8_0
[ ! -e "$tmp/x.gguf" ] || fail "an output was written on error"
echo "ok: errors"
