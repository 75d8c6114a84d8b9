#include "llmkit/nn/transformer_block.h"

#include "llmkit/autograd/functions.h"

namespace llmkit::nn {

TransformerBlock::TransformerBlock(const BlockConfig& config, Generator& gen) : config_(config) {
  int64_t C = config.attention.n_embd;
  LLMKIT_CHECK(config.mlp.n_embd == C, "TransformerBlock: attention n_embd ", C,
               " differs from mlp n_embd ", config.mlp.n_embd);
  auto norm = [&] {
    return std::make_shared<RMSNorm>(C, config.norm_eps, config.norm_unit_offset);
  };
  attn_norm_ = register_module("attn_norm", norm());
  attn_ = register_module("", std::make_shared<CausalSelfAttention>(config.attention, gen));
  if (config.post_norms) post_attn_norm_ = register_module("post_attention_norm", norm());
  ffn_norm_ = register_module("ffn_norm", norm());
  mlp_ = register_module("", std::make_shared<Mlp>(config.mlp, gen));
  if (config.post_norms) post_ffw_norm_ = register_module("post_ffw_norm", norm());
}

Tensor TransformerBlock::forward(const Tensor& x, const Tensor& positions) const {
  Tensor a = attn_->forward(attn_norm_->forward(x), positions);
  if (post_attn_norm_) a = post_attn_norm_->forward(a);
  Tensor h = add(x, a);
  Tensor m = mlp_->forward(ffn_norm_->forward(h));
  if (post_ffw_norm_) m = post_ffw_norm_->forward(m);
  return add(h, m);
}

}  // namespace llmkit::nn
