// Element-wise kernels with NumPy broadcasting (raw: no autograd).
//
// Dtypes: float inputs (f32/f16/bf16) are computed in f32 and the result has the promoted dtype of
// the operands (see promote_dtypes); comparisons return f32 0/1 masks. i32 operands are allowed in
// add/sub/mul/maximum/minimum/comparisons (computed exactly in i32 when both are i32; overflow
// wraps). An i32 operand next to a float one is converted to that float dtype (so div/pow accept
// it); div/pow of two i32 operands, and unary ops on i32, throw Error.
// Operands may be any strided views (broadcast, transposed, sliced); results are new contiguous
// tensors of the broadcast shape. Large loops are split over the current Context's threads.
// Each kernel has a scalar reference (namespace ref, llmkit/ops/elementwise_kernels.h) that the
// SIMD path is tested against. NaN propagates (maximum/minimum included); silu and gelu map -inf
// to 0.
#pragma once

#include "llmkit/tensor/tensor.h"

namespace llmkit::ops {

// clang-format off
enum class UnaryOp {
  kNeg, kExp, kLog, kSqrt, kRsqrt, kTanh, kAbs, kSquare, kReciprocal, kSigmoid,
  kRelu, kSilu, kGeluExact, kGeluTanh, kSin, kCos,
};
// clang-format on
const char* unary_op_name(UnaryOp op);

// clang-format off
enum class BinaryOp {
  kAdd, kSub, kMul, kDiv, kPow, kMaximum, kMinimum,
  kEq, kNe, kLt, kLe, kGt, kGe,
};
// clang-format on
const char* binary_op_name(BinaryOp op);

Tensor unary(UnaryOp op, const Tensor& x);
Tensor binary(BinaryOp op, const Tensor& a, const Tensor& b);

// d(op(x))/dx * grad, fused (x is the input of the forward, y its output). x, y and grad share
// one shape; the result is a new contiguous f32 tensor. relu and abs take derivative 0 at 0.
Tensor unary_backward(UnaryOp op, const Tensor& x, const Tensor& y, const Tensor& grad);

// Scalar forms: x op s (computed in f32, result keeps x's float dtype; f32 for i32 x).
Tensor add_scalar(const Tensor& x, float s);
Tensor mul_scalar(const Tensor& x, float s);
Tensor pow_scalar(const Tensor& x, float exponent);
Tensor clamp(const Tensor& x, float low, float high);  // throws if low > high

// cond != 0 ? a : b, all three broadcast together; result dtype is promote(a, b).
Tensor where(const Tensor& cond, const Tensor& a, const Tensor& b);
// x where mask == 0, value where mask != 0 (mask broadcast to x; result keeps x's dtype).
Tensor masked_fill(const Tensor& x, const Tensor& mask, float value);

// dst += alpha * src, in place (src broadcast to dst; both f32). For gradient accumulation and
// optimizers.
void axpy_inplace(const Tensor& dst, const Tensor& src, float alpha = 1.0f);
// dst *= s, in place (f32).
void scale_inplace(const Tensor& dst, float s);
// dst = value everywhere, in place.
void fill_inplace(const Tensor& dst, float value);

}  // namespace llmkit::ops
