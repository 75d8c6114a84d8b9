// BertModel: a trainable BERT-style bidirectional encoder for text embeddings, laid out exactly as
// llama.cpp's "bert" architecture (src/models/bert.cpp) so that the GGUF export (bert_gguf.h) is
// read by llama.cpp and by infer's BertEncoder with no conversion.
//
//   x = token_embd[ids] + position_embd[0 .. T-1] + token_types[0]        [B, T, C]
//   x = LayerNorm_{token_embd_norm}(x)
//   per block N (post-norm):
//     a = attn_output(attention(attn_q(x), attn_k(x), attn_v(x)))         bidirectional, all heads
//         (scale 1/sqrt(D), no mask: every token sees every token of its own row)
//     h = LayerNorm_{attn_output_norm}(x + a)
//     x = LayerNorm_{layer_output_norm}(h + ffn_down(gelu(ffn_up(h))))
//   hidden = x                                                             [B, T, C]
//   pooled = mean over T of hidden, then divided by its L2 norm            [B, C]
//
// GELU is the exact erf form (BERT's "gelu", and infer::BertEncoder's default, so the inference
// path reproduces training exactly); llama.cpp's bert graph computes ggml_gelu, the tanh
// approximation, which moved the unit embeddings of a random model (weights N(0, 0.3^2)) by
// <= 3e-4 per element (llama.cpp loads the export and tokenizes it identically). Token type is
// always 0 ("sentence A"), as llama.cpp hard-codes it. Every Linear has a bias.
// Parameter names are the GGUF tensor names (token_embd.weight, token_types.weight,
// position_embd.weight, token_embd_norm.{weight,bias}, blk.N.attn_{q,k,v,output}.{weight,bias},
// blk.N.attn_output_norm.{weight,bias}, blk.N.ffn_{up,down}.{weight,bias},
// blk.N.layer_output_norm.{weight,bias}), in that order (bert_tensor_specs()).
//
// Padding: the attention has no key mask, so a row of a batch must not contain padding. embed()
// therefore groups sequences of equal length into one forward each; callers that build [B, T]
// batches themselves must do the same.
// Ownership and threading as nn::Module.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "llmkit/nn/linear.h"
#include "llmkit/nn/norm.h"
#include "llmkit/tensor/shape.h"

namespace llmkit::models {

struct BertConfig {
  int64_t n_vocab = 0;
  int64_t n_ctx = 256;  // position_embd rows: the longest sequence (BOS included)
  int64_t n_embd = 128;
  int64_t n_head = 4;
  int64_t n_ff = 512;
  int64_t n_layer = 2;
  int64_t n_token_types = 2;
  float norm_eps = 1e-12f;
  float init_std = 0.02f;
};

// Throws Error(kInvalidArgument) naming the field when a size is not positive or n_embd is not a
// multiple of n_head.
void validate(const BertConfig& config);

// JSON of the config (field names as above) and back; unknown keys are errors, missing keys keep
// their defaults. Errors name `what` (e.g. the file).
std::string bert_config_to_json(const BertConfig& config);
BertConfig bert_config_from_json(const std::string& text, const std::string& what = "config");

struct BertTensorSpec {
  std::string name;
  Shape shape;
};
// Every parameter of the model, in registration order.
std::vector<BertTensorSpec> bert_tensor_specs(const BertConfig& config);

class BertLayer : public nn::Module {
 public:
  BertLayer(const BertConfig& config, Generator& gen);
  // x [B, T, C] -> [B, T, C].
  Tensor forward(const Tensor& x) const;

 private:
  BertConfig config_;
  std::shared_ptr<nn::Linear> q_, k_, v_, o_, up_, down_;
  std::shared_ptr<nn::LayerNorm> attn_norm_, out_norm_;
};

class BertModel : public nn::Module {
 public:
  // Validates config; matrices and embeddings N(0, init_std^2), biases 0, LayerNorms 1 / 0.
  BertModel(const BertConfig& config, uint64_t seed = 0);

  // ids i32 [B, T], 1 <= T <= n_ctx, ids in [0, n_vocab) -> hidden f32 [B, T, C].
  Tensor forward(const Tensor& ids) const;
  // ids i32 [B, T] -> L2-normalised mean-pooled embeddings f32 [B, C].
  Tensor pooled(const Tensor& ids) const;
  // Embeddings f32 [N, C] of N sequences of any lengths (each 1 .. n_ctx tokens), row i for
  // sequences[i]; sequences of equal length share one forward.
  Tensor embed(const std::vector<std::vector<int32_t>>& sequences) const;

  const BertConfig& config() const { return config_; }

 private:
  BertConfig config_;
  std::shared_ptr<nn::Embedding> token_embd_, token_types_, position_embd_;
  std::shared_ptr<nn::LayerNorm> embd_norm_;
  std::vector<std::shared_ptr<BertLayer>> layers_;
};

// Mean over axis 1 then L2 normalisation: hidden [B, T, C] -> [B, C] (differentiable).
Tensor mean_pool_normalize(const Tensor& hidden);
// Rows divided by their L2 norm: x [N, C] -> [N, C] (differentiable; eps 1e-12 under the root).
Tensor l2_normalize(const Tensor& x);

}  // namespace llmkit::models
