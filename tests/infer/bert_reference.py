#!/usr/bin/env python3
"""Independent reference for tests/infer/bert_encoder_test.cpp (python3 + numpy only).

Writes small random-weight BERT GGUF files with its own minimal GGUF v3 writer, tokenizes texts
with its own BERT tokenizer (the original BasicTokenizer + WordpieceTokenizer algorithm) and
computes the expected sentence embeddings in float64 with numpy.

Usage: bert_reference.py OUT_DIR
Writes OUT_DIR/<model>.gguf for each model below and OUT_DIR/expected.json:
  {"<model>": {"texts": [...], "text_ids": [[ids with [CLS]/[SEP]] per text] (WordPiece only),
               "id_cases": [[ids]...], "embeddings": [per text, then per id case: [C floats]],
               "embeddings_tanh": [same with tanh-approximated GELU],
               "hidden": [T*C floats: last layer output of id_cases[0]], "pooling": "mean"|...}}
Models:
  wp_f32    WordPiece vocabulary, every tensor f32, separate q/k/v with biases, token types,
            mean pooling, eps 1e-12.
  wp_mixed  WordPiece, attention matrices f16, ffn matrices Q8_0 (its own quantiser), one fused
            attn_qkv, no ffn biases, no token types, CLS pooling, eps 1e-5, uncased=false.
  spm       a SentencePiece-style ("llama") vocabulary as llmkit exports it, f32, pooling_type
            absent (mean). Only id cases are computed here; the C++ side checks the tokens.
"""
import json
import math
import os
import struct
import sys
import unicodedata

import numpy as np

# ---------------------------------------------------------------- GGUF writer (format facts:
# magic, version 3, counts, key/value pairs, tensor infos, data aligned to 32 bytes).
T_U32, T_I32, T_F32, T_BOOL, T_STRING, T_ARRAY = 4, 5, 6, 7, 8, 9
GGML_F32, GGML_F16, GGML_Q8_0 = 0, 1, 8


def gguf_string(s):
    b = s.encode("utf-8")
    return struct.pack("<Q", len(b)) + b


def gguf_value(kind, v):
    if kind == T_U32:
        return struct.pack("<I", v)
    if kind == T_I32:
        return struct.pack("<i", v)
    if kind == T_F32:
        return struct.pack("<f", v)
    if kind == T_BOOL:
        return struct.pack("<B", 1 if v else 0)
    if kind == T_STRING:
        return gguf_string(v)
    raise ValueError(kind)


def write_gguf(path, kvs, tensors):
    """kvs: [(key, kind, value)] with kind T_ARRAY values as (elem_kind, list);
    tensors: [(name, ggml_type, shape_rowmajor, raw_bytes)]."""
    out = bytearray(b"GGUF")
    out += struct.pack("<IQQ", 3, len(tensors), len(kvs))
    for key, kind, value in kvs:
        out += gguf_string(key) + struct.pack("<I", kind)
        if kind == T_ARRAY:
            elem, items = value
            out += struct.pack("<IQ", elem, len(items))
            for it in items:
                out += gguf_value(elem, it)
        else:
            out += gguf_value(kind, value)
    offset = 0
    for name, gtype, shape, raw in tensors:
        ne = list(reversed(shape))
        out += gguf_string(name) + struct.pack("<I", len(ne))
        for n in ne:
            out += struct.pack("<Q", n)
        out += struct.pack("<IQ", gtype, offset)
        offset += (len(raw) + 31) // 32 * 32
    out += b"\0" * ((32 - len(out) % 32) % 32)
    for _, _, _, raw in tensors:
        out += raw + b"\0" * ((32 - len(raw) % 32) % 32)
    with open(path, "wb") as f:
        f.write(out)


def encode_tensor(w, gtype):
    """Returns (raw bytes, the float64 values the file really holds)."""
    if gtype == GGML_F32:
        w32 = w.astype(np.float32)
        return w32.tobytes(), w32.astype(np.float64)
    if gtype == GGML_F16:
        w16 = w.astype(np.float16)
        return w16.tobytes(), w16.astype(np.float64)
    assert gtype == GGML_Q8_0 and w.shape[-1] % 32 == 0
    blocks = w.astype(np.float32).reshape(-1, 32)
    amax = np.abs(blocks).max(axis=1)
    d = (amax / 127.0).astype(np.float32)
    inv = np.where(d > 0, 1.0 / np.where(d > 0, d, 1), 0).astype(np.float32)
    q = np.clip(np.rint(blocks * inv[:, None]), -127, 127).astype(np.int8)
    d16 = d.astype(np.float16)
    raw = bytearray()
    for i in range(blocks.shape[0]):
        raw += d16[i].tobytes() + q[i].tobytes()
    values = (d16.astype(np.float64)[:, None] * q.astype(np.float64)).reshape(w.shape)
    return bytes(raw), values


