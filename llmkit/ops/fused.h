// Fused kernels for Transformer training and inference, each with a hand-derived backward
// (raw: no autograd; llmkit/autograd/fused_fns.h wraps them). All f32.
#pragma once

#include "llmkit/tensor/tensor.h"

namespace llmkit::ops {

// ---- RMSNorm: y = x * rsqrt(mean(x^2) + eps) * (unit_offset ? 1 + w : w), over the last axis.
struct RmsNormResult {
  Tensor y;     // same shape as x
  Tensor rstd;  // x.shape without the last axis: the saved 1/rms
};
RmsNormResult rms_norm(const Tensor& x, const Tensor& w, float eps, bool unit_offset);
struct RmsNormGrads {
  Tensor dx, dw;
};
RmsNormGrads rms_norm_backward(const Tensor& x, const Tensor& w, const Tensor& rstd,
                               const Tensor& dy, bool unit_offset);

// ---- LayerNorm over the last axis: y = (x - mean) * rstd * w + b (b may be undefined).
struct LayerNormResult {
  Tensor y, mean, rstd;
};
LayerNormResult layer_norm(const Tensor& x, const Tensor& w, const Tensor& b, float eps);
struct LayerNormGrads {
  Tensor dx, dw, db;
};
LayerNormGrads layer_norm_backward(const Tensor& x, const Tensor& w, const Tensor& mean,
                                   const Tensor& rstd, const Tensor& dy, bool has_bias);

// ---- RoPE, half-split ("rotate_half", as in HF Gemma/Llama): for each head vector of size D,
// pairs (i, i + D/2) for i < D/2 rotate by angle pos * theta^(-2i/D).
// x: [B, T, H, D] (any strides), positions: i32 [T] (shared by the batch) -> [B, T, H, D].
// inverse = true rotates by the negative angle (the backward).
Tensor rope(const Tensor& x, const Tensor& positions, float theta, bool inverse = false);

// ---- Causal scaled-dot-product attention with grouped KV heads.
// q: [B, H, T, D], k and v: [B, Hkv, S, D] with H % Hkv == 0; query head h reads kv head
// h / (H / Hkv). Query t sits at absolute position (S - T) + t; key s is visible when
// s <= that position (causal) and, with window > 0, when position - s < window.
// logits = scale * q.k; with softcap > 0 they become softcap * tanh(logits / softcap).
struct AttentionOptions {
  float scale = 1.0f;
  float softcap = 0.0f;  // 0: none
  int64_t window = 0;    // 0: unlimited
  bool causal = true;
};
struct AttentionResult {
  Tensor out;  // [B, H, T, D]
  Tensor lse;  // [B, H, T]: log-sum-exp of each row's (capped) logits, saved for backward
               // (-inf for a row that sees no key; its out row is 0)
};
AttentionResult attention(const Tensor& q, const Tensor& k, const Tensor& v,
                          const AttentionOptions& options);
struct AttentionGrads {
  Tensor dq, dk, dv;
};
// Recomputes the probabilities from q, k and lse row by row (memory O(T*D), not O(T*S)).
AttentionGrads attention_backward(const Tensor& q, const Tensor& k, const Tensor& v,
                                  const Tensor& out, const Tensor& lse, const Tensor& dout,
                                  const AttentionOptions& options);

// ---- Cross-entropy: logits [N, V], targets i32 [N]; rows whose target == ignore_index are
// skipped. loss = mean over valid rows of (logsumexp(logits) - logits[target]); 0 when no row is
// valid. Targets outside [0, V) (other than ignore_index) throw Error(kOutOfRange).
struct CrossEntropyResult {
  Tensor loss;  // 0-D
  Tensor lse;   // [N]
  int64_t n_valid = 0;
};
CrossEntropyResult cross_entropy(const Tensor& logits, const Tensor& targets,
                                 int64_t ignore_index = -100);
// dlogits = (softmax(logits) - one_hot(target)) * dloss / n_valid on valid rows, 0 elsewhere.
Tensor cross_entropy_backward(const Tensor& logits, const Tensor& targets, const Tensor& lse,
                              int64_t n_valid, float dloss, int64_t ignore_index = -100);

}  // namespace llmkit::ops
