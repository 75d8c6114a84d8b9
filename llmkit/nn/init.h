// Parameter initialisers. Each returns a new f32 tensor drawn from gen (advancing it).
#pragma once

#include "llmkit/tensor/creation.h"

namespace llmkit::nn {

// N(0, std^2).
Tensor init_normal(const Shape& shape, float std, Generator& gen);
// U(-bound, bound) with bound = 1/sqrt(fan_in) (PyTorch's Linear default); fan_in = shape.back().
Tensor init_uniform_fan_in(const Shape& shape, Generator& gen);
// GPT-2 style scaled residual init: N(0, (std / sqrt(2 * n_layer))^2) for projections that write
// into the residual stream, so its variance does not grow with depth.
Tensor init_scaled_residual(const Shape& shape, float std, int64_t n_layer, Generator& gen);

}  // namespace llmkit::nn
