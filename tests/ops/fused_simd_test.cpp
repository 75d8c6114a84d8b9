// The SIMD primitives of the fused kernels, on every SIMD target this CPU supports, and their
// scalar references, all against double-precision loops written here.
#include "llmkit/ops/fused_simd.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "hwy/targets.h"
#include "llmkit/tensor/rng.h"

namespace llmkit::ops {
namespace {

struct Impl {
  std::string name;
  float (*dot)(const float*, const float*, int64_t);
  float (*sum)(const float*, int64_t);
  float (*max)(const float*, int64_t);
  void (*dot_rows)(const float*, const float*, int64_t, int64_t, int64_t, float*);
  void (*accumulate_rows)(const float*, const float*, int64_t, int64_t, int64_t, float*);
  float (*exp_shift_sum)(const float*, int64_t, float, float*);
  void (*scale_softcap)(float*, int64_t, float, float);
};

const Impl kSimd{"simd",
                 fused_simd::dot,
                 fused_simd::sum,
                 fused_simd::max,
                 fused_simd::dot_rows,
                 fused_simd::accumulate_rows,
                 fused_simd::exp_shift_sum,
                 fused_simd::scale_softcap};
const Impl kRef{"ref",
                fused_simd::ref::dot,
                fused_simd::ref::sum,
                fused_simd::ref::max,
                fused_simd::ref::dot_rows,
                fused_simd::ref::accumulate_rows,
                fused_simd::ref::exp_shift_sum,
                fused_simd::ref::scale_softcap};

const std::vector<int64_t> kSizes{0, 1, 3, 4, 7, 8, 15, 16, 17, 31, 32, 33, 64, 100, 257};

std::vector<float> random_values(int64_t n, uint64_t seed, float scale = 1.0f) {
  Generator gen(seed);
  std::vector<float> v(static_cast<size_t>(n));
  for (float& x : v) x = scale * gen.next_normal();
  return v;
}

// Checks one implementation against double-precision loops.
void check_impl(const Impl& impl) {
  SCOPED_TRACE(impl.name);
  for (int64_t n : kSizes) {
    SCOPED_TRACE(::testing::Message() << "n = " << n);
    std::vector<float> a = random_values(n, 10 + n), b = random_values(n, 20 + n);
    double dot = 0.0, mag = 0.0, sum = 0.0, smag = 0.0;
    float mx = -std::numeric_limits<float>::infinity();
    for (int64_t i = 0; i < n; ++i) {
      dot += static_cast<double>(a[i]) * b[i];
      mag += std::fabs(static_cast<double>(a[i]) * b[i]);
      sum += a[i];
      smag += std::fabs(a[i]);
      mx = std::max(mx, a[i]);
    }
    EXPECT_NEAR(impl.dot(a.data(), b.data(), n), dot, 1e-6 * mag + 1e-7);
    EXPECT_NEAR(impl.sum(a.data(), n), sum, 1e-6 * smag + 1e-7);
    EXPECT_EQ(impl.max(a.data(), n), mx);

    // exp_shift_sum with a separate output, with no output, and in place.
    const float shift = n > 0 ? mx : 0.0f;
    std::vector<float> e(static_cast<size_t>(n), -1.0f);
    double esum = 0.0;
    for (int64_t i = 0; i < n; ++i) esum += std::exp(static_cast<double>(a[i]) - shift);
    EXPECT_NEAR(impl.exp_shift_sum(a.data(), n, shift, e.data()), esum, 1e-6 * esum + 1e-7);
    for (int64_t i = 0; i < n; ++i) {
      // The kernels subtract in f32; compare the exponential itself to within 2 ulp.
      const double want = std::exp(static_cast<double>(a[i] - shift));
      EXPECT_NEAR(e[i], want, 2.4e-7 * want) << "element " << i;
    }
    EXPECT_NEAR(impl.exp_shift_sum(a.data(), n, shift, nullptr), esum, 1e-6 * esum + 1e-7);
    std::vector<float> inplace = a;
    impl.exp_shift_sum(inplace.data(), n, shift, inplace.data());
    for (int64_t i = 0; i < n; ++i) EXPECT_EQ(inplace[i], e[i]) << "element " << i;

    // scale_softcap without and with a cap.
    for (float cap : {0.0f, 1.5f}) {
      std::vector<float> x = random_values(n, 30 + n, 3.0f);
      std::vector<float> y = x;
      impl.scale_softcap(y.data(), n, 0.7f, cap);
      for (int64_t i = 0; i < n; ++i) {
        const double r = 0.7 * x[i];
        const double want = cap > 0.0f ? cap * std::tanh(r / cap) : r;
        EXPECT_NEAR(y[i], want, 1e-6 + 1e-6 * std::fabs(want)) << "cap " << cap << " at " << i;
      }
    }
  }

  // Row operations on rows with padding between them (row_stride > d).
  for (int64_t d : {1, 5, 8, 16, 37, 64, 70}) {
    for (int64_t n : {0, 1, 3, 9}) {
      SCOPED_TRACE(::testing::Message() << "d = " << d << ", rows = " << n);
      const int64_t stride = d + 3;
      std::vector<float> rows = random_values(n * stride + 1, 40 + d * 7 + n);
      std::vector<float> x = random_values(d, 50 + d), p = random_values(n, 60 + n);
      std::vector<float> out(static_cast<size_t>(n), 0.0f);
      impl.dot_rows(x.data(), rows.data(), stride, n, d, out.data());
      for (int64_t r = 0; r < n; ++r) {
        double want = 0.0, mag = 0.0;
        for (int64_t j = 0; j < d; ++j) {
          want += static_cast<double>(x[j]) * rows[r * stride + j];
          mag += std::fabs(static_cast<double>(x[j]) * rows[r * stride + j]);
        }
        EXPECT_NEAR(out[r], want, 1e-6 * mag + 1e-7) << "row " << r;
      }
      std::vector<float> acc = random_values(d, 70 + d);
      std::vector<double> want(acc.begin(), acc.end()), mag(d, 0.0);
      for (int64_t r = 0; r < n; ++r) {
        for (int64_t j = 0; j < d; ++j) {
          want[j] += static_cast<double>(p[r]) * rows[r * stride + j];
          mag[j] += std::fabs(static_cast<double>(p[r]) * rows[r * stride + j]);
        }
      }
      impl.accumulate_rows(p.data(), rows.data(), stride, n, d, acc.data());
      for (int64_t j = 0; j < d; ++j) {
        EXPECT_NEAR(acc[j], want[j], 1e-6 * (mag[j] + std::fabs(want[j])) + 1e-7) << "col " << j;
      }
    }
  }
}

TEST(FusedSimd, ScalarReferenceMatchesDouble) {
  check_impl(kRef);
}

TEST(FusedSimd, EverySupportedTargetMatchesDouble) {
  std::vector<int64_t> targets = hwy::SupportedAndGeneratedTargets();
  ASSERT_FALSE(targets.empty());
  for (int64_t target : targets) {
    hwy::SetSupportedTargetsForTest(target);
    SCOPED_TRACE(hwy::TargetName(target));
    EXPECT_STREQ(fused_simd::target_name(), hwy::TargetName(target));
    check_impl(kSimd);
  }
  hwy::SetSupportedTargetsForTest(0);
}

TEST(FusedSimd, SimdAgreesWithScalarReference) {
  for (int64_t n : kSizes) {
    std::vector<float> a = random_values(n, 80 + n), b = random_values(n, 90 + n);
    EXPECT_NEAR(fused_simd::dot(a.data(), b.data(), n), fused_simd::ref::dot(a.data(), b.data(), n),
                1e-5 * (1 + n));
    EXPECT_EQ(fused_simd::max(a.data(), n), fused_simd::ref::max(a.data(), n));
    EXPECT_NEAR(fused_simd::exp_shift_sum(a.data(), n, 1.0f, nullptr),
                fused_simd::ref::exp_shift_sum(a.data(), n, 1.0f, nullptr), 1e-5 * (1 + n));
  }
}

TEST(FusedSimd, ExpOfMinusInfinityIsZero) {
  const float inf = std::numeric_limits<float>::infinity();
  std::vector<float> x{0.5f, -inf, 1.0f, -inf, -inf, 0.0f, 2.0f, -inf, -inf, 0.25f, -inf};
  for (const Impl* impl : {&kSimd, &kRef}) {
    std::vector<float> e(x.size());
    const float s = impl->exp_shift_sum(x.data(), static_cast<int64_t>(x.size()), 2.0f, e.data());
    double want = 0.0;
    for (size_t i = 0; i < x.size(); ++i) {
      const double wi = std::isinf(x[i]) ? 0.0 : std::exp(x[i] - 2.0);
      EXPECT_NEAR(e[i], wi, 1e-6) << impl->name << " element " << i;
      want += wi;
    }
    EXPECT_NEAR(s, want, 1e-6) << impl->name;
  }
}

}  // namespace
}  // namespace llmkit::ops
