// Causal self-attention with RoPE and grouped KV heads (MHA: n_head_kv == n_head; GQA: divides it;
// MQA: 1), optional QK-norm (RMSNorm over the head dim), logit soft-capping and a sliding window.
//
// x [B, T, C], positions i32 [T] -> [B, T, C].
// Parameter names (GGUF): attn_q.weight [H*D, C], attn_k.weight [Hkv*D, C], attn_v.weight
// [Hkv*D, C], attn_output.weight [C, H*D], attn_q_norm.weight [D], attn_k_norm.weight [D].
#pragma once

#include <memory>

#include "llmkit/nn/linear.h"
#include "llmkit/nn/norm.h"

namespace llmkit::nn {

struct AttentionConfig {
  int64_t n_embd = 0;
  int64_t n_head = 0;
  int64_t n_head_kv = 0;
  int64_t head_dim = 0;  // 0: n_embd / n_head
  float rope_theta = 10000.0f;
  bool qk_norm = false;
  float norm_eps = 1e-6f;
  bool norm_unit_offset = false;  // Gemma's (1 + w) RMSNorm for the QK-norm
  float query_scale = 0.0f;       // 0: 1 / sqrt(head_dim)
  float softcap = 0.0f;           // 0: none
  int64_t window = 0;             // 0: global attention
  bool bias = false;
  float init_std = 0.02f;
  int64_t n_layer_for_init = 0;  // > 0: scaled residual init of attn_output
};

class CausalSelfAttention : public Module {
 public:
  CausalSelfAttention(const AttentionConfig& config, Generator& gen);
  Tensor forward(const Tensor& x, const Tensor& positions) const;
  const AttentionConfig& config() const { return config_; }

 private:
  AttentionConfig config_;
  std::shared_ptr<Linear> q_, k_, v_, o_;
  std::shared_ptr<RMSNorm> q_norm_, k_norm_;
};

}  // namespace llmkit::nn
