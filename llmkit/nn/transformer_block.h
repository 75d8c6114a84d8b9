// Pre-norm Transformer decoder block:
//   h   = x + post_attention_norm(attn(attn_norm(x), positions))
//   out = h + post_ffw_norm(mlp(ffn_norm(h)))
// where the post-norms exist only when post_norms is set (Gemma 2/3) and are identity otherwise.
// x [B, T, C], positions i32 [T] -> [B, T, C].
// Parameter names (GGUF, relative to the block): attn_norm.weight, post_attention_norm.weight,
// ffn_norm.weight, post_ffw_norm.weight, plus those of CausalSelfAttention and Mlp.
#pragma once

#include <memory>

#include "llmkit/nn/attention.h"
#include "llmkit/nn/mlp.h"
#include "llmkit/nn/norm.h"

namespace llmkit::nn {

struct BlockConfig {
  AttentionConfig attention;
  MlpConfig mlp;
  float norm_eps = 1e-6f;
  bool norm_unit_offset = false;  // Gemma's (1 + w)
  bool post_norms = false;
};

class TransformerBlock : public Module {
 public:
  TransformerBlock(const BlockConfig& config, Generator& gen);
  Tensor forward(const Tensor& x, const Tensor& positions) const;

 private:
  BlockConfig config_;
  std::shared_ptr<RMSNorm> attn_norm_, post_attn_norm_, ffn_norm_, post_ffw_norm_;
  std::shared_ptr<CausalSelfAttention> attn_;
  std::shared_ptr<Mlp> mlp_;
};

}  // namespace llmkit::nn
