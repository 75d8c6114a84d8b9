#!/usr/bin/python3
"""The PyTorch side of bench/train_vs_torch.sh: the same Gemma-3 model as llmkit's, written out in
plain torch (Debian's python3-torch), loaded with llmkit's initial weights (safetensors parsed with
struct/json) and trained on llmkit's batch with torch.optim.AdamW.

usage: torch_train_bench.py DIR [STEPS] [THREADS]   (DIR as written by train_throughput_bench)
Prints one JSON line: first-step loss and tokens/s over the steps after the first."""
import json
import math
import struct
import sys
import time

import numpy as np
import torch


def read_safetensors(path):
    with open(path, "rb") as f:
        data = f.read()
    (n,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8:8 + n])
    base = 8 + n
    out = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        assert info["dtype"] == "F32", name
        b, e = info["data_offsets"]
        arr = np.frombuffer(data[base + b:base + e], dtype="<f4").reshape(info["shape"])
        out[name] = torch.tensor(arr.copy())
    return out


def rms_norm(x, w, eps):  # Gemma: x / rms(x) * (1 + w)
    return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + eps) * (1.0 + w)


def rope(x, theta):  # x [B, T, H, D], half-split rotation
    T, D = x.shape[1], x.shape[3]
    inv = theta ** (-torch.arange(0, D // 2, dtype=torch.float32) * 2.0 / D)
    ang = torch.arange(T, dtype=torch.float32)[:, None] * inv[None, :]
    cos, sin = ang.cos()[None, :, None, :], ang.sin()[None, :, None, :]
    a, b = x[..., : D // 2], x[..., D // 2:]
    return torch.cat([a * cos - b * sin, a * sin + b * cos], dim=-1)


def forward(p, cfg, ids):
    C, H, Hkv, D = cfg["hidden_size"], cfg["num_attention_heads"], cfg["num_key_value_heads"], cfg["head_dim"]
    eps = cfg["rms_norm_eps"]
    B, T = ids.shape
    x = p["token_embd.weight"][ids] * math.sqrt(C)
    idx = torch.arange(T)
    causal = idx[None, :] <= idx[:, None]
    for i, kind in enumerate(cfg["layer_types"]):
        local = kind == "sliding_attention"
        mask = causal & ((idx[:, None] - idx[None, :]) < cfg["sliding_window"]) if local else causal
        theta = cfg["rope_local_base_freq"] if local else cfg["rope_theta"]
        g = lambda n: p[f"blk.{i}.{n}.weight"]
        h = rms_norm(x, g("attn_norm"), eps)
        q = (h @ g("attn_q").t()).view(B, T, H, D)
        k = (h @ g("attn_k").t()).view(B, T, Hkv, D)
        v = (h @ g("attn_v").t()).view(B, T, Hkv, D)
        q, k = rms_norm(q, g("attn_q_norm"), eps), rms_norm(k, g("attn_k_norm"), eps)
        q, k = rope(q, theta), rope(k, theta)
        q, k, v = q.transpose(1, 2), k.transpose(1, 2), v.transpose(1, 2)
        k = k.repeat_interleave(H // Hkv, dim=1)
        v = v.repeat_interleave(H // Hkv, dim=1)
        s = (q @ k.transpose(-1, -2)) * cfg["query_pre_attn_scalar"] ** -0.5
        s = s.masked_fill(~mask, float("-inf"))
        o = (torch.softmax(s, dim=-1) @ v).transpose(1, 2).reshape(B, T, H * D)
        x = x + rms_norm(o @ g("attn_output").t(), g("post_attention_norm"), eps)
        h = rms_norm(x, g("ffn_norm"), eps)
        gate = torch.nn.functional.gelu(h @ g("ffn_gate").t(), approximate="tanh")
        m = (gate * (h @ g("ffn_up").t())) @ g("ffn_down").t()
        x = x + rms_norm(m, g("post_ffw_norm"), eps)
    x = rms_norm(x, p["output_norm.weight"], eps)
    return x @ p["token_embd.weight"].t()


def main():
    d = sys.argv[1]
    steps = int(sys.argv[2]) if len(sys.argv) > 2 else 6
    threads = int(sys.argv[3]) if len(sys.argv) > 3 else 2
    torch.set_num_threads(threads)
    cfg = json.load(open(f"{d}/model/config.json"))
    params = read_safetensors(f"{d}/model/model.safetensors")
    for t in params.values():
        t.requires_grad_(True)
    raw = np.fromfile(f"{d}/batch.bin", dtype="<i4")
    half = raw.size // 2
    inputs = torch.tensor(raw[:half].reshape(8, -1).astype(np.int64))
    targets = torch.tensor(raw[half:].reshape(8, -1).astype(np.int64))
    B, T = inputs.shape
    decay = [t for t in params.values() if t.dim() >= 2]
    plain = [t for t in params.values() if t.dim() < 2]
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": 0.0},
                             {"params": plain, "weight_decay": 0.0}], lr=1e-3)
    first, timed = 0.0, 0.0
    for s in range(steps):
        t0 = time.perf_counter()
        opt.zero_grad()
        logits = forward(params, cfg, inputs)
        loss = torch.nn.functional.cross_entropy(logits.reshape(B * T, -1), targets.reshape(-1))
        if s == 0:
            first = loss.item()
        loss.backward()
        opt.step()
        if s > 0:
            timed += time.perf_counter() - t0
    tps = B * T * (steps - 1) / timed if steps > 1 else 0.0
    print(json.dumps({"impl": "pytorch " + torch.__version__, "threads": threads, "steps": steps,
                      "first_loss": round(first, 7), "tokens_per_s": round(tps, 1)}))


if __name__ == "__main__":
    main()
