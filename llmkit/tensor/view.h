// Raw (non-differentiable) layout functions. Views share storage with their input; functions that
// must copy say so. The differentiable versions are in llmkit/autograd/functions.h.
#pragma once

#include "llmkit/tensor/tensor.h"

namespace llmkit::ops {

// One entry of `shape` may be -1 (inferred). A view when x is contiguous, else a copy.
Tensor reshape(const Tensor& x, Shape shape);
// Like reshape but never copies: throws if x is not contiguous.
Tensor view(const Tensor& x, Shape shape);
Tensor transpose(const Tensor& x, int64_t axis0, int64_t axis1);
Tensor permute(const Tensor& x, const std::vector<int64_t>& axes);
// Elements start, start+step, ... < stop along axis (Python slice semantics; negative start/stop
// count from the end and are clamped; step >= 1).
Tensor slice(const Tensor& x, int64_t axis, int64_t start, int64_t stop, int64_t step = 1);
// The sub-tensor at `index` along axis, with that axis removed.
Tensor select(const Tensor& x, int64_t axis, int64_t index);
// NumPy broadcast_to: size-1 (or missing leading) dimensions get stride 0.
Tensor expand(const Tensor& x, const Shape& shape);
Tensor squeeze(const Tensor& x, int64_t axis);
Tensor unsqueeze(const Tensor& x, int64_t axis);

// x itself when contiguous, else a contiguous copy.
Tensor contiguous(const Tensor& x);
// Always a new contiguous copy.
Tensor clone(const Tensor& x);
// Converted copy (or x itself when it already has that dtype and is contiguous).
Tensor to_dtype(const Tensor& x, DType dtype);
// Writes src (broadcast to dst's shape, converted to dst's dtype) into dst's elements.
void copy_into(const Tensor& dst, const Tensor& src);

}  // namespace llmkit::ops
