#include "llmkit/nn/linear.h"

#include "llmkit/autograd/functions.h"
#include "llmkit/nn/init.h"

namespace llmkit::nn {

Linear::Linear(int64_t in_features, int64_t out_features, bool bias, Generator& gen,
               float init_std) {
  LLMKIT_CHECK(in_features > 0 && out_features > 0,
               "Linear: features must be positive, got in=", in_features, " out=", out_features);
  Shape shape{out_features, in_features};
  weight_ = register_parameter(
      "weight", init_std > 0 ? init_normal(shape, init_std, gen) : init_uniform_fan_in(shape, gen));
  if (bias) bias_ = register_parameter("bias", zeros({out_features}));
}

Tensor Linear::forward(const Tensor& x) const {
  LLMKIT_CHECK(x.dim() >= 1 && x.size(-1) == in_features(), "Linear: input ", describe(x),
               " does not end in in_features = ", in_features());
  return linear(x, weight_, bias_);
}

Embedding::Embedding(int64_t n_vocab, int64_t n_embd, Generator& gen, float init_std) {
  LLMKIT_CHECK(n_vocab > 0 && n_embd > 0, "Embedding: sizes must be positive, got ", n_vocab, "x",
               n_embd);
  weight_ = register_parameter("weight", init_normal({n_vocab, n_embd}, init_std, gen));
}

Tensor Embedding::forward(const Tensor& ids) const {
  return embedding(weight_, ids);
}

Dropout::Dropout(float p, uint64_t seed) : p_(p), gen_(seed) {
  LLMKIT_CHECK(p >= 0.0f && p < 1.0f, "Dropout: p must be in [0, 1), got ", p);
}

Tensor Dropout::forward(const Tensor& x) {
  if (!is_training() || p_ == 0.0f) return x;
  Tensor keep = ge(rand(x.shape(), gen_), full({}, p_));
  return mul(x, mul_scalar(keep, 1.0f / (1.0f - p_)));
}

}  // namespace llmkit::nn
