// TransformerLM: the trainable decoder-only language model of any supported architecture, built
// from a ModelConfig out of nn:: blocks (one nn::TransformerBlock per layer, each with the
// BlockConfig its architecture file gives it: window, RoPE base, norms, activation).
//
//   x      = embed(ids) * embedding_scale                     [B, T, C]
//   x      = blk.N(x, positions) for N = 0 .. n_layer - 1
//   logits = output_norm(x) @ W^T                              [B, T, V]
//            (W = token_embd.weight when tied, else output.weight)
//   logits = cap * tanh(logits / cap)   when the architecture has a final soft-cap
//
// Parameter names are the GGUF tensor names of tensor_names.h (token_embd.weight,
// blk.N.attn_q.weight, ..., output_norm.weight, output.weight), in tensor_specs() order.
// Ownership and threading as nn::Module: forward() on one model from several threads is safe.
#pragma once

#include <memory>
#include <vector>

#include "llmkit/models/model_config.h"
#include "llmkit/nn/linear.h"
#include "llmkit/nn/norm.h"
#include "llmkit/nn/transformer_block.h"

namespace llmkit::models {

class TransformerLM : public nn::Module {
 public:
  // Validates config (Error naming the field) and draws the initial weights from gen in
  // tensor_specs() order: N(0, init_std^2), attn_output and ffn_down N(0, init_std^2 / (2
  // n_layer)), norms at their identity value.
  TransformerLM(const ModelConfig& config, Generator& gen);
  explicit TransformerLM(const ModelConfig& config, uint64_t seed = 0);

  // ids: i32 [B, T] with T <= n_ctx and ids in [0, n_vocab) -> logits f32 [B, T, V], positions
  // 0 .. T-1.
  Tensor forward(const Tensor& ids) const;
  // positions: i32 [T], the RoPE position of each column (shared by the batch). Attention stays
  // causal over the T columns (column t sees columns <= t, within the window of local layers).
  Tensor forward(const Tensor& ids, const Tensor& positions) const;

  // Logits and the final hidden states (after output_norm, the input of the output matrix):
  // logits f32 [B, T, V], hidden f32 [B, T, C]; positions 0 .. T-1.
  struct Outputs {
    Tensor logits;
    Tensor hidden;
  };
  Outputs forward_with_hidden(const Tensor& ids) const;

  // The validated config, with derived sizes made explicit (resolve()).
  const ModelConfig& config() const { return config_; }

 private:
  Outputs run(const Tensor& ids, const Tensor& positions) const;

  ModelConfig config_;
  float embedding_scale_ = 1.0f;
  float final_softcap_ = 0.0f;
  std::shared_ptr<nn::Embedding> token_embd_;
  std::vector<std::shared_ptr<nn::TransformerBlock>> blocks_;
  std::shared_ptr<nn::RMSNorm> output_norm_;
  std::shared_ptr<nn::Linear> output_;  // null when tied
};

}  // namespace llmkit::models
