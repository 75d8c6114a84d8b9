// Row kernels of the fused inference forward (session.cpp) on raw f32 buffers. Each uses the same
// arithmetic as the training path's op (ops::rms_norm, ops::attention, the GeGLU / SwiGLU of
// nn::Mlp), so that the two paths agree to rounding. Multi-threaded on the current Context.
#pragma once

#include <cstdint>

#include "llmkit/infer/kv_cache.h"

namespace llmkit::infer {

// y[r, :] = x[r, :] * (1 / sqrt(mean(x[r, :]^2) + eps)) * g for n rows of d floats (row-major);
// g holds the full multipliers (1 + w for Gemma's norms). y may equal x.
void rms_norm_rows(const float* x, float* y, int64_t n, int64_t d, const float* g, float eps);

// gate[i] = act(gate[i]) * up[i] for i < n, act = tanh-approximated GELU (gelu) or SiLU.
void gated_activation(float* gate, const float* up, int64_t n, bool gelu);

// x[i] += y[i] for i < n.
void add_inplace(float* x, const float* y, int64_t n);

// Causal attention of T queries at positions pos0 .. pos0 + T - 1 over the cache of `layer` (the
// keys and values of positions 0 .. pos0 + T - 1 must be written). q: [T, H, D] (row-major);
// out: [T, H, D]. Query head h reads kv head h / (H / Hkv). Query at position p sees keys
// [max(0, p - window + 1), p] (window 0: [0, p]); logits = scale * q.k, soft-capped as
// softcap * tanh(logits / softcap) when softcap > 0; softmax online in blocks, as ops::attention.
struct AttentionShape {
  int64_t n_head = 0, n_head_kv = 0, head_dim = 0;
  float scale = 1.0f, softcap = 0.0f;
  int64_t window = 0;
};
void cached_attention(const KvCache& cache, int64_t layer, const AttentionShape& shape,
                      const float* q, int64_t T, int64_t pos0, float* out);

}  // namespace llmkit::infer