# ---------------------------------------------------------------- BERT tokenizer (original
# BasicTokenizer + WordpieceTokenizer).
def is_whitespace(ch):
    return ch in " \t\n\r" or unicodedata.category(ch) == "Zs"


def is_control(ch):
    return ch not in "\t\n\r" and unicodedata.category(ch).startswith("C")


def is_punctuation(ch):
    cp = ord(ch)
    if 33 <= cp <= 47 or 58 <= cp <= 64 or 91 <= cp <= 96 or 123 <= cp <= 126:
        return True
    return unicodedata.category(ch).startswith("P")


def basic_tokenize(text, lower):
    text = "".join(" " if is_whitespace(c) else c for c in text
                   if ord(c) not in (0, 0xFFFD) and not is_control(c))
    words = []
    for tok in text.split():
        if lower:
            tok = "".join(c for c in unicodedata.normalize("NFD", tok.lower())
                          if unicodedata.category(c) != "Mn")
        cur = ""
        for c in tok:
            if is_punctuation(c):
                if cur:
                    words.append(cur)
                words.append(c)
                cur = ""
            else:
                cur += c
        if cur:
            words.append(cur)
    return words


def wordpiece(words, vocab, unk):
    ids = []
    for w in words:
        if len(w) > 100:
            ids.append(unk)
            continue
        start, sub = 0, []
        while start < len(w):
            end, cur = len(w), None
            while start < end:
                piece = ("##" if start > 0 else "") + w[start:end]
                if piece in vocab:
                    cur = vocab[piece]
                    break
                end -= 1
            if cur is None:
                sub = None
                break
            sub.append(cur)
            start = end
        ids.extend(sub if sub is not None else [unk])
    return ids


SPECIALS = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
# No piece twice: llama.cpp rejects a vocabulary with duplicates.
WORDS = ["the", "quick", "brown", "fox", "jump", "over", "lazy", "dog", "hello", "world", "un",
         "token", "cafe", "au", "lait", "is", "test", "of", "bert"]
CONT = ["##ed", "##aff", "##able", "##ization", "##ing"]
LETTERS = [chr(c) for c in range(ord("a"), ord("z") + 1)]
PUNCT = [".", ",", "!", "?", "'", "-"]


def wordpiece_vocab():
    vocab = SPECIALS + WORDS + CONT + LETTERS + ["##" + c for c in LETTERS] + PUNCT
    assert len(set(vocab)) == len(vocab)
    return vocab


def wordpiece_kvs(vocab, lower):
    tokens, types = [], []
    for p in vocab:
        if p in SPECIALS:
            tokens.append(p)
            types.append(3)
        elif p.startswith("##"):
            tokens.append(p[2:])
            types.append(1)
        else:
            tokens.append("\u2581" + p)
            types.append(1)
    kvs = [("tokenizer.ggml.model", T_STRING, "bert"),
           ("tokenizer.ggml.tokens", T_ARRAY, (T_STRING, tokens)),
           ("tokenizer.ggml.token_type", T_ARRAY, (T_I32, types)),
           ("tokenizer.ggml.unknown_token_id", T_U32, 1),
           ("tokenizer.ggml.bos_token_id", T_U32, 2),
           ("tokenizer.ggml.cls_token_id", T_U32, 2),
           ("tokenizer.ggml.seperator_token_id", T_U32, 3),
           ("tokenizer.ggml.padding_token_id", T_U32, 0),
           ("tokenizer.ggml.mask_token_id", T_U32, 4)]
    if not lower:
        kvs.append(("tokenizer.ggml.normalizer.lowercase", T_BOOL, False))
    return kvs


