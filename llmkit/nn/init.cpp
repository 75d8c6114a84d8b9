#include "llmkit/nn/init.h"

#include <cmath>

namespace llmkit::nn {

Tensor init_normal(const Shape& shape, float std, Generator& gen) {
  return randn(shape, gen, 0.0f, std);
}

Tensor init_uniform_fan_in(const Shape& shape, Generator& gen) {
  LLMKIT_CHECK(!shape.empty() && shape.back() > 0, "init_uniform_fan_in: shape ",
               shape_to_string(shape), " has no fan-in dimension");
  float bound = 1.0f / std::sqrt(static_cast<float>(shape.back()));
  return rand(shape, gen, -bound, bound);
}

Tensor init_scaled_residual(const Shape& shape, float std, int64_t n_layer, Generator& gen) {
  LLMKIT_CHECK(n_layer > 0, "init_scaled_residual: n_layer must be positive, got ", n_layer);
  return randn(shape, gen, 0.0f, std / std::sqrt(2.0f * static_cast<float>(n_layer)));
}

}  // namespace llmkit::nn
