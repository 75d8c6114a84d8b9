// f32 element-wise kernels on raw pointers, used by elementwise.cpp: a scalar reference (namespace
// ref) for every op, and Highway SIMD variants (namespace simd, dispatched at run time to the best
// instruction set of the CPU) for the hot ones. Tests compare the two.
//
// Special values: NaN propagates through every op (maximum/minimum included). silu, gelu (both
// forms) map -inf to 0 (their limit), not NaN. The SIMD kernels agree with the references within
// a few ulp; for the gelus, within a few ulp times the condition number 1 + |x f'(x) / f(x)| (their
// exp argument is a rounded polynomial of x, so in the negative tail the last bit of that argument
// already moves the result by more than an ulp, in either implementation).
#pragma once

#include <cstdint>

#include "llmkit/ops/elementwise.h"

namespace llmkit::ops {
namespace ref {

float unary(UnaryOp op, float x);
// y[i] = op(x[i]) for i < n; x and y may be the same array.
void unary_f32(UnaryOp op, const float* x, float* y, int64_t n);

// Arithmetic result, or 1/0 for comparisons.
float binary(BinaryOp op, float a, float b);
// out[i] = op(a[i * sa], b[i * sb]) for i < n (strides in elements, may be 0).
void binary_f32(BinaryOp op, const float* a, int64_t sa, const float* b, int64_t sb, float* out,
                int64_t n);

}  // namespace ref

namespace simd {

// True for exp, tanh, sigmoid, silu, gelu (both), relu.
bool has_unary(UnaryOp op);
// Like ref::unary_f32; op must satisfy has_unary.
void unary_f32(UnaryOp op, const float* x, float* y, int64_t n);

// True for add, sub, mul, div, maximum, minimum.
bool has_binary(BinaryOp op);
// Like ref::binary_f32 with sa, sb in {0, 1}; op must satisfy has_binary.
void binary_f32(BinaryOp op, const float* a, int64_t sa, const float* b, int64_t sb, float* out,
                int64_t n);

// Name of the instruction set the dispatcher picked ("AVX2", "AVX3", ...).
const char* target_name();

}  // namespace simd
}  // namespace llmkit::ops
