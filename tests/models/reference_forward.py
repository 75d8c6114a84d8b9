#!/usr/bin/env python3
"""Independent NumPy forward pass of the Gemma, Gemma 2, Gemma 3 and Llama decoders, written from
the Hugging Face transformers definitions (modeling_gemma.py, modeling_gemma2.py,
modeling_gemma3.py, modeling_llama.py) for tests/models/reference_forward_test.cpp.

  reference_forward.py MODEL_DIR INPUT_JSON

MODEL_DIR holds config.json (Hugging Face keys) and model.safetensors (GGUF tensor names), parsed
here with struct + json + numpy only. INPUT_JSON is
  {"ids": [[...], ...], "runs": [{"positions": [...], "all_global": false, "out": PATH}, ...]}
and each run writes the logits [B, T, V] as raw little-endian float32 to its PATH (one process for
several runs: numpy's import dominates the time). Everything is computed in float64. all_global
ignores sliding windows (a negative control).
"""
import json
import math
import struct
import sys

import numpy as np


def load_safetensors(path):
    with open(path, "rb") as f:
        blob = f.read()
    (n,) = struct.unpack("<Q", blob[:8])
    header = json.loads(blob[8:8 + n].decode("utf-8"))
    base = 8 + n
    tensors = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        begin, end = info["data_offsets"]
        raw = blob[base + begin:base + end]
        dtype = info["dtype"]
        if dtype == "F32":
            arr = np.frombuffer(raw, dtype="<f4")
        elif dtype == "F16":
            arr = np.frombuffer(raw, dtype="<f2")
        elif dtype == "BF16":
            arr = (np.frombuffer(raw, dtype="<u2").astype(np.uint32) << 16).view(np.float32)
        else:
            raise SystemExit(f"reference: unsupported dtype {dtype} for {name}")
        tensors[name] = arr.astype(np.float64).reshape(info["shape"])
    return tensors


def rms_norm(x, w, eps, unit_offset):
    # GemmaRMSNorm: x * rsqrt(mean(x^2) + eps) * (1 + w); LlamaRMSNorm: ... * w
    y = x / np.sqrt(np.mean(x * x, axis=-1, keepdims=True) + eps)
    return y * ((1.0 + w) if unit_offset else w)


def rotate_half(x):
    half = x.shape[-1] // 2
    return np.concatenate([-x[..., half:], x[..., :half]], axis=-1)


def apply_rope(x, positions, theta):
    # x [T, heads, D]. HF: inv_freq = 1 / base^(arange(0, D, 2) / D); emb = cat(freqs, freqs)
    d = x.shape[-1]
    inv_freq = 1.0 / (theta ** (np.arange(0, d, 2, dtype=np.float64) / d))
    freqs = np.outer(positions.astype(np.float64), inv_freq)  # [T, D/2]
    emb = np.concatenate([freqs, freqs], axis=-1)[:, None, :]  # [T, 1, D]
    return x * np.cos(emb) + rotate_half(x) * np.sin(emb)


def gelu_tanh(x):
    return 0.5 * x * (1.0 + np.tanh(math.sqrt(2.0 / math.pi) * (x + 0.044715 * x ** 3)))


def silu(x):
    return x / (1.0 + np.exp(-x))


def main():
    model_dir, input_path = sys.argv[1:]
    cfg = json.load(open(f"{model_dir}/config.json"))
    w = load_safetensors(f"{model_dir}/model.safetensors")
    inp = json.load(open(input_path))
    ids = np.array(inp["ids"], dtype=np.int64)
    for run in inp["runs"]:
        positions = np.array(run["positions"], dtype=np.int64)
        logits = forward(cfg, w, ids, positions, run.get("all_global", False))
        logits.astype("<f4").tofile(run["out"])


