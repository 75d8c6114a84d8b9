// Gather/scatter and joining (raw: no autograd). Index tensors are i32; out-of-range indices throw
// Error(kOutOfRange) naming the bad index and the valid range.
#pragma once

#include <vector>

#include "llmkit/tensor/tensor.h"

namespace llmkit::ops {

// Rows of x along axis picked by idx (any shape): result shape = x.shape with dimension `axis`
// replaced by idx.shape. Embedding lookup is index_select(table [V, C], 0, ids [B, T]) -> [B, T,
// C].
Tensor index_select(const Tensor& x, int64_t axis, const Tensor& idx);
// The adjoint of index_select: out (zeros of `shape`) with src slices added at idx along axis.
Tensor index_add(const Shape& shape, int64_t axis, const Tensor& idx, const Tensor& src);

Tensor concat(const std::vector<Tensor>& xs, int64_t axis);
Tensor stack(const std::vector<Tensor>& xs, int64_t axis);
// idx (i32, any shape) -> f32 [..., n_classes].
Tensor one_hot(const Tensor& idx, int64_t n_classes);

}  // namespace llmkit::ops
