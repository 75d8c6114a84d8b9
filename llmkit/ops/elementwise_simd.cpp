// Highway SIMD kernels for the hot f32 element-wise ops (see elementwise_kernels.h). This file is
// compiled once per instruction set by hwy/foreach_target.h; HWY_DYNAMIC_DISPATCH picks the best
// one the CPU supports at run time, so the library itself needs no -march flag.
#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "llmkit/ops/elementwise_simd.cpp"
#include "hwy/foreach_target.h"  // IWYU pragma: keep
// clang-format off: foreach_target.h must come before highway.h.
#include "hwy/contrib/math/math-inl.h"
#include "hwy/highway.h"
// clang-format on

#include <algorithm>
#include <cstddef>
#include <limits>

#include "llmkit/ops/elementwise_kernels.h"

HWY_BEFORE_NAMESPACE();
namespace llmkit {
namespace ops {
namespace HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

// Room for one vector of floats on any target (2048-bit vectors at most).
constexpr size_t kTailLanes = 64;

// Applies f to full vectors, then to the zero-padded tail in a stack buffer, so every element
// (tails included) goes through the same SIMD code.
template <class F>
HWY_INLINE void MapUnary(const float* x, float* y, size_t n, F f) {
  const hn::ScalableTag<float> d;
  const size_t lanes = hn::Lanes(d);
  size_t i = 0;
  for (; i + lanes <= n; i += lanes) hn::StoreU(f(d, hn::LoadU(d, x + i)), d, y + i);
  if (i < n) {
    float buf[kTailLanes] = {};
    std::copy(x + i, x + n, buf);
    hn::StoreU(f(d, hn::LoadU(d, buf)), d, buf);
    std::copy(buf, buf + (n - i), y + i);
  }
}

// a and b have strides 0 (broadcast scalar) or 1.
template <class F>
HWY_INLINE void MapBinary(const float* a, size_t sa, const float* b, size_t sb, float* out,
                          size_t n, F f) {
  const hn::ScalableTag<float> d;
  const size_t lanes = hn::Lanes(d);
  const auto av = hn::Set(d, *a), bv = hn::Set(d, *b);
  size_t i = 0;
  for (; i + lanes <= n; i += lanes) {
    auto x = sa ? hn::LoadU(d, a + i) : av;
    auto y = sb ? hn::LoadU(d, b + i) : bv;
    hn::StoreU(f(x, y), d, out + i);
  }
  if (i < n) {
    float abuf[kTailLanes] = {}, bbuf[kTailLanes] = {}, obuf[kTailLanes] = {};
    if (sa) std::copy(a + i, a + n, abuf);
    if (sb) std::copy(b + i, b + n, bbuf);
    auto x = sa ? hn::LoadU(d, abuf) : av;
    auto y = sb ? hn::LoadU(d, bbuf) : bv;
    hn::StoreU(f(x, y), d, obuf);
    std::copy(obuf, obuf + (n - i), out + i);
  }
}

// hn::Exp is valid on [-FLT_MAX, 104] and maps NaN to 0; this fixes both ends: x above the
// overflow threshold (ln FLT_MAX) gives inf, NaN stays NaN.
template <class D, class V>
HWY_INLINE V ExpF(D d, V x) {
  const V kOverflow = hn::Set(d, 88.7228394f);
  const V y = hn::Exp(d, hn::Min(x, hn::Set(d, 100.0f)));
  const V inf = hn::Set(d, std::numeric_limits<float>::infinity());
  return hn::IfThenElse(hn::IsNaN(x), x, hn::IfThenElse(hn::Gt(x, kOverflow), inf, y));
}

template <class D, class V>
HWY_INLINE V TanhF(D d, V x) {
  return hn::IfThenElse(hn::IsNaN(x), x, hn::Tanh(d, x));
}

template <class D, class V>
HWY_INLINE V SigmoidF(D d, V x) {
  const V one = hn::Set(d, 1.0f);
  return hn::Div(one, hn::Add(one, ExpF(d, hn::Neg(x))));
}

// -inf maps to 0 (the limit) instead of -inf * 0 = NaN.
template <class D, class V>
HWY_INLINE V ZeroAtNegInf(D d, V x, V y) {
  return hn::IfThenZeroElse(hn::Eq(x, hn::Set(d, -std::numeric_limits<float>::infinity())), y);
}

template <class D, class V>
HWY_INLINE V SiluF(D d, V x) {
  const V one = hn::Set(d, 1.0f);
  return ZeroAtNegInf(d, x, hn::Div(x, hn::Add(one, ExpF(d, hn::Neg(x)))));
}

// gelu(x) = x Phi(x) with Phi from erfc(|x| / sqrt 2) via the Chebyshev-fitted formula
// erfc(z) ~ t exp(-z^2 + P(t)), t = 1 / (1 + z / 2) (Numerical Recipes' erfcc, relative error
// < 1.2e-7 for all z >= 0). Phi(x) = erfc(z) / 2 for x < 0 and 1 - erfc(z) / 2 otherwise, so the
// negative tail keeps its relative accuracy.
template <class D, class V>
HWY_INLINE V GeluExactF(D d, V x) {
  const V one = hn::Set(d, 1.0f), half = hn::Set(d, 0.5f);
  const V z = hn::Mul(hn::Abs(x), hn::Set(d, 0.70710678118654752f));
  const V t = hn::Div(one, hn::MulAdd(z, half, one));
  V p = hn::Set(d, 0.17087277f);
  p = hn::MulAdd(p, t, hn::Set(d, -0.82215223f));
  p = hn::MulAdd(p, t, hn::Set(d, 1.48851587f));
  p = hn::MulAdd(p, t, hn::Set(d, -1.13520398f));
  p = hn::MulAdd(p, t, hn::Set(d, 0.27886807f));
  p = hn::MulAdd(p, t, hn::Set(d, -0.18628806f));
  p = hn::MulAdd(p, t, hn::Set(d, 0.09678418f));
  p = hn::MulAdd(p, t, hn::Set(d, 0.37409196f));
  p = hn::MulAdd(p, t, hn::Set(d, 1.00002368f));
  p = hn::MulAdd(p, t, hn::Set(d, -1.26551223f));
  const V erfc = hn::Mul(t, ExpF(d, hn::NegMulAdd(z, z, p)));
  const V phi =
      hn::IfThenElse(hn::Lt(x, hn::Zero(d)), hn::Mul(half, erfc), hn::NegMulAdd(half, erfc, one));
  return ZeroAtNegInf(d, x, hn::Mul(x, phi));
}

// gelu_tanh(x) = x / (1 + exp(-2u)), u = sqrt(2/pi) (x + 0.044715 x^3) (see elementwise_ref.cpp).
// u is rounded step by step exactly like the reference (no fused multiply-add): exp(-2u) turns an
// ulp of u into a relative error of |2u| ulp, which in the tail would exceed the kernel's own.
template <class D, class V>
HWY_INLINE V GeluTanhF(D d, V x) {
  const V one = hn::Set(d, 1.0f);
  const V cubic = hn::Mul(hn::Mul(hn::Mul(hn::Set(d, 0.044715f), x), x), x);
  const V u = hn::Mul(hn::Set(d, 0.79788456080286536f), hn::Add(x, cubic));
  const V minus_two_u = hn::Mul(hn::Set(d, -2.0f), u);
  return ZeroAtNegInf(d, x, hn::Div(x, hn::Add(one, ExpF(d, minus_two_u))));
}

void UnaryF32(int op, const float* x, float* y, size_t n) {
  switch (static_cast<UnaryOp>(op)) {
    case UnaryOp::kExp:
      return MapUnary(x, y, n, [](auto d, auto v) HWY_ATTR { return ExpF(d, v); });
    case UnaryOp::kTanh:
      return MapUnary(x, y, n, [](auto d, auto v) HWY_ATTR { return TanhF(d, v); });
    case UnaryOp::kSigmoid:
      return MapUnary(x, y, n, [](auto d, auto v) HWY_ATTR { return SigmoidF(d, v); });
    case UnaryOp::kSilu:
      return MapUnary(x, y, n, [](auto d, auto v) HWY_ATTR { return SiluF(d, v); });
    case UnaryOp::kGeluExact:
      return MapUnary(x, y, n, [](auto d, auto v) HWY_ATTR { return GeluExactF(d, v); });
    case UnaryOp::kGeluTanh:
      return MapUnary(x, y, n, [](auto d, auto v) HWY_ATTR { return GeluTanhF(d, v); });
    case UnaryOp::kRelu:
      return MapUnary(x, y, n, [](auto d, auto v) HWY_ATTR {
        return hn::IfThenZeroElse(hn::Lt(v, hn::Zero(d)), v);
      });
    default:
      return;
  }
}

void BinaryF32(int op, const float* a, size_t sa, const float* b, size_t sb, float* out, size_t n) {
  switch (static_cast<BinaryOp>(op)) {
    case BinaryOp::kAdd:
      return MapBinary(a, sa, b, sb, out, n, [](auto x, auto y) HWY_ATTR { return hn::Add(x, y); });
    case BinaryOp::kSub:
      return MapBinary(a, sa, b, sb, out, n, [](auto x, auto y) HWY_ATTR { return hn::Sub(x, y); });
    case BinaryOp::kMul:
      return MapBinary(a, sa, b, sb, out, n, [](auto x, auto y) HWY_ATTR { return hn::Mul(x, y); });
    case BinaryOp::kDiv:
      return MapBinary(a, sa, b, sb, out, n, [](auto x, auto y) HWY_ATTR { return hn::Div(x, y); });
    case BinaryOp::kMaximum:  // NaN in either operand propagates (like the reference)
      return MapBinary(a, sa, b, sb, out, n, [](auto x, auto y) HWY_ATTR {
        return hn::IfThenElse(hn::Or(hn::Gt(x, y), hn::IsNaN(x)), x, y);
      });
    case BinaryOp::kMinimum:
      return MapBinary(a, sa, b, sb, out, n, [](auto x, auto y) HWY_ATTR {
        return hn::IfThenElse(hn::Or(hn::Lt(x, y), hn::IsNaN(x)), x, y);
      });
    default:
      return;
  }
}

const char* TargetName() {
  return hwy::TargetName(HWY_TARGET);
}

}  // namespace HWY_NAMESPACE
}  // namespace ops
}  // namespace llmkit
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace llmkit {
namespace ops {
HWY_EXPORT(UnaryF32);
HWY_EXPORT(BinaryF32);
HWY_EXPORT(TargetName);

namespace simd {

bool has_unary(UnaryOp op) {
  switch (op) {
    case UnaryOp::kExp:
    case UnaryOp::kTanh:
    case UnaryOp::kSigmoid:
    case UnaryOp::kSilu:
    case UnaryOp::kGeluExact:
    case UnaryOp::kGeluTanh:
    case UnaryOp::kRelu:
      return true;
    default:
      return false;
  }
}

void unary_f32(UnaryOp op, const float* x, float* y, int64_t n) {
  LLMKIT_DCHECK(has_unary(op), "no SIMD kernel for ", unary_op_name(op));
  if (n <= 0) return;
  HWY_DYNAMIC_DISPATCH(UnaryF32)(static_cast<int>(op), x, y, static_cast<size_t>(n));
}

bool has_binary(BinaryOp op) {
  switch (op) {
    case BinaryOp::kAdd:
    case BinaryOp::kSub:
    case BinaryOp::kMul:
    case BinaryOp::kDiv:
    case BinaryOp::kMaximum:
    case BinaryOp::kMinimum:
      return true;
    default:
      return false;
  }
}

void binary_f32(BinaryOp op, const float* a, int64_t sa, const float* b, int64_t sb, float* out,
                int64_t n) {
  LLMKIT_DCHECK(has_binary(op) && (sa == 0 || sa == 1) && (sb == 0 || sb == 1),
                "no SIMD kernel for ", binary_op_name(op), " with strides ", sa, ", ", sb);
  if (n <= 0) return;
  HWY_DYNAMIC_DISPATCH(BinaryF32)
  (static_cast<int>(op), a, static_cast<size_t>(sa), b, static_cast<size_t>(sb), out,
   static_cast<size_t>(n));
}

const char* target_name() {
  return HWY_DYNAMIC_DISPATCH(TargetName)();
}

}  // namespace simd
}  // namespace ops
}  // namespace llmkit
#endif  // HWY_ONCE