def forward(cfg, w, ids, positions, all_global):
    B, T = ids.shape

    model_type = cfg["model_type"]
    gemma = model_type in ("gemma", "gemma2", "gemma3_text")
    post_norms = model_type in ("gemma2", "gemma3_text")
    qk_norm = model_type == "gemma3_text"
    C = cfg["hidden_size"]
    H = cfg["num_attention_heads"]
    Hkv = cfg.get("num_key_value_heads") or H
    D = cfg.get("head_dim") or C // H
    L = cfg["num_hidden_layers"]
    eps = cfg["rms_norm_eps"]
    theta = cfg["rope_theta"]
    theta_local = cfg.get("rope_local_base_freq") or theta
    window = cfg.get("sliding_window") or 0
    attn_cap = cfg.get("attn_logit_softcapping") or 0.0
    final_cap = cfg.get("final_logit_softcapping") or 0.0
    if model_type in ("gemma2", "gemma3_text"):
        scaling = cfg["query_pre_attn_scalar"] ** -0.5
    else:
        scaling = D ** -0.5
    # Layer kinds as in HF: gemma2 slides on even layers; gemma3 (layer_types default) slides
    # unless (i + 1) % sliding_window_pattern == 0.
    if model_type == "gemma2":
        sliding = [i % 2 == 0 for i in range(L)]
    elif model_type == "gemma3_text":
        if "layer_types" in cfg:
            sliding = [t == "sliding_attention" for t in cfg["layer_types"]]
        else:
            p = cfg.get("sliding_window_pattern", 6)
            sliding = [(i + 1) % p != 0 for i in range(L)]
    else:
        sliding = [False] * L
    if all_global or window == 0:
        sliding = [False] * L

    emb = w["token_embd.weight"]
    out_w = w.get("output.weight", emb)
    logits = np.zeros((B, T, emb.shape[0]))
    idx = np.arange(T)
    for b in range(B):
        x = emb[ids[b]]  # [T, C]
        if gemma:
            x = x * math.sqrt(C)
        for l in range(L):
            p = f"blk.{l}."
            h = rms_norm(x, w[p + "attn_norm.weight"], eps, gemma)
            q = (h @ w[p + "attn_q.weight"].T).reshape(T, H, D)
            k = (h @ w[p + "attn_k.weight"].T).reshape(T, Hkv, D)
            v = (h @ w[p + "attn_v.weight"].T).reshape(T, Hkv, D)
            if qk_norm:
                q = rms_norm(q, w[p + "attn_q_norm.weight"], eps, True)
                k = rms_norm(k, w[p + "attn_k_norm.weight"], eps, True)
            th = theta_local if (qk_norm and sliding[l]) else theta
            q = apply_rope(q, positions, th)
            k = apply_rope(k, positions, th)
            allowed = idx[None, :] <= idx[:, None]
            if sliding[l]:
                allowed &= (idx[:, None] - idx[None, :]) < window
            attn = np.zeros((T, H, D))
            for hh in range(H):
                kv = hh // (H // Hkv)
                s = (q[:, hh, :] @ k[:, kv, :].T) * scaling
                if attn_cap:
                    s = attn_cap * np.tanh(s / attn_cap)
                s = np.where(allowed, s, -np.inf)
                s = s - s.max(axis=-1, keepdims=True)
                pr = np.exp(s)
                pr /= pr.sum(axis=-1, keepdims=True)
                attn[:, hh, :] = pr @ v[:, kv, :]
            a = attn.reshape(T, H * D) @ w[p + "attn_output.weight"].T
            if post_norms:
                a = rms_norm(a, w[p + "post_attention_norm.weight"], eps, True)
            x = x + a
            h = rms_norm(x, w[p + "ffn_norm.weight"], eps, gemma)
            gate = h @ w[p + "ffn_gate.weight"].T
            up = h @ w[p + "ffn_up.weight"].T
            act = gelu_tanh(gate) if gemma else silu(gate)
            m = (act * up) @ w[p + "ffn_down.weight"].T
            if post_norms:
                m = rms_norm(m, w[p + "post_ffw_norm.weight"], eps, True)
            x = x + m
        x = rms_norm(x, w["output_norm.weight"], eps, gemma)
        lg = x @ out_w.T
        if final_cap and model_type in ("gemma2", "gemma3_text"):
            lg = final_cap * np.tanh(lg / final_cap)
        logits[b] = lg
    return logits


if __name__ == "__main__":
    main()
