// Row kernels of the softmax family over one contiguous f32 row of n elements (n may be 0).
// Internal to llmkit/ops (softmax.cpp drives them over tensors); exposed for the tests that hold
// the SIMD versions to the scalar references.
//
// Contract: y may not alias x. A row whose maximum is -inf (all -inf) gives softmax 0 everywhere
// and log_softmax -inf everywhere, never NaN.
#pragma once

#include <cstdint>

namespace llmkit::ops {

// Highway versions, dispatched at run time to the best instruction set of the machine.
void softmax_row(const float* x, float* y, int64_t n);
void log_softmax_row(const float* x, float* y, int64_t n);

namespace ref {
// Scalar references: the same algorithm (max subtracted, f32 sums) one element at a time.
void softmax_row(const float* x, float* y, int64_t n);
void log_softmax_row(const float* x, float* y, int64_t n);
}  // namespace ref

}  // namespace llmkit::ops