def spm_kvs():
    pieces = ["<unk>", "<s>", "</s>", "\u2581"] + ["\u2581" + w for w in WORDS] + LETTERS
    assert len(set(pieces)) == len(pieces)
    types = [2, 3, 3] + [1] * (len(pieces) - 3)
    scores = [0.0, 0.0, 0.0] + [-float(i) for i in range(len(pieces) - 3)]
    return [("tokenizer.ggml.model", T_STRING, "llama"),
            ("tokenizer.ggml.pre", T_STRING, "default"),
            ("tokenizer.ggml.tokens", T_ARRAY, (T_STRING, pieces)),
            ("tokenizer.ggml.scores", T_ARRAY, (T_F32, scores)),
            ("tokenizer.ggml.token_type", T_ARRAY, (T_I32, types)),
            ("tokenizer.ggml.bos_token_id", T_U32, 1),
            ("tokenizer.ggml.eos_token_id", T_U32, 2),
            ("tokenizer.ggml.unknown_token_id", T_U32, 0),
            ("tokenizer.ggml.add_bos_token", T_BOOL, True),
            ("tokenizer.ggml.add_eos_token", T_BOOL, False)], len(pieces)


# ---------------------------------------------------------------- model and forward
def gelu(x, tanh_form):
    if tanh_form:
        return 0.5 * x * (1.0 + np.tanh(math.sqrt(2.0 / math.pi) * (x + 0.044715 * x ** 3)))
    erf = np.vectorize(math.erf)
    return 0.5 * x * (1.0 + erf(x / math.sqrt(2.0)))


def layer_norm(x, w, b, eps):
    mean = x.mean(axis=-1, keepdims=True)
    var = ((x - mean) ** 2).mean(axis=-1, keepdims=True)
    return (x - mean) / np.sqrt(var + eps) * w + b


def forward(m, ids, tanh_form):
    C, H = m["C"], m["H"]
    D = C // H
    T = len(ids)
    x = m["token_embd"][ids] + m["position_embd"][:T]
    if "token_types" in m:
        x = x + m["token_types"][0]
    x = layer_norm(x, m["embd_norm_w"], m["embd_norm_b"], m["eps"])
    for L in m["layers"]:
        q = x @ L["q"].T + L["q_b"]
        k = x @ L["k"].T + L["k_b"]
        v = x @ L["v"].T + L["v_b"]
        a = np.zeros((T, C))
        for h in range(H):
            sl = slice(h * D, (h + 1) * D)
            s = q[:, sl] @ k[:, sl].T / math.sqrt(D)
            s = np.exp(s - s.max(axis=1, keepdims=True))
            a[:, sl] = (s / s.sum(axis=1, keepdims=True)) @ v[:, sl]
        x = layer_norm(x + a @ L["o"].T + L["o_b"], L["an_w"], L["an_b"], m["eps"])
        f = gelu(x @ L["up"].T + L["up_b"], tanh_form) @ L["down"].T + L["down_b"]
        x = layer_norm(x + f, L["on_w"], L["on_b"], m["eps"])
    return x


def pool(m, hidden):
    v = {"mean": hidden.mean(axis=0), "cls": hidden[0], "last": hidden[-1]}[m["pooling"]]
    return v / np.linalg.norm(v)


