#include "llmkit/models/transformer_lm.h"

#include "llmkit/autograd/functions.h"
#include "llmkit/base/logging.h"
#include "llmkit/models/arch.h"

namespace llmkit::models {
namespace {
// Lets the seed constructor hand a temporary Generator to the Generator& one (it lives until the
// delegated constructor returns).
Generator& as_lvalue(Generator&& gen) {
  return gen;
}
}  // namespace

TransformerLM::TransformerLM(const ModelConfig& config, Generator& gen) {
  validate(config);
  config_ = resolve(config);
  const ModelConfig& c = config_;
  const ArchTraits& traits = arch_traits(c.arch);
  if (c.rope_scaling != RopeScaling::kNone) {
    LLMKIT_LOG(kWarn, "TransformerLM: ", rope_scaling_name(c.rope_scaling),
               " RoPE scaling is recorded in the config but not applied by the training graph "
               "(positions use plain RoPE with base ",
               c.rope_theta, ")");
  }
  embedding_scale_ = traits.embedding_scale(c);
  final_softcap_ = traits.final_softcap(c);
  // Registration order = parameter order = random draw order (tensor_specs() mirrors it).
  token_embd_ = register_module(
      "token_embd", std::make_shared<nn::Embedding>(c.n_vocab, c.n_embd, gen, c.init_std));
  for (int64_t i = 0; i < c.n_layer; ++i) {
    blocks_.push_back(register_module(str_cat("blk.", i), std::make_shared<nn::TransformerBlock>(
                                                              traits.block_config(c, i), gen)));
  }
  output_norm_ = register_module(
      "output_norm", std::make_shared<nn::RMSNorm>(c.n_embd, c.norm_eps, traits.norm_unit_offset));
  if (!c.tie_embeddings) {
    output_ = register_module(
        "output", std::make_shared<nn::Linear>(c.n_embd, c.n_vocab, false, gen, c.init_std));
  }
}

TransformerLM::TransformerLM(const ModelConfig& config, uint64_t seed)
    : TransformerLM(config, as_lvalue(Generator(seed))) {}

Tensor TransformerLM::forward(const Tensor& ids) const {
  LLMKIT_CHECK(ids.defined() && ids.dim() == 2, "TransformerLM: ids ",
               ids.defined() ? describe(ids) : std::string("(undefined)"), " must be i32 [B, T]");
  return forward(ids, arange(ids.size(1), DType::kI32));
}

Tensor TransformerLM::forward(const Tensor& ids, const Tensor& positions) const {
  return run(ids, positions).logits;
}

TransformerLM::Outputs TransformerLM::forward_with_hidden(const Tensor& ids) const {
  LLMKIT_CHECK(ids.defined() && ids.dim() == 2, "TransformerLM: ids ",
               ids.defined() ? describe(ids) : std::string("(undefined)"), " must be i32 [B, T]");
  return run(ids, arange(ids.size(1), DType::kI32));
}

TransformerLM::Outputs TransformerLM::run(const Tensor& ids, const Tensor& positions) const {
  const ModelConfig& c = config_;
  LLMKIT_CHECK(ids.defined() && ids.dim() == 2 && ids.dtype() == DType::kI32, "TransformerLM: ids ",
               ids.defined() ? describe(ids) : std::string("(undefined)"), " must be i32 [B, T]");
  const int64_t T = ids.size(1);
  LLMKIT_CHECK(T >= 1 && T <= c.n_ctx, "TransformerLM: sequence length T = ", T,
               " must be in [1, n_ctx = ", c.n_ctx, "]");
  LLMKIT_CHECK(positions.defined() && positions.dim() == 1 && positions.size(0) == T &&
                   positions.dtype() == DType::kI32,
               "TransformerLM: positions ",
               positions.defined() ? describe(positions) : std::string("(undefined)"),
               " must be i32 [T] with T = ", T);
  Tensor x = token_embd_->forward(ids);  // [B, T, C]
  if (embedding_scale_ != 1.0f) x = mul_scalar(x, embedding_scale_);
  for (const auto& block : blocks_) x = block->forward(x, positions);
  x = output_norm_->forward(x);
  Tensor logits = output_ ? output_->forward(x) : linear(x, token_embd_->weight());  // [B, T, V]
  if (final_softcap_ > 0.0f) {
    logits = mul_scalar(tanh(mul_scalar(logits, 1.0f / final_softcap_)), final_softcap_);
  }
  return {logits, x};
}

}  // namespace llmkit::models
