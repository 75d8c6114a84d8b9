// ops::rms_norm and rms_norm_backward against a double-precision reference (forward written here,
// backward by central differences of that forward).
#include <gtest/gtest.h>

#include <cmath>

#include "fused_reference.h"
#include "llmkit/base/context.h"
#include "llmkit/ops/fused.h"
#include "llmkit/tensor/view.h"

namespace llmkit::ops {
namespace {
using testing::expect_close;
using testing::numeric_grad;
using testing::random_tensor;
using testing::to_doubles;

// y and rstd of rows x rows of c channels, in double.
struct RefRms {
  std::vector<double> y, rstd;
};
RefRms ref_rms(const std::vector<double>& x, const std::vector<double>& w, int64_t c, double eps,
               bool unit_offset) {
  const int64_t rows = static_cast<int64_t>(x.size()) / c;
  RefRms r{std::vector<double>(x.size()), std::vector<double>(rows)};
  for (int64_t i = 0; i < rows; ++i) {
    double ss = 0.0;
    for (int64_t j = 0; j < c; ++j) ss += x[i * c + j] * x[i * c + j];
    r.rstd[i] = 1.0 / std::sqrt(ss / c + eps);
    for (int64_t j = 0; j < c; ++j) {
      r.y[i * c + j] = x[i * c + j] * r.rstd[i] * (unit_offset ? 1.0 + w[j] : w[j]);
    }
  }
  return r;
}

void check_forward_backward(const Tensor& x, const Tensor& w, float eps, bool unit_offset) {
  SCOPED_TRACE(::testing::Message() << "x " << describe(x) << " unit_offset " << unit_offset);
  const int64_t c = x.size(-1);
  RmsNormResult r = rms_norm(x, w, eps, unit_offset);
  std::vector<double> xd = to_doubles(x), wd = to_doubles(w);
  RefRms want = ref_rms(xd, wd, c, eps, unit_offset);
  ASSERT_EQ(r.y.shape(), x.shape());
  ASSERT_EQ(r.rstd.shape(), Shape(x.shape().begin(), x.shape().end() - 1));
  expect_close(r.y, want.y, 1e-5, 1e-5, "y");
  expect_close(r.rstd, want.rstd, 1e-6, 1e-5, "rstd");

  Tensor dy = random_tensor(x.shape(), 99);
  RmsNormGrads g = rms_norm_backward(x, w, r.rstd, dy, unit_offset);
  auto f = [&](const std::vector<std::vector<double>>& in) {
    return ref_rms(in[0], in[1], c, eps, unit_offset).y;
  };
  std::vector<double> dyd = to_doubles(dy);
  ASSERT_EQ(g.dx.shape(), x.shape());
  ASSERT_EQ(g.dw.shape(), w.shape());
  expect_close(g.dx, numeric_grad(f, {xd, wd}, 0, dyd), 1e-4, 1e-4, "dx");
  expect_close(g.dw, numeric_grad(f, {xd, wd}, 1, dyd), 1e-4, 1e-4, "dw");
}

TEST(RmsNorm, MatchesReferenceBothGainForms) {
  Tensor x = random_tensor({2, 3, 10}, 1, 2.0f);
  Tensor w = random_tensor({10}, 2, 0.5f);
  check_forward_backward(x, w, 1e-6f, false);
  check_forward_backward(x, w, 1e-6f, true);
  check_forward_backward(random_tensor({4, 1}, 3), random_tensor({1}, 4), 0.5f, true);
}

TEST(RmsNorm, NonContiguousAndBf16Inputs) {
  Tensor base = random_tensor({12, 5}, 5);
  Tensor x = transpose(base, 0, 1);  // [5, 12], column-major
  ASSERT_FALSE(x.is_contiguous());
  check_forward_backward(x, random_tensor({12}, 6), 1e-5f, false);
  Tensor xb = to_dtype(random_tensor({3, 8}, 7), DType::kBF16);
  check_forward_backward(xb, random_tensor({8}, 8), 1e-5f, true);
}

TEST(RmsNorm, ManyRowsOnSeveralThreads) {
  Context context(3);
  Context::Scope scope(context);
  check_forward_backward(random_tensor({37, 21}, 9), random_tensor({21}, 10), 1e-6f, false);
  // Enough rows that the weight-gradient sum is split into per-thread partials.
  Tensor x = random_tensor({2500, 16}, 11);
  Tensor w = random_tensor({16}, 12);
  Tensor dy = random_tensor({2500, 16}, 13);
  RmsNormResult r = rms_norm(x, w, 1e-6f, false);
  RmsNormGrads g = rms_norm_backward(x, w, r.rstd, dy, false);
  std::vector<double> xd = to_doubles(x), dyd = to_doubles(dy);
  RefRms want = ref_rms(xd, to_doubles(w), 16, 1e-6, false);
  std::vector<double> dw(16, 0.0);  // dw_j = sum over rows of dy * x * rstd
  for (int64_t i = 0; i < 2500; ++i) {
    for (int64_t j = 0; j < 16; ++j) dw[j] += dyd[i * 16 + j] * xd[i * 16 + j] * want.rstd[i];
  }
  expect_close(g.dw, dw, 1e-3, 1e-5, "dw over 2500 rows");
  expect_close(r.y, want.y, 1e-5, 1e-5, "y over 2500 rows");
}

TEST(RmsNorm, BadInputsThrow) {
  Tensor x = random_tensor({2, 4}, 1);
  EXPECT_THROW(rms_norm(x, random_tensor({3}, 2), 1e-6f, false), Error);
  EXPECT_THROW(rms_norm(x, random_tensor({1, 4}, 2), 1e-6f, false), Error);
  EXPECT_THROW(rms_norm(scalar(1.0f), random_tensor({1}, 2), 1e-6f, false), Error);
  EXPECT_THROW(rms_norm(x, random_tensor({4}, 2), -1.0f, false), Error);
  EXPECT_THROW(rms_norm(from_ints({1, 2}, {1, 2}), ones({2}), 1e-6f, false), Error);
  RmsNormResult r = rms_norm(x, ones({4}), 1e-6f, false);
  EXPECT_THROW(rms_norm_backward(x, ones({4}), r.rstd, ones({2, 3}), false), Error);
  EXPECT_THROW(rms_norm_backward(x, ones({4}), ones({4}), ones({2, 4}), false), Error);
  try {
    rms_norm(x, random_tensor({3}, 2), 1e-6f, false);
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("[2, 4]"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace llmkit::ops
