// ops::layer_norm and layer_norm_backward against a double-precision reference (forward written
// here, backward by central differences of that forward).
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

struct RefLn {
  std::vector<double> y, mean, rstd;
};
// b empty: no bias.
RefLn ref_ln(const std::vector<double>& x, const std::vector<double>& w,
             const std::vector<double>& b, int64_t c, double eps) {
  const int64_t rows = static_cast<int64_t>(x.size()) / c;
  RefLn r{std::vector<double>(x.size()), std::vector<double>(rows), std::vector<double>(rows)};
  for (int64_t i = 0; i < rows; ++i) {
    double mu = 0.0, var = 0.0;
    for (int64_t j = 0; j < c; ++j) mu += x[i * c + j];
    mu /= c;
    for (int64_t j = 0; j < c; ++j) var += (x[i * c + j] - mu) * (x[i * c + j] - mu);
    r.mean[i] = mu;
    r.rstd[i] = 1.0 / std::sqrt(var / c + eps);
    for (int64_t j = 0; j < c; ++j) {
      r.y[i * c + j] = (x[i * c + j] - mu) * r.rstd[i] * w[j] + (b.empty() ? 0.0 : b[j]);
    }
  }
  return r;
}

void check_forward_backward(const Tensor& x, const Tensor& w, const Tensor& b, float eps) {
  SCOPED_TRACE(::testing::Message() << "x " << describe(x) << " bias " << b.defined());
  const int64_t c = x.size(-1);
  LayerNormResult r = layer_norm(x, w, b, eps);
  std::vector<double> xd = to_doubles(x), wd = to_doubles(w);
  std::vector<double> bd = b.defined() ? to_doubles(b) : std::vector<double>();
  RefLn want = ref_ln(xd, wd, bd, c, eps);
  const Shape stat(x.shape().begin(), x.shape().end() - 1);
  ASSERT_EQ(r.y.shape(), x.shape());
  ASSERT_EQ(r.mean.shape(), stat);
  ASSERT_EQ(r.rstd.shape(), stat);
  expect_close(r.y, want.y, 1e-5, 1e-5, "y");
  expect_close(r.mean, want.mean, 1e-5, 1e-5, "mean");
  expect_close(r.rstd, want.rstd, 1e-5, 1e-5, "rstd");

  Tensor dy = random_tensor(x.shape(), 77);
  LayerNormGrads g = layer_norm_backward(x, w, r.mean, r.rstd, dy, b.defined());
  auto f = [&](const std::vector<std::vector<double>>& in) {
    return ref_ln(in[0], in[1], in[2], c, eps).y;
  };
  std::vector<double> dyd = to_doubles(dy);
  ASSERT_EQ(g.dx.shape(), x.shape());
  ASSERT_EQ(g.dw.shape(), w.shape());
  expect_close(g.dx, numeric_grad(f, {xd, wd, bd}, 0, dyd), 1e-4, 1e-4, "dx");
  expect_close(g.dw, numeric_grad(f, {xd, wd, bd}, 1, dyd), 1e-4, 1e-4, "dw");
  if (b.defined()) {
    ASSERT_TRUE(g.db.defined());
    ASSERT_EQ(g.db.shape(), b.shape());
    expect_close(g.db, numeric_grad(f, {xd, wd, bd}, 2, dyd), 1e-4, 1e-4, "db");
  } else {
    EXPECT_FALSE(g.db.defined());
  }
}

TEST(LayerNorm, MatchesReferenceWithAndWithoutBias) {
  Tensor x = random_tensor({2, 3, 9}, 1, 2.0f);
  Tensor w = random_tensor({9}, 2);
  check_forward_backward(x, w, random_tensor({9}, 3), 1e-5f);
  check_forward_backward(x, w, Tensor(), 1e-5f);
  check_forward_backward(random_tensor({3, 2}, 4), random_tensor({2}, 5), Tensor(), 0.1f);
}

TEST(LayerNorm, LargeMeanStaysAccurate) {
  // A mean of 1000 with unit spread: a one-pass E[x^2] - E[x]^2 would lose most digits in f32.
  std::vector<float> values = random_tensor({4, 16}, 6).to_vector();
  for (float& v : values) v += 1000.0f;
  Tensor x = from_vector(values, {4, 16});
  LayerNormResult r = layer_norm(x, ones({16}), Tensor(), 1e-6f);
  RefLn want = ref_ln(to_doubles(x), std::vector<double>(16, 1.0), {}, 16, 1e-6);
  expect_close(r.y, want.y, 5e-4, 0.0, "y");
}

TEST(LayerNorm, NonContiguousBf16AndThreads) {
  Tensor x = transpose(random_tensor({10, 4}, 7), 0, 1);
  check_forward_backward(x, random_tensor({10}, 8), random_tensor({10}, 9), 1e-5f);
  Tensor xb = to_dtype(random_tensor({3, 6}, 10), DType::kBF16);
  check_forward_backward(xb, random_tensor({6}, 11), Tensor(), 1e-5f);
  Context context(3);
  Context::Scope scope(context);
  check_forward_backward(random_tensor({41, 7}, 12), random_tensor({7}, 13), random_tensor({7}, 14),
                         1e-5f);
}

TEST(LayerNorm, BadInputsThrow) {
  Tensor x = random_tensor({2, 4}, 1);
  EXPECT_THROW(layer_norm(x, ones({3}), Tensor(), 1e-5f), Error);
  EXPECT_THROW(layer_norm(x, ones({4}), ones({5}), 1e-5f), Error);
  EXPECT_THROW(layer_norm(x, ones({4}), Tensor(), -1.0f), Error);
  LayerNormResult r = layer_norm(x, ones({4}), Tensor(), 1e-5f);
  EXPECT_THROW(layer_norm_backward(x, ones({4}), r.mean, r.rstd, ones({4, 2}), false), Error);
  EXPECT_THROW(layer_norm_backward(x, ones({4}), ones({3}), r.rstd, ones({2, 4}), false), Error);
}

}  // namespace
}  // namespace llmkit::ops
