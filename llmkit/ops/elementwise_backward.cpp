// unary_backward: grad * d op(x) / dx for every UnaryOp (see elementwise.h), in f32.
//
// Derivatives (y = op(x)):
//   neg -1; exp y; log 1/x; sqrt 1/(2y); rsqrt -y^3/2; tanh 1 - y^2; abs sign(x) (0 at 0);
//   square 2x; reciprocal -y^2; sigmoid y(1 - y); relu [x > 0]; sin cos x; cos -sin x;
//   silu s(1 + x(1 - s)) with s = sigmoid(x);
//   gelu exact Phi(x) + x phi(x), phi the standard normal density;
//   gelu tanh: y = x sigma(2u), u = sqrt(2/pi)(x + c x^3), so
//     dy/dx = sigma(2u) + 2 x sigma(2u)(1 - sigma(2u)) u',  u' = sqrt(2/pi)(1 + 3c x^2)
//   (the same as differentiating x/2 (1 + tanh u), since 1 - tanh^2 u = 4 sigma(2u)(1 -
//   sigma(2u))).
// At x = +-inf the activations' derivatives take their limits (1 or 0) instead of NaN.
#include <cmath>
#include <limits>

#include "llmkit/base/context.h"
#include "llmkit/ops/elementwise.h"
#include "llmkit/ops/strided_loop.h"
#include "llmkit/tensor/view.h"

namespace llmkit::ops {
namespace {
constexpr float kSqrtHalf = 0.70710678118654752f;
constexpr float kInvSqrtTwoPi = 0.39894228040143268f;  // 1 / sqrt(2 pi)
constexpr float kSqrtTwoOverPi = 0.79788456080286536f;
constexpr float kGeluCubic = 0.044715f;

float sigmoid(float x) {
  return 1.0f / (1.0f + std::exp(-x));
}

// Derivative limit of silu/gelu at +-inf.
float activation_limit(float x) {
  return x > 0.0f ? 1.0f : 0.0f;
}

float derivative(UnaryOp op, float x, float y) {
  switch (op) {
    case UnaryOp::kNeg:
      return -1.0f;
    case UnaryOp::kExp:
      return y;
    case UnaryOp::kLog:
      return 1.0f / x;
    case UnaryOp::kSqrt:
      return 0.5f / y;
    case UnaryOp::kRsqrt:
      return -0.5f * y * y * y;
    case UnaryOp::kTanh:
      return 1.0f - y * y;
    case UnaryOp::kAbs:
      return x > 0.0f ? 1.0f : (x < 0.0f ? -1.0f : 0.0f);
    case UnaryOp::kSquare:
      return 2.0f * x;
    case UnaryOp::kReciprocal:
      return -y * y;
    case UnaryOp::kSigmoid:
      return y * (1.0f - y);
    case UnaryOp::kRelu:
      return x > 0.0f ? 1.0f : 0.0f;
    case UnaryOp::kSin:
      return std::cos(x);
    case UnaryOp::kCos:
      return -std::sin(x);
    case UnaryOp::kSilu: {
      if (std::isinf(x)) return activation_limit(x);
      float s = sigmoid(x);
      return s * (1.0f + x * (1.0f - s));
    }
    case UnaryOp::kGeluExact: {
      if (std::isinf(x)) return activation_limit(x);
      float cdf = 0.5f * std::erfc(-x * kSqrtHalf);
      float pdf = kInvSqrtTwoPi * std::exp(-0.5f * x * x);
      return cdf + x * pdf;
    }
    case UnaryOp::kGeluTanh: {
      if (std::isinf(x)) return activation_limit(x);
      float u = kSqrtTwoOverPi * (x + kGeluCubic * x * x * x);
      float du = kSqrtTwoOverPi * (1.0f + 3.0f * kGeluCubic * x * x);
      float s = sigmoid(2.0f * u);
      return s + 2.0f * x * s * (1.0f - s) * du;
    }
  }
  return 0.0f;
}
}  // namespace

Tensor unary_backward(UnaryOp op, const Tensor& x, const Tensor& y, const Tensor& grad) {
  const char* name = unary_op_name(op);
  LLMKIT_CHECK(x.defined() && y.defined() && grad.defined(), "unary_backward (", name,
               "): x, y and grad must all be defined");
  LLMKIT_CHECK(x.shape() == y.shape() && x.shape() == grad.shape(), "unary_backward (", name,
               "): x ", describe(x), ", y ", describe(y), " and grad ", describe(grad),
               " must have one shape");
  Tensor xf = to_dtype(x, DType::kF32), yf = to_dtype(y, DType::kF32);
  Tensor out = to_dtype(grad, DType::kF32);
  if (out.same(grad)) out = clone(grad);  // computed in place in a private buffer
  const float* px = xf.data<float>();
  const float* py = yf.data<float>();
  float* pg = out.data<float>();
  parallel_for(
      out.numel(),
      [&](int64_t b, int64_t e) {
        for (int64_t i = b; i < e; ++i) pg[i] *= derivative(op, px[i], py[i]);
      },
      detail::kMinParallelChunk);
  return out;
}

}  // namespace llmkit::ops
