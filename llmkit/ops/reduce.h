// Reductions over any set of axes (raw: no autograd). Inputs of any float dtype are accumulated in
// f32 (sum/mean in double-free pairwise-friendly f32 with Kahan-free blocking); outputs are f32,
// argmax/argmin outputs i32. An empty axes list reduces over every axis.
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
// Variance with `correction` (0: population, 1: sample).
Tensor var(const Tensor& x, const std::vector<int64_t>& axes = {}, bool keepdim = false,
           int64_t correction = 0);
// Index of the first maximum/minimum along one axis, i32.
Tensor argmax(const Tensor& x, int64_t axis, bool keepdim = false);
Tensor argmin(const Tensor& x, int64_t axis, bool keepdim = false);

// Sums x over the dimensions that broadcasting expanded, so the result has `shape` (the inverse
// of expand; used by the backward of broadcasting ops).
Tensor sum_to(const Tensor& x, const Shape& shape);

}  // namespace llmkit::ops
