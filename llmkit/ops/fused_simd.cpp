// Highway implementations of the primitives in fused_simd.h. This file is compiled once per SIMD
// target (foreach_target.h re-includes it); the HWY_ONCE part holds the dispatchers and the scalar
// references.
#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "llmkit/ops/fused_simd.cpp"
#include "hwy/foreach_target.h"  // IWYU pragma: keep
// clang-format off
#include "hwy/highway.h"
#include "hwy/contrib/math/math-inl.h"
// clang-format on

#include <algorithm>
#include <cmath>
#include <limits>

#include "llmkit/ops/fused_simd.h"

HWY_BEFORE_NAMESPACE();
namespace llmkit::ops::fused_simd {
namespace HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

// Tails (the last n % lanes elements) go through a padded stack buffer so that they are computed
// with the same vector math as the rest of the row.
constexpr size_t kMaxLanes = 64;

HWY_INLINE float DotInline(const float* a, const float* b, int64_t n) {
  const hn::ScalableTag<float> d;
  const int64_t N = static_cast<int64_t>(hn::Lanes(d));
  auto s0 = hn::Zero(d), s1 = hn::Zero(d), s2 = hn::Zero(d), s3 = hn::Zero(d);
  int64_t i = 0;
  for (; i + 4 * N <= n; i += 4 * N) {
    s0 = hn::MulAdd(hn::LoadU(d, a + i), hn::LoadU(d, b + i), s0);
    s1 = hn::MulAdd(hn::LoadU(d, a + i + N), hn::LoadU(d, b + i + N), s1);
    s2 = hn::MulAdd(hn::LoadU(d, a + i + 2 * N), hn::LoadU(d, b + i + 2 * N), s2);
    s3 = hn::MulAdd(hn::LoadU(d, a + i + 3 * N), hn::LoadU(d, b + i + 3 * N), s3);
  }
  for (; i + N <= n; i += N) s0 = hn::MulAdd(hn::LoadU(d, a + i), hn::LoadU(d, b + i), s0);
  s0 = hn::Add(hn::Add(s0, s1), hn::Add(s2, s3));
  float total = hn::GetLane(hn::SumOfLanes(d, s0));
  for (; i < n; ++i) total += a[i] * b[i];
  return total;
}

float DotImpl(const float* a, const float* b, int64_t n) {
  return DotInline(a, b, n);
}

float SumImpl(const float* x, int64_t n) {
  const hn::ScalableTag<float> d;
  const int64_t N = static_cast<int64_t>(hn::Lanes(d));
  auto s0 = hn::Zero(d), s1 = hn::Zero(d);
  int64_t i = 0;
  for (; i + 2 * N <= n; i += 2 * N) {
    s0 = hn::Add(s0, hn::LoadU(d, x + i));
    s1 = hn::Add(s1, hn::LoadU(d, x + i + N));
  }
  for (; i + N <= n; i += N) s0 = hn::Add(s0, hn::LoadU(d, x + i));
  float total = hn::GetLane(hn::SumOfLanes(d, hn::Add(s0, s1)));
  for (; i < n; ++i) total += x[i];
  return total;
}

float MaxImpl(const float* x, int64_t n) {
  const hn::ScalableTag<float> d;
  const int64_t N = static_cast<int64_t>(hn::Lanes(d));
  float best = -std::numeric_limits<float>::infinity();
  int64_t i = 0;
  if (n >= N) {
    auto m = hn::LoadU(d, x);
    for (i = N; i + N <= n; i += N) m = hn::Max(m, hn::LoadU(d, x + i));
    best = hn::GetLane(hn::MaxOfLanes(d, m));
  }
  for (; i < n; ++i) best = std::max(best, x[i]);
  return best;
}

void DotRowsImpl(const float* x, const float* rows, int64_t row_stride, int64_t n, int64_t dim,
                 float* out) {
  for (int64_t r = 0; r < n; ++r) out[r] = DotInline(x, rows + r * row_stride, dim);
}

void AccumulateRowsImpl(const float* p, const float* rows, int64_t row_stride, int64_t n,
                        int64_t dim, float* acc) {
  const hn::ScalableTag<float> d;
  const int64_t N = static_cast<int64_t>(hn::Lanes(d));
  int64_t j = 0;
  // Four accumulator vectors stay in registers while the rows stream past.
  for (; j + 4 * N <= dim; j += 4 * N) {
    auto a0 = hn::LoadU(d, acc + j), a1 = hn::LoadU(d, acc + j + N);
    auto a2 = hn::LoadU(d, acc + j + 2 * N), a3 = hn::LoadU(d, acc + j + 3 * N);
    for (int64_t r = 0; r < n; ++r) {
      const float* row = rows + r * row_stride + j;
      const auto pr = hn::Set(d, p[r]);
      a0 = hn::MulAdd(pr, hn::LoadU(d, row), a0);
      a1 = hn::MulAdd(pr, hn::LoadU(d, row + N), a1);
      a2 = hn::MulAdd(pr, hn::LoadU(d, row + 2 * N), a2);
      a3 = hn::MulAdd(pr, hn::LoadU(d, row + 3 * N), a3);
    }
    hn::StoreU(a0, d, acc + j);
    hn::StoreU(a1, d, acc + j + N);
    hn::StoreU(a2, d, acc + j + 2 * N);
    hn::StoreU(a3, d, acc + j + 3 * N);
  }
  for (; j + N <= dim; j += N) {
    auto a = hn::LoadU(d, acc + j);
    for (int64_t r = 0; r < n; ++r) {
      a = hn::MulAdd(hn::Set(d, p[r]), hn::LoadU(d, rows + r * row_stride + j), a);
    }
    hn::StoreU(a, d, acc + j);
  }
  for (; j < dim; ++j) {
    float a = acc[j];
    for (int64_t r = 0; r < n; ++r) a += p[r] * rows[r * row_stride + j];
    acc[j] = a;
  }
}

float ExpShiftSumImpl(const float* x, int64_t n, float shift, float* out) {
  const hn::ScalableTag<float> d;
  const int64_t N = static_cast<int64_t>(hn::Lanes(d));
  const auto vshift = hn::Set(d, shift);
  auto total = hn::Zero(d);
  int64_t i = 0;
  for (; i + N <= n; i += N) {
    const auto e = hn::Exp(d, hn::Sub(hn::LoadU(d, x + i), vshift));
    if (out != nullptr) hn::StoreU(e, d, out + i);
    total = hn::Add(total, e);
  }
  if (i < n) {
    // Padding lanes hold `shift` (a finite exp argument of 0) and are then masked out of the sum.
    HWY_ALIGN float buf[kMaxLanes];
    std::fill(buf, buf + N, shift);
    std::copy(x + i, x + n, buf);
    const auto valid = hn::FirstN(d, static_cast<size_t>(n - i));
    const auto e = hn::IfThenElseZero(valid, hn::Exp(d, hn::Sub(hn::Load(d, buf), vshift)));
    hn::Store(e, d, buf);
    if (out != nullptr) std::copy(buf, buf + (n - i), out + i);
    total = hn::Add(total, e);
  }
  return hn::GetLane(hn::SumOfLanes(d, total));
}

void ScaleSoftcapImpl(float* x, int64_t n, float scale, float cap) {
  const hn::ScalableTag<float> d;
  const int64_t N = static_cast<int64_t>(hn::Lanes(d));
  int64_t i = 0;
  if (!(cap > 0.0f)) {
    const auto s = hn::Set(d, scale);
    for (; i + N <= n; i += N) hn::StoreU(hn::Mul(hn::LoadU(d, x + i), s), d, x + i);
    for (; i < n; ++i) x[i] *= scale;
    return;
  }
  const auto inner = hn::Set(d, scale / cap);
  const auto vcap = hn::Set(d, cap);
  for (; i + N <= n; i += N) {
    hn::StoreU(hn::Mul(vcap, hn::Tanh(d, hn::Mul(hn::LoadU(d, x + i), inner))), d, x + i);
  }
  if (i < n) {
    HWY_ALIGN float buf[kMaxLanes] = {};
    std::copy(x + i, x + n, buf);
    hn::Store(hn::Mul(vcap, hn::Tanh(d, hn::Mul(hn::Load(d, buf), inner))), d, buf);
    std::copy(buf, buf + (n - i), x + i);
  }
}

const char* TargetNameImpl() {
  return hwy::TargetName(HWY_TARGET);
}

static_assert(HWY_MAX_BYTES / sizeof(float) <= kMaxLanes, "tail buffer too small");

}  // namespace HWY_NAMESPACE
}  // namespace llmkit::ops::fused_simd
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace llmkit::ops::fused_simd {

HWY_EXPORT(DotImpl);
HWY_EXPORT(SumImpl);
HWY_EXPORT(MaxImpl);
HWY_EXPORT(DotRowsImpl);
HWY_EXPORT(AccumulateRowsImpl);
HWY_EXPORT(ExpShiftSumImpl);
HWY_EXPORT(ScaleSoftcapImpl);
HWY_EXPORT(TargetNameImpl);

float dot(const float* a, const float* b, int64_t n) {
  return HWY_DYNAMIC_DISPATCH(DotImpl)(a, b, n);
}
float sum(const float* x, int64_t n) {
  return HWY_DYNAMIC_DISPATCH(SumImpl)(x, n);
}
float max(const float* x, int64_t n) {
  return HWY_DYNAMIC_DISPATCH(MaxImpl)(x, n);
}
void dot_rows(const float* x, const float* rows, int64_t row_stride, int64_t n, int64_t d,
              float* out) {
  HWY_DYNAMIC_DISPATCH(DotRowsImpl)(x, rows, row_stride, n, d, out);
}
void accumulate_rows(const float* p, const float* rows, int64_t row_stride, int64_t n, int64_t d,
                     float* acc) {
  HWY_DYNAMIC_DISPATCH(AccumulateRowsImpl)(p, rows, row_stride, n, d, acc);
}
float exp_shift_sum(const float* x, int64_t n, float shift, float* out) {
  return HWY_DYNAMIC_DISPATCH(ExpShiftSumImpl)(x, n, shift, out);
}
void scale_softcap(float* x, int64_t n, float scale, float cap) {
  HWY_DYNAMIC_DISPATCH(ScaleSoftcapImpl)(x, n, scale, cap);
}
const char* target_name() {
  return HWY_DYNAMIC_DISPATCH(TargetNameImpl)();
}

namespace ref {

float dot(const float* a, const float* b, int64_t n) {
  float s = 0.0f;
  for (int64_t i = 0; i < n; ++i) s += a[i] * b[i];
  return s;
}

float sum(const float* x, int64_t n) {
  float s = 0.0f;
  for (int64_t i = 0; i < n; ++i) s += x[i];
  return s;
}

float max(const float* x, int64_t n) {
  float m = -std::numeric_limits<float>::infinity();
  for (int64_t i = 0; i < n; ++i) m = std::max(m, x[i]);
  return m;
}

void dot_rows(const float* x, const float* rows, int64_t row_stride, int64_t n, int64_t d,
              float* out) {
  for (int64_t r = 0; r < n; ++r) out[r] = dot(x, rows + r * row_stride, d);
}

void accumulate_rows(const float* p, const float* rows, int64_t row_stride, int64_t n, int64_t d,
                     float* acc) {
  for (int64_t r = 0; r < n; ++r) {
    for (int64_t j = 0; j < d; ++j) acc[j] += p[r] * rows[r * row_stride + j];
  }
}

float exp_shift_sum(const float* x, int64_t n, float shift, float* out) {
  float s = 0.0f;
  for (int64_t i = 0; i < n; ++i) {
    float e = std::exp(x[i] - shift);
    if (out != nullptr) out[i] = e;
    s += e;
  }
  return s;
}

void scale_softcap(float* x, int64_t n, float scale, float cap) {
  for (int64_t i = 0; i < n; ++i) {
    x[i] = cap > 0.0f ? cap * std::tanh(x[i] * scale / cap) : x[i] * scale;
  }
}

}  // namespace ref
}  // namespace llmkit::ops::fused_simd
#endif  // HWY_ONCE
