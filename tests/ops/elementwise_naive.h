// Shared by the element-wise op tests: independent double-precision definitions of every unary
// op, and a NaN/inf-aware closeness check.
#pragma once

#include <algorithm>
#include <cmath>
#include <limits>

#include "llmkit/ops/elementwise.h"

namespace llmkit::ops::naive {

inline constexpr float kInf = std::numeric_limits<float>::infinity();
inline constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();

inline const UnaryOp kAllUnary[] = {
    UnaryOp::kNeg,        UnaryOp::kExp,      UnaryOp::kLog,  UnaryOp::kSqrt,
    UnaryOp::kRsqrt,      UnaryOp::kTanh,     UnaryOp::kAbs,  UnaryOp::kSquare,
    UnaryOp::kReciprocal, UnaryOp::kSigmoid,  UnaryOp::kRelu, UnaryOp::kSilu,
    UnaryOp::kGeluExact,  UnaryOp::kGeluTanh, UnaryOp::kSin,  UnaryOp::kCos,
};
inline const UnaryOp kSimdUnary[] = {UnaryOp::kExp,  UnaryOp::kTanh,      UnaryOp::kSigmoid,
                                     UnaryOp::kSilu, UnaryOp::kGeluExact, UnaryOp::kGeluTanh,
                                     UnaryOp::kRelu};
inline const BinaryOp kSimdBinary[] = {BinaryOp::kAdd, BinaryOp::kSub,     BinaryOp::kMul,
                                       BinaryOp::kDiv, BinaryOp::kMaximum, BinaryOp::kMinimum};

// Independent double-precision definitions of every unary op.
inline double naive_unary(UnaryOp op, double x) {
  const double pi = 3.14159265358979323846;
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
      return 1.0 / std::sqrt(x);
    case UnaryOp::kTanh:
      return std::tanh(x);
    case UnaryOp::kAbs:
      return std::fabs(x);
    case UnaryOp::kSquare:
      return x * x;
    case UnaryOp::kReciprocal:
      return 1.0 / x;
    case UnaryOp::kSigmoid:
      return 1.0 / (1.0 + std::exp(-x));
    case UnaryOp::kRelu:
      return x > 0 ? x : 0.0;
    case UnaryOp::kSilu:
      return x / (1.0 + std::exp(-x));
    case UnaryOp::kGeluExact:  // 0.5 x (1 + erf(x / sqrt 2)), without cancellation for x < 0
      return 0.5 * x * std::erfc(-x / std::sqrt(2.0));
    case UnaryOp::kGeluTanh: {  // 0.5 x (1 + tanh u), with 1 + tanh u = 2 / (1 + exp(-2u))
      double u = std::sqrt(2.0 / pi) * (x + 0.044715 * x * x * x);
      return x / (1.0 + std::exp(-2.0 * u));
    }
    case UnaryOp::kSin:
      return std::sin(x);
    case UnaryOp::kCos:
      return std::cos(x);
  }
  return 0.0;
}

inline bool positive_domain(UnaryOp op) {
  return op == UnaryOp::kLog || op == UnaryOp::kSqrt || op == UnaryOp::kRsqrt;
}

// a close to b (the reference): same NaN-ness, same infinities, else within atol + rtol |b|.
inline bool close(double a, double b, double rtol, double atol) {
  if (std::isnan(b)) return std::isnan(a);
  if (std::isinf(b)) return a == b;
  return std::fabs(a - b) <= atol + rtol * std::fabs(b);
}

// d op / dx at x by a central difference of the double formula.
inline double numeric_derivative(UnaryOp op, double x) {
  const double h = 1e-5 * std::max(1.0, std::fabs(x));
  return (naive_unary(op, x + h) - naive_unary(op, x - h)) / (2 * h);
}

}  // namespace llmkit::ops::naive
