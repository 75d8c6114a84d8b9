// Tensor creation. Every function returns a new contiguous tensor that owns its storage and does
// not require gradients.
#pragma once

#include <vector>

#include "llmkit/tensor/rng.h"
#include "llmkit/tensor/tensor.h"

namespace llmkit {

Tensor zeros(const Shape& shape, DType dtype = DType::kF32);
Tensor ones(const Shape& shape, DType dtype = DType::kF32);
Tensor full(const Shape& shape, float value, DType dtype = DType::kF32);
Tensor zeros_like(const Tensor& x);
Tensor ones_like(const Tensor& x);
// A 0-D tensor holding value.
Tensor scalar(float value, DType dtype = DType::kF32);
// [ceil((stop - start) / step)] values start, start + step, ...
Tensor arange(double start, double stop, double step = 1.0, DType dtype = DType::kF32);
Tensor arange(int64_t n, DType dtype = DType::kI32);
// Copies values (row-major) into a tensor of `shape`; the counts must match.
Tensor from_vector(const std::vector<float>& values, const Shape& shape, DType dtype = DType::kF32);
Tensor from_ints(const std::vector<int32_t>& values, const Shape& shape);
// Uniform in [low, high) and normal(mean, std), drawn from gen (advancing it by numel).
Tensor rand(const Shape& shape, Generator& gen, float low = 0.0f, float high = 1.0f,
            DType dtype = DType::kF32);
Tensor randn(const Shape& shape, Generator& gen, float mean = 0.0f, float std = 1.0f,
             DType dtype = DType::kF32);

}  // namespace llmkit
