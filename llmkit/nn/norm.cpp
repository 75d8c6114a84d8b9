#include "llmkit/nn/norm.h"

#include "llmkit/autograd/functions.h"

namespace llmkit::nn {

RMSNorm::RMSNorm(int64_t dim, float eps, bool unit_offset) : eps_(eps), unit_offset_(unit_offset) {
  weight_ = register_parameter("weight", unit_offset ? zeros({dim}) : ones({dim}));
}

Tensor RMSNorm::forward(const Tensor& x) const {
  LLMKIT_CHECK(x.dim() >= 1 && x.size(-1) == weight_.size(0), "RMSNorm: input ", describe(x),
               " does not end in ", weight_.size(0));
  return rms_norm(x, weight_, eps_, unit_offset_);
}

LayerNorm::LayerNorm(int64_t dim, float eps, bool bias) : eps_(eps) {
  weight_ = register_parameter("weight", ones({dim}));
  if (bias) bias_ = register_parameter("bias", zeros({dim}));
}

Tensor LayerNorm::forward(const Tensor& x) const {
  LLMKIT_CHECK(x.dim() >= 1 && x.size(-1) == weight_.size(0), "LayerNorm: input ", describe(x),
               " does not end in ", weight_.size(0));
  return layer_norm(x, weight_, bias_, eps_);
}

}  // namespace llmkit::nn
