// SIMD row kernels of the softmax family (Highway, dynamic dispatch) and their scalar references.
//
// softmax(x)_i = exp(x_i - m) / sum_j exp(x_j - m) with m = max_j x_j, so every exponent is <= 0
// and nothing overflows; log_softmax(x)_i = x_i - (m + log(sum_j exp(x_j - m))).
#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "llmkit/ops/softmax_kernels.cpp"
#include "hwy/foreach_target.h"  // IWYU pragma: keep
// Highway re-includes this file once per target: everything below must tolerate that.
#include "hwy/contrib/math/math-inl.h"
#include "hwy/highway.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "llmkit/ops/softmax_kernels.h"

HWY_BEFORE_NAMESPACE();
namespace llmkit::ops::HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

float RowMax(const float* x, int64_t n) {
  const hn::ScalableTag<float> d;
  const auto lanes = static_cast<int64_t>(hn::Lanes(d));
  float m = -std::numeric_limits<float>::infinity();
  int64_t i = 0;
  if (n >= lanes) {
    auto vm = hn::LoadU(d, x);
    for (i = lanes; i + lanes <= n; i += lanes) vm = hn::Max(vm, hn::LoadU(d, x + i));
    m = hn::GetLane(hn::MaxOfLanes(d, vm));
  }
  for (; i < n; ++i) m = std::max(m, x[i]);
  return m;
}

// sum_i exp(x_i - m); also stores the exponentials in y when y is not null.
float SumExp(const float* x, float m, float* y, int64_t n) {
  const hn::ScalableTag<float> d;
  const auto lanes = static_cast<int64_t>(hn::Lanes(d));
  const auto vm = hn::Set(d, m);
  auto vs = hn::Zero(d);
  int64_t i = 0;
  for (; i + lanes <= n; i += lanes) {
    auto e = hn::Exp(d, hn::Sub(hn::LoadU(d, x + i), vm));
    if (y != nullptr) hn::StoreU(e, d, y + i);
    vs = hn::Add(vs, e);
  }
  float s = hn::GetLane(hn::SumOfLanes(d, vs));
  for (; i < n; ++i) {
    float e = std::exp(x[i] - m);
    if (y != nullptr) y[i] = e;
    s += e;
  }
  return s;
}

void SoftmaxRow(const float* x, float* y, int64_t n) {
  if (n <= 0) return;
  float m = RowMax(x, n);
  if (m == -std::numeric_limits<float>::infinity()) {
    std::fill(y, y + n, 0.0f);
    return;
  }
  const float inv = 1.0f / SumExp(x, m, y, n);
  const hn::ScalableTag<float> d;
  const auto lanes = static_cast<int64_t>(hn::Lanes(d));
  const auto vinv = hn::Set(d, inv);
  int64_t i = 0;
  for (; i + lanes <= n; i += lanes) hn::StoreU(hn::Mul(hn::LoadU(d, y + i), vinv), d, y + i);
  for (; i < n; ++i) y[i] *= inv;
}

void LogSoftmaxRow(const float* x, float* y, int64_t n) {
  if (n <= 0) return;
  float m = RowMax(x, n);
  if (m == -std::numeric_limits<float>::infinity()) {
    std::fill(y, y + n, m);
    return;
  }
  const float lse = m + std::log(SumExp(x, m, nullptr, n));
  const hn::ScalableTag<float> d;
  const auto lanes = static_cast<int64_t>(hn::Lanes(d));
  const auto vl = hn::Set(d, lse);
  int64_t i = 0;
  for (; i + lanes <= n; i += lanes) hn::StoreU(hn::Sub(hn::LoadU(d, x + i), vl), d, y + i);
  for (; i < n; ++i) y[i] = x[i] - lse;
}

}  // namespace llmkit::ops::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace llmkit::ops {

HWY_EXPORT(SoftmaxRow);
HWY_EXPORT(LogSoftmaxRow);

void softmax_row(const float* x, float* y, int64_t n) {
  HWY_DYNAMIC_DISPATCH(SoftmaxRow)(x, y, n);
}
void log_softmax_row(const float* x, float* y, int64_t n) {
  HWY_DYNAMIC_DISPATCH(LogSoftmaxRow)(x, y, n);
}

namespace ref {
namespace {
float row_max(const float* x, int64_t n) {
  float m = -std::numeric_limits<float>::infinity();
  for (int64_t i = 0; i < n; ++i) m = std::max(m, x[i]);
  return m;
}
}  // namespace

void softmax_row(const float* x, float* y, int64_t n) {
  if (n <= 0) return;
  float m = row_max(x, n);
  if (m == -std::numeric_limits<float>::infinity()) {
    std::fill(y, y + n, 0.0f);
    return;
  }
  float s = 0.0f;
  for (int64_t i = 0; i < n; ++i) s += (y[i] = std::exp(x[i] - m));
  for (int64_t i = 0; i < n; ++i) y[i] /= s;
}

void log_softmax_row(const float* x, float* y, int64_t n) {
  if (n <= 0) return;
  float m = row_max(x, n);
  if (m == -std::numeric_limits<float>::infinity()) {
    std::fill(y, y + n, m);
    return;
  }
  float s = 0.0f;
  for (int64_t i = 0; i < n; ++i) s += std::exp(x[i] - m);
  float lse = m + std::log(s);
  for (int64_t i = 0; i < n; ++i) y[i] = x[i] - lse;
}
}  // namespace ref

}  // namespace llmkit::ops
#endif  // HWY_ONCE
