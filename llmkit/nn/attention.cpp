#include "llmkit/nn/attention.h"

#include <cmath>

#include "llmkit/autograd/functions.h"

namespace llmkit::nn {

CausalSelfAttention::CausalSelfAttention(const AttentionConfig& config, Generator& gen)
    : config_(config) {
  AttentionConfig& c = config_;
  LLMKIT_CHECK(c.n_embd > 0 && c.n_head > 0, "attention: n_embd and n_head must be positive");
  if (c.n_head_kv == 0) c.n_head_kv = c.n_head;
  if (c.head_dim == 0) {
    LLMKIT_CHECK(c.n_embd % c.n_head == 0, "attention: n_embd ", c.n_embd,
                 " is not divisible by n_head ", c.n_head, "; set head_dim explicitly");
    c.head_dim = c.n_embd / c.n_head;
  }
  LLMKIT_CHECK(c.n_head % c.n_head_kv == 0, "attention: n_head ", c.n_head,
               " is not a multiple of n_head_kv ", c.n_head_kv);
  LLMKIT_CHECK(c.head_dim % 2 == 0, "attention: head_dim ", c.head_dim, " must be even for RoPE");
  if (c.query_scale == 0.0f) c.query_scale = 1.0f / std::sqrt(static_cast<float>(c.head_dim));
  float out_std =
      c.n_layer_for_init > 0 ? c.init_std / std::sqrt(2.0f * c.n_layer_for_init) : c.init_std;
  q_ = register_module(
      "attn_q", std::make_shared<Linear>(c.n_embd, c.n_head * c.head_dim, c.bias, gen, c.init_std));
  k_ = register_module("attn_k", std::make_shared<Linear>(c.n_embd, c.n_head_kv * c.head_dim,
                                                          c.bias, gen, c.init_std));
  v_ = register_module("attn_v", std::make_shared<Linear>(c.n_embd, c.n_head_kv * c.head_dim,
                                                          c.bias, gen, c.init_std));
  o_ = register_module("attn_output", std::make_shared<Linear>(c.n_head * c.head_dim, c.n_embd,
                                                               c.bias, gen, out_std));
  if (c.qk_norm) {
    q_norm_ = register_module(
        "attn_q_norm", std::make_shared<RMSNorm>(c.head_dim, c.norm_eps, c.norm_unit_offset));
    k_norm_ = register_module(
        "attn_k_norm", std::make_shared<RMSNorm>(c.head_dim, c.norm_eps, c.norm_unit_offset));
  }
}

Tensor CausalSelfAttention::forward(const Tensor& x, const Tensor& positions) const {
  const AttentionConfig& c = config_;
  LLMKIT_CHECK(x.dim() == 3 && x.size(2) == c.n_embd, "attention: input ", describe(x),
               " must be [B, T, ", c.n_embd, "]");
  LLMKIT_CHECK(positions.dim() == 1 && positions.size(0) == x.size(1), "attention: positions ",
               describe(positions), " must be [T] with T = ", x.size(1));
  int64_t B = x.size(0), T = x.size(1), H = c.n_head, Hkv = c.n_head_kv, D = c.head_dim;
  Tensor q = reshape(q_->forward(x), {B, T, H, D});
  Tensor k = reshape(k_->forward(x), {B, T, Hkv, D});
  Tensor v = reshape(v_->forward(x), {B, T, Hkv, D});
  if (c.qk_norm) {
    q = q_norm_->forward(q);
    k = k_norm_->forward(k);
  }
  q = rope(q, positions, c.rope_theta);
  k = rope(k, positions, c.rope_theta);
  ops::AttentionOptions options;
  options.scale = c.query_scale;
  options.softcap = c.softcap;
  options.window = c.window;
  options.causal = true;
  Tensor out =
      llmkit::attention(transpose(q, 1, 2), transpose(k, 1, 2), transpose(v, 1, 2), options);
  return o_->forward(reshape(transpose(out, 1, 2), {B, T, H * D}));
}

}  // namespace llmkit::nn
