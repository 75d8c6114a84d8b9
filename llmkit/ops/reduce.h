// Reductions over any set of axes (raw: no autograd). Inputs may be f32, f16, bf16 or i32; values
// are accumulated in double per output element (so sums of millions of elements stay accurate);
// outputs are f32, argmax/argmin outputs i32. An empty axes list reduces over every axis; negative
// axes count from the end; a repeated axis is an error. NaN propagates through every reduction.
// Reducing over a zero-size axis gives 0 (sum), NaN (mean, var), -inf (logsumexp), and throws
// Error for max/min/argmax/argmin.
#pragma once

#include <vector>

#include "llmkit/tensor/tensor.h"

namespace llmkit::ops {

enum class ReduceOp { kSum, kMean, kMax, kMin, kLogSumExp };

Tensor reduce(ReduceOp op, const Tensor& x, const std::vector<int64_t>& axes = {},
              bool keepdim = false);
Tensor sum(const Tensor& x, const std::vector<int64_t>& axes = {}, bool keepdim = false);
Tensor mean(const Tensor& x, const std::vector<int64_t>& axes = {}, bool keepdim = false);
Tensor max(const Tensor& x, const std::vector<int64_t>& axes = {}, bool keepdim = false);
Tensor min(const Tensor& x, const std::vector<int64_t>& axes = {}, bool keepdim = false);
Tensor logsumexp(const Tensor& x, const std::vector<int64_t>& axes = {}, bool keepdim = false);
// Variance with `correction` >= 0 (0: population, 1: sample); NaN where N - correction <= 0.
Tensor var(const Tensor& x, const std::vector<int64_t>& axes = {}, bool keepdim = false,
           int64_t correction = 0);
// Index of the first maximum/minimum along one axis, i32.
Tensor argmax(const Tensor& x, int64_t axis, bool keepdim = false);
Tensor argmin(const Tensor& x, int64_t axis, bool keepdim = false);

// The shape a reduction over `axes` produces (size-1 entries for reduced axes when keepdim);
// validates axes like the reductions do (`what` names the operation in errors).
Shape reduce_shape(const Shape& shape, const std::vector<int64_t>& axes, bool keepdim,
                   const char* what = "reduce");

// Sums x over the dimensions that broadcasting expanded, so the result has `shape` (the inverse
// of expand; used by the backward of broadcasting ops). Throws unless x's shape is `shape`
// broadcast. The result is f32 (x itself when it is already f32, contiguous and of that shape).
Tensor sum_to(const Tensor& x, const Shape& shape);

}  // namespace llmkit::ops
