// Element-wise kernels with NumPy broadcasting (raw: no autograd).
//
// Dtypes: float inputs (f32/f16/bf16) are computed in f32 and the result has the promoted dtype of
// the operands (see promote_dtypes); comparisons return f32 0/1 masks. i32 operands are allowed in
// add/sub/mul/maximum/minimum/comparisons (computed exactly in i32 when both are i32).
// Each kernel has a scalar reference (namespace ref) that the SIMD path is tested against.
#pragma once

#include "llmkit/tensor/tensor.h"

namespace llmkit::ops {

enum class UnaryOp {
  kNeg, kExp, kLog, kSqrt, kRsqrt, kTanh, kAbs, kSquare, kReciprocal, kSigmoid,
  kRelu, kSilu, kGeluExact, kGeluTanh, kSin, kCos,
};
const char* unary_op_name(UnaryOp op);

enum class BinaryOp {
  kAdd, kSub, kMul, kDiv, kPow, kMaximum, kMinimum,
  kEq, kNe, kLt, kLe, kGt, kGe,
};
const char* binary_op_name(BinaryOp op);

Tensor unary(UnaryOp op, const Tensor& x);
Tensor binary(BinaryOp op, const Tensor& a, const Tensor& b);

// d(op(x))/dx * grad, fused (x is the input of the forward, y its output).
Tensor unary_backward(UnaryOp op, const Tensor& x, const Tensor& y, const Tensor& grad);

// Scalar forms: x op s (computed in f32, result keeps x's float dtype).
Tensor add_scalar(const Tensor& x, float s);
Tensor mul_scalar(const Tensor& x, float s);
Tensor pow_scalar(const Tensor& x, float exponent);
Tensor clamp(const Tensor& x, float low, float high);

// cond != 0 ? a : b, all three broadcast together; result dtype is promote(a, b).
Tensor where(const Tensor& cond, const Tensor& a, const Tensor& b);
// x where mask == 0, value where mask != 0 (mask broadcast to x).
Tensor masked_fill(const Tensor& x, const Tensor& mask, float value);

// dst += alpha * src, in place (src broadcast to dst; both f32). For gradient accumulation and
// optimizers.
void axpy_inplace(const Tensor& dst, const Tensor& src, float alpha = 1.0f);
// dst *= s, in place (f32).
void scale_inplace(const Tensor& dst, float s);
// dst = value everywhere, in place.
void fill_inplace(const Tensor& dst, float value);

}  // namespace llmkit::ops