def build(rng, name, vocab_size, kvs, pooling_id, eps, att_type, ffn_type, fused, biases,
          token_types):
    C, H, F, n_layer, n_ctx = 32, 4, 64, 2, 40
    m = {"C": C, "H": H, "eps": eps,
         "pooling": {1: "mean", 2: "cls", 3: "last", None: "mean"}[pooling_id]}
    tensors = []

    def add(tname, w, gtype=GGML_F32):
        raw, values = encode_tensor(w, gtype)
        tensors.append((tname, gtype, list(w.shape), raw))
        return values

    def rnd(*shape, scale=0.3):
        return rng.standard_normal(shape) * scale

    m["token_embd"] = add("token_embd.weight", rnd(vocab_size, C))
    m["position_embd"] = add("position_embd.weight", rnd(n_ctx, C, scale=0.1))
    if token_types:
        m["token_types"] = add("token_types.weight", rnd(2, C, scale=0.1))
    m["embd_norm_w"] = add("token_embd_norm.weight", 1 + rnd(C, scale=0.1))
    m["embd_norm_b"] = add("token_embd_norm.bias", rnd(C, scale=0.1))
    m["layers"] = []
    for i in range(n_layer):
        p = "blk.%d." % i
        L = {}
        if fused:
            qkv = add(p + "attn_qkv.weight", rnd(3 * C, C, scale=0.2), att_type)
            qkv_b = add(p + "attn_qkv.bias", rnd(3 * C, scale=0.1))
            L["q"], L["k"], L["v"] = qkv[:C], qkv[C:2 * C], qkv[2 * C:]
            L["q_b"], L["k_b"], L["v_b"] = qkv_b[:C], qkv_b[C:2 * C], qkv_b[2 * C:]
        else:
            for t in "qkv":
                L[t] = add(p + "attn_%s.weight" % t, rnd(C, C, scale=0.2), att_type)
                L[t + "_b"] = add(p + "attn_%s.bias" % t, rnd(C, scale=0.1))
        L["o"] = add(p + "attn_output.weight", rnd(C, C, scale=0.2), att_type)
        L["o_b"] = add(p + "attn_output.bias", rnd(C, scale=0.1))
        L["an_w"] = add(p + "attn_output_norm.weight", 1 + rnd(C, scale=0.1))
        L["an_b"] = add(p + "attn_output_norm.bias", rnd(C, scale=0.1))
        L["up"] = add(p + "ffn_up.weight", rnd(F, C, scale=0.2), ffn_type)
        L["down"] = add(p + "ffn_down.weight", rnd(C, F, scale=0.2), ffn_type)
        if biases:
            L["up_b"] = add(p + "ffn_up.bias", rnd(F, scale=0.1))
            L["down_b"] = add(p + "ffn_down.bias", rnd(C, scale=0.1))
        else:
            L["up_b"], L["down_b"] = np.zeros(F), np.zeros(C)
        L["on_w"] = add(p + "layer_output_norm.weight", 1 + rnd(C, scale=0.1))
        L["on_b"] = add(p + "layer_output_norm.bias", rnd(C, scale=0.1))
        m["layers"].append(L)
    head = [("general.architecture", T_STRING, "bert"),
            ("bert.context_length", T_U32, n_ctx),
            ("bert.embedding_length", T_U32, C),
            ("bert.feed_forward_length", T_U32, F),
            ("bert.block_count", T_U32, n_layer),
            ("bert.attention.head_count", T_U32, H),
            ("bert.attention.layer_norm_epsilon", T_F32, eps),
            ("bert.attention.causal", T_BOOL, False)]
    if pooling_id is not None:
        head.append(("bert.pooling_type", T_U32, pooling_id))
    if token_types:
        head.append(("tokenizer.ggml.token_type_count", T_U32, 2))
    return m, head + kvs, tensors, n_ctx


TEXTS = ["The quick brown fox jumps over the lazy dog.",
         "Hello, world!",
         "unaffable tokenization",
         "Café au lait is a test of BERT's tokenizer?",
         "zebra-like xylophones",
         "  ",
         "x"]


def main():
    out_dir = sys.argv[1]
    rng = np.random.default_rng(1234)
    expected = {}
    vocab = wordpiece_vocab()
    index = {p: i for i, p in enumerate(vocab)}
    spm, n_spm = spm_kvs()
    configs = [
        ("wp_f32", len(vocab), wordpiece_kvs(vocab, True), 1, 1e-12, GGML_F32, GGML_F32, False,
         True, True, True),
        ("wp_mixed", len(vocab), wordpiece_kvs(vocab, False), 2, 1e-5, GGML_F16, GGML_Q8_0, True,
         False, False, False),
        ("spm", n_spm, spm, None, 1e-12, GGML_F32, GGML_F32, False, True, True, None),
    ]
    for (name, n_vocab, kvs, pooling_id, eps, att, ffn, fused, biases, types, lower) in configs:
        m, kv_all, tensors, n_ctx = build(rng, name, n_vocab, kvs, pooling_id, eps, att, ffn,
                                          fused, biases, types)
        write_gguf(os.path.join(out_dir, name + ".gguf"), kv_all, tensors)
        cases, texts, text_ids = [], [], []
        if lower is not None:
            texts = TEXTS
            for t in texts:
                ids = [2] + wordpiece(basic_tokenize(t, lower), index, 1) + [3]
                text_ids.append(ids)
                cases.append(ids)
        id_cases = [list(map(int, rng.integers(0, n_vocab, size=n))) for n in (7, 1, n_ctx, 13)]
        cases += id_cases
        emb = [pool(m, forward(m, ids, False)).tolist() for ids in cases]
        emb_tanh = [pool(m, forward(m, ids, True)).tolist() for ids in cases]
        expected[name] = {"texts": texts, "text_ids": text_ids, "id_cases": id_cases,
                          "embeddings": emb, "embeddings_tanh": emb_tanh,
                          "hidden": forward(m, id_cases[0], False).reshape(-1).tolist(),
                          "pooling": m["pooling"]}
    with open(os.path.join(out_dir, "expected.json"), "w") as f:
        json.dump(expected, f)


if __name__ == "__main__":
    main()
