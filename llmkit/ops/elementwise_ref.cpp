// Scalar reference kernels (see elementwise_kernels.h). They are the definition of each op's
// values; the SIMD kernels are tested against them.
#include <cmath>
#include <limits>

#include "llmkit/ops/elementwise_kernels.h"

namespace llmkit::ops::ref {
namespace {
constexpr float kSqrtHalf = 0.70710678118654752f;       // 1 / sqrt(2)
constexpr float kSqrtTwoOverPi = 0.79788456080286536f;  // sqrt(2 / pi)
constexpr float kGeluCubic = 0.044715f;
constexpr float kNegInf = -std::numeric_limits<float>::infinity();

float sigmoid(float x) {
  return 1.0f / (1.0f + std::exp(-x));
}

// silu(x) = x * sigmoid(x), written as a quotient so large negative x gives -0, not NaN.
float silu(float x) {
  return x == kNegInf ? 0.0f : x / (1.0f + std::exp(-x));
}

// gelu(x) = x * Phi(x), Phi(x) = erfc(-x / sqrt 2) / 2: erfc keeps full relative accuracy in the
// negative tail, where 1 + erf(x / sqrt 2) would cancel.
float gelu_exact(float x) {
  return x == kNegInf ? 0.0f : 0.5f * x * std::erfc(-x * kSqrtHalf);
}

// gelu_tanh(x) = x/2 * (1 + tanh(u)), u = sqrt(2/pi) (x + 0.044715 x^3). Since
// (1 + tanh u) / 2 = sigmoid(2u), it is evaluated as x / (1 + exp(-2u)), which does not cancel.
float gelu_tanh(float x) {
  if (x == kNegInf) return 0.0f;
  float u = kSqrtTwoOverPi * (x + kGeluCubic * x * x * x);
  return x / (1.0f + std::exp(-2.0f * u));
}

template <typename F>
void strided_loop(const float* a, int64_t sa, const float* b, int64_t sb, float* out, int64_t n,
                  F f) {
  if (sa == 1 && sb == 1) {
    for (int64_t i = 0; i < n; ++i) out[i] = f(a[i], b[i]);
  } else if (sa == 1 && sb == 0) {
    const float bv = *b;
    for (int64_t i = 0; i < n; ++i) out[i] = f(a[i], bv);
  } else if (sa == 0 && sb == 1) {
    const float av = *a;
    for (int64_t i = 0; i < n; ++i) out[i] = f(av, b[i]);
  } else {
    for (int64_t i = 0; i < n; ++i) out[i] = f(a[i * sa], b[i * sb]);
  }
}
}  // namespace

float unary(UnaryOp op, float x) {
  switch (op) {
    case UnaryOp::kNeg:
      return -x;
    case UnaryOp::kExp:
      return std::exp(x);
    case UnaryOp::kLog:
      return std::log(x);
    case UnaryOp::kSqrt:
      return std::sqrt(x);
    case UnaryOp::kRsqrt:
      return 1.0f / std::sqrt(x);
    case UnaryOp::kTanh:
      return std::tanh(x);
    case UnaryOp::kAbs:
      return std::fabs(x);
    case UnaryOp::kSquare:
      return x * x;
    case UnaryOp::kReciprocal:
      return 1.0f / x;
    case UnaryOp::kSigmoid:
      return sigmoid(x);
    case UnaryOp::kRelu:
      return x < 0.0f ? 0.0f : x;  // NaN stays NaN
    case UnaryOp::kSilu:
      return silu(x);
    case UnaryOp::kGeluExact:
      return gelu_exact(x);
    case UnaryOp::kGeluTanh:
      return gelu_tanh(x);
    case UnaryOp::kSin:
      return std::sin(x);
    case UnaryOp::kCos:
      return std::cos(x);
  }
  return x;
}

void unary_f32(UnaryOp op, const float* x, float* y, int64_t n) {
  // One switch per call, then a tight loop the compiler can inline the op into.
  switch (op) {
#define LLMKIT_UNARY_CASE(OP)                                        \
  case UnaryOp::OP:                                                  \
    for (int64_t i = 0; i < n; ++i) y[i] = unary(UnaryOp::OP, x[i]); \
    return;
    LLMKIT_UNARY_CASE(kNeg)
    LLMKIT_UNARY_CASE(kExp)
    LLMKIT_UNARY_CASE(kLog)
    LLMKIT_UNARY_CASE(kSqrt)
    LLMKIT_UNARY_CASE(kRsqrt)
    LLMKIT_UNARY_CASE(kTanh)
    LLMKIT_UNARY_CASE(kAbs)
    LLMKIT_UNARY_CASE(kSquare)
    LLMKIT_UNARY_CASE(kReciprocal)
    LLMKIT_UNARY_CASE(kSigmoid)
    LLMKIT_UNARY_CASE(kRelu)
    LLMKIT_UNARY_CASE(kSilu)
    LLMKIT_UNARY_CASE(kGeluExact)
    LLMKIT_UNARY_CASE(kGeluTanh)
    LLMKIT_UNARY_CASE(kSin)
    LLMKIT_UNARY_CASE(kCos)
#undef LLMKIT_UNARY_CASE
  }
}

float binary(BinaryOp op, float a, float b) {
  switch (op) {
    case BinaryOp::kAdd:
      return a + b;
    case BinaryOp::kSub:
      return a - b;
    case BinaryOp::kMul:
      return a * b;
    case BinaryOp::kDiv:
      return a / b;
    case BinaryOp::kPow:
      return std::pow(a, b);
    case BinaryOp::kMaximum:
      return (a > b || std::isnan(a)) ? a : b;
    case BinaryOp::kMinimum:
      return (a < b || std::isnan(a)) ? a : b;
    case BinaryOp::kEq:
      return a == b ? 1.0f : 0.0f;
    case BinaryOp::kNe:
      return a != b ? 1.0f : 0.0f;
    case BinaryOp::kLt:
      return a < b ? 1.0f : 0.0f;
    case BinaryOp::kLe:
      return a <= b ? 1.0f : 0.0f;
    case BinaryOp::kGt:
      return a > b ? 1.0f : 0.0f;
    case BinaryOp::kGe:
      return a >= b ? 1.0f : 0.0f;
  }
  return 0.0f;
}

void binary_f32(BinaryOp op, const float* a, int64_t sa, const float* b, int64_t sb, float* out,
                int64_t n) {
  switch (op) {
#define LLMKIT_BINARY_CASE(OP)                                                 \
  case BinaryOp::OP:                                                           \
    strided_loop(a, sa, b, sb, out, n,                                         \
                 [](float x, float y) { return binary(BinaryOp::OP, x, y); }); \
    return;
    LLMKIT_BINARY_CASE(kAdd)
    LLMKIT_BINARY_CASE(kSub)
    LLMKIT_BINARY_CASE(kMul)
    LLMKIT_BINARY_CASE(kDiv)
    LLMKIT_BINARY_CASE(kPow)
    LLMKIT_BINARY_CASE(kMaximum)
    LLMKIT_BINARY_CASE(kMinimum)
    LLMKIT_BINARY_CASE(kEq)
    LLMKIT_BINARY_CASE(kNe)
    LLMKIT_BINARY_CASE(kLt)
    LLMKIT_BINARY_CASE(kLe)
    LLMKIT_BINARY_CASE(kGt)
    LLMKIT_BINARY_CASE(kGe)
#undef LLMKIT_BINARY_CASE
  }
}

}  // namespace llmkit::ops::ref
