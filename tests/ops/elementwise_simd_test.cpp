// SIMD element-wise kernels against their scalar references (elementwise_kernels.h): sizes that
// hit every tail length, special values, scalar-broadcast strides, and every instruction set the
// library was compiled for that this CPU supports.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "hwy/targets.h"
#include "llmkit/ops/elementwise_kernels.h"
#include "llmkit/tensor/creation.h"
#include "tests/ops/elementwise_naive.h"

namespace llmkit::ops {
namespace {
using namespace naive;  // NOLINT: test helpers

std::vector<float> special_values() {
  return {0.0f,  -0.0f,  1.0f,  -1.0f,  kInf,   -kInf,  kNaN,    1e-30f,  -1e-30f, 1e-40f,
          87.0f, 88.5f,  89.0f, -87.0f, -88.5f, -89.0f, -103.0f, -105.0f, 100.0f,  -100.0f,
          1e4f,  -1e4f,  1e30f, -1e30f, 3.0f,   -3.0f,  5.5f,    -5.5f,   9.0f,    -9.0f,
          12.0f, -12.0f, 20.0f, -20.0f, 0.5f,   -0.5f,  1e-4f,   -1e-4f};
}

// Relative tolerance of each SIMD kernel against its scalar reference at x: a few ulp, times the
// condition number 1 + |x f'(x) / f(x)| for the gelus, whose exp argument is itself a rounded
// polynomial in x (so a last-bit difference there is amplified; the reference has the same
// sensitivity to its own rounding).
double simd_rtol(UnaryOp op, float x) {
  switch (op) {
    case UnaryOp::kRelu:
      return 0.0;
    case UnaryOp::kGeluExact:
    case UnaryOp::kGeluTanh: {
      double cond = std::fabs(x * numeric_derivative(op, x) / naive_unary(op, x));
      return 6e-7 * (1.0 + (std::isfinite(cond) ? cond : 0.0));
    }
    default:
      return 4e-7;
  }
}

void expect_simd_matches_ref(UnaryOp op, const std::vector<float>& x) {
  const auto n = static_cast<int64_t>(x.size());
  const float guard = 12345.0f;
  std::vector<float> got(x.size() + 8, guard), want(x.size());
  simd::unary_f32(op, x.data(), got.data(), n);
  ref::unary_f32(op, x.data(), want.data(), n);
  for (int64_t i = 0; i < n; ++i) {
    // atol: results that underflow to (near-)denormals may round differently.
    ASSERT_TRUE(close(got[i], want[i], simd_rtol(op, x[i]), 1e-37))
        << unary_op_name(op) << "(" << x[i] << "): simd " << got[i] << " vs ref " << want[i]
        << " (n = " << n << ", i = " << i << ", target " << simd::target_name() << ")";
  }
  for (size_t i = x.size(); i < got.size(); ++i) ASSERT_EQ(got[i], guard) << "wrote past n";
}

void check_unary_over_tail_sizes() {
  Generator gen(7);
  for (UnaryOp op : kSimdUnary) {
    ASSERT_TRUE(simd::has_unary(op));
    for (int64_t n = 1; n <= 67; ++n) {
      expect_simd_matches_ref(op, rand({n}, gen, -12.0f, 12.0f).to_vector());
    }
    expect_simd_matches_ref(op, rand({1000}, gen, -30.0f, 30.0f).to_vector());
    expect_simd_matches_ref(op, rand({1000}, gen, -1.0f, 1.0f).to_vector());
  }
}

void check_unary_special_values() {
  for (UnaryOp op : kSimdUnary) expect_simd_matches_ref(op, special_values());
  // Limits the kernels guarantee.
  for (UnaryOp op : {UnaryOp::kSilu, UnaryOp::kGeluExact, UnaryOp::kGeluTanh}) {
    std::vector<float> x = {-kInf, kInf, kNaN}, y(3);
    simd::unary_f32(op, x.data(), y.data(), 3);
    EXPECT_EQ(y[0], 0.0f) << unary_op_name(op);
    EXPECT_EQ(y[1], kInf) << unary_op_name(op);
    EXPECT_TRUE(std::isnan(y[2])) << unary_op_name(op);
  }
  std::vector<float> x = {kNaN, -kInf, 100.0f, -200.0f}, y(4);
  simd::unary_f32(UnaryOp::kExp, x.data(), y.data(), 4);
  EXPECT_TRUE(std::isnan(y[0]));
  EXPECT_EQ(y[1], 0.0f);
  EXPECT_EQ(y[2], kInf);
  EXPECT_EQ(y[3], 0.0f);
}

TEST(ElementwiseSimd, UnaryInPlace) {
  Generator gen(3);
  std::vector<float> x = rand({37}, gen, -4.0f, 4.0f).to_vector(), want(37);
  ref::unary_f32(UnaryOp::kSilu, x.data(), want.data(), 37);
  simd::unary_f32(UnaryOp::kSilu, x.data(), x.data(), 37);
  for (int i = 0; i < 37; ++i) EXPECT_NEAR(x[i], want[i], 1e-6 * (1 + std::fabs(want[i])));
}

void check_binary_with_scalar_operands() {
  Generator gen(11);
  for (BinaryOp op : kSimdBinary) {
    ASSERT_TRUE(simd::has_binary(op));
    for (int64_t n : {1, 2, 3, 5, 7, 8, 9, 15, 16, 17, 31, 33, 63, 64, 65, 67, 1000}) {
      std::vector<float> a = rand({n}, gen, -5.0f, 5.0f).to_vector();
      std::vector<float> b = rand({n}, gen, -5.0f, 5.0f).to_vector();
      if (n > 4) {
        a[1] = kNaN;
        b[2] = kNaN;
        a[3] = b[3];  // a tie
        b[4] = 0.0f;
      }
      for (auto [sa, sb] : {std::pair{1, 1}, {1, 0}, {0, 1}}) {
        std::vector<float> got(n + 4, -7.0f), want(n);
        simd::binary_f32(op, a.data(), sa, b.data(), sb, got.data(), n);
        ref::binary_f32(op, a.data(), sa, b.data(), sb, want.data(), n);
        for (int64_t i = 0; i < n; ++i) {
          ASSERT_TRUE(close(got[i], want[i], 0.0, 0.0))
              << binary_op_name(op) << " n=" << n << " i=" << i << " strides " << sa << "," << sb
              << ": " << got[i] << " vs " << want[i];
        }
        for (int64_t i = n; i < n + 4; ++i) ASSERT_EQ(got[i], -7.0f);
      }
    }
  }
}

TEST(ElementwiseSimd, UnaryMatchesReferenceOverTailSizes) {
  check_unary_over_tail_sizes();
}
TEST(ElementwiseSimd, UnarySpecialValues) {
  check_unary_special_values();
}
TEST(ElementwiseSimd, BinaryMatchesReferenceWithScalarOperands) {
  check_binary_with_scalar_operands();
}

// The dispatcher picks one instruction set per CPU; force each compiled one this CPU supports.
TEST(ElementwiseSimd, EveryCompiledTargetMatchesReference) {
  std::vector<int64_t> targets = hwy::SupportedAndGeneratedTargets();
  EXPECT_GE(targets.size(), 2u);
  for (int64_t target : targets) {
    hwy::SetSupportedTargetsForTest(target);
    SCOPED_TRACE(hwy::TargetName(target));
    EXPECT_STREQ(simd::target_name(), hwy::TargetName(target));
    check_unary_over_tail_sizes();
    check_unary_special_values();
    check_binary_with_scalar_operands();
  }
  hwy::SetSupportedTargetsForTest(0);
}

}  // namespace
}  // namespace llmkit::ops
