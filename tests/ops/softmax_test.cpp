// ops::softmax family against double-precision references written here; SIMD row kernels against
// their scalar references; backward against finite differences of the double reference.
#include "llmkit/ops/softmax.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "llmkit/base/context.h"
#include "llmkit/ops/softmax_kernels.h"
#include "llmkit/tensor/creation.h"
#include "llmkit/tensor/view.h"

namespace llmkit {
namespace {

constexpr float kInf = std::numeric_limits<float>::infinity();

// Softmax (or log-softmax) of the row-major values v of `shape` along axis a, in double.
std::vector<double> naive_softmax(const std::vector<double>& v, const Shape& shape, int64_t a,
                                  bool log) {
  int64_t n = shape[a], inner = 1, outer = 1;
  for (size_t d = a + 1; d < shape.size(); ++d) inner *= shape[d];
  for (int64_t d = 0; d < a; ++d) outer *= shape[d];
  std::vector<double> out(v.size());
  for (int64_t o = 0; o < outer; ++o) {
    for (int64_t i = 0; i < inner; ++i) {
      auto at = [&](int64_t j) { return (o * n + j) * inner + i; };
      double m = -INFINITY, s = 0;
      for (int64_t j = 0; j < n; ++j) m = std::max(m, v[at(j)]);
      for (int64_t j = 0; j < n; ++j) s += std::exp(v[at(j)] - m);
      for (int64_t j = 0; j < n; ++j) {
        out[at(j)] = log ? v[at(j)] - m - std::log(s) : std::exp(v[at(j)] - m) / s;
      }
    }
  }
  return out;
}

std::vector<double> to_double(const Tensor& t) {
  std::vector<float> f = t.to_vector();
  return {f.begin(), f.end()};
}

void expect_close(const Tensor& out, const std::vector<double>& ref, double tol) {
  std::vector<float> v = out.to_vector();
  ASSERT_EQ(v.size(), ref.size());
  for (size_t i = 0; i < v.size(); ++i) ASSERT_NEAR(v[i], ref[i], tol) << "element " << i;
}

class SoftmaxTest : public ::testing::Test {
 protected:
  Generator gen_{7};
};

TEST_F(SoftmaxTest, EveryAxisMatchesReference) {
  for (const Shape& shape : {Shape{3, 7}, Shape{2, 3, 5}, Shape{4, 1, 6}, Shape{33}}) {
    Tensor x = randn(shape, gen_, 0.0f, 3.0f);
    for (int64_t a = 0; a < static_cast<int64_t>(shape.size()); ++a) {
      SCOPED_TRACE(describe(x) + " axis " + std::to_string(a));
      expect_close(ops::softmax(x, a), naive_softmax(to_double(x), shape, a, false), 1e-6);
      expect_close(ops::log_softmax(x, a), naive_softmax(to_double(x), shape, a, true), 2e-5);
    }
  }
  Tensor x = randn({2, 3, 4}, gen_);
  EXPECT_EQ(ops::softmax(x, -1).to_vector(), ops::softmax(x, 2).to_vector());
}

TEST_F(SoftmaxTest, StridedAndHalfInputs) {
  Tensor base = randn({5, 4}, gen_);
  Tensor xt = ops::transpose(base, 0, 1);  // [4, 5], not contiguous
  expect_close(ops::softmax(xt, 1), naive_softmax(to_double(xt), {4, 5}, 1, false), 1e-6);
  Tensor h = ops::to_dtype(randn({3, 9}, gen_), DType::kF16);
  Tensor y = ops::softmax(h, -1);
  EXPECT_EQ(y.dtype(), DType::kF32);
  expect_close(y, naive_softmax(to_double(h), {3, 9}, 1, false), 1e-6);
}

TEST_F(SoftmaxTest, LargeLogitsAreStable) {
  Tensor x = from_vector({1000.0f, 1001.0f, 999.0f, -1000.0f}, {1, 4});
  std::vector<double> ref = naive_softmax(to_double(x), {1, 4}, 1, false);
  expect_close(ops::softmax(x), ref, 1e-6);
  expect_close(ops::log_softmax(x), naive_softmax(to_double(x), {1, 4}, 1, true), 1e-4);
}

TEST_F(SoftmaxTest, AllMinusInfinityRowsGiveNoNaN) {
  Tensor x = from_vector({-kInf, -kInf, -kInf, 0.0f, -kInf, 1.0f}, {2, 3});
  std::vector<float> y = ops::softmax(x).to_vector();
  std::vector<float> ly = ops::log_softmax(x).to_vector();
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(y[i], 0.0f);
    EXPECT_EQ(ly[i], -kInf);
  }
  EXPECT_EQ(y[4], 0.0f);  // a masked entry of a normal row
  EXPECT_NEAR(y[3], 1.0 / (1.0 + std::exp(1.0)), 1e-6);
  EXPECT_EQ(ly[4], -kInf);
  // Along a non-last axis too (the gathered path).
  std::vector<float> yc = ops::softmax(ops::transpose(x, 0, 1), 0).to_vector();
  EXPECT_EQ(yc[0], 0.0f);
  EXPECT_EQ(yc[2], 0.0f);
  for (float v : yc) EXPECT_FALSE(std::isnan(v));
}

TEST_F(SoftmaxTest, SimdRowKernelsMatchScalarReference) {
  for (int64_t n : {0, 1, 2, 3, 7, 8, 9, 15, 16, 17, 31, 33, 64, 67, 1000}) {
    Tensor x = randn({n}, gen_, 0.0f, 4.0f);
    std::vector<float> xv = x.to_vector();
    if (n > 2) xv[1] = -kInf;
    std::vector<float> a(n), b(n);
    ops::softmax_row(xv.data(), a.data(), n);
    ops::ref::softmax_row(xv.data(), b.data(), n);
    for (int64_t i = 0; i < n; ++i) ASSERT_NEAR(a[i], b[i], 1e-6 + 1e-5 * b[i]) << n << " " << i;
    ops::log_softmax_row(xv.data(), a.data(), n);
    ops::ref::log_softmax_row(xv.data(), b.data(), n);
    for (int64_t i = 0; i < n; ++i) {
      if (std::isinf(b[i])) {
        ASSERT_EQ(a[i], b[i]);
      } else {
        ASSERT_NEAR(a[i], b[i], 1e-5 * (1 + std::fabs(b[i]))) << n << " " << i;
      }
    }
  }
}

// Finite differences of L(x) = sum(g * f(x)) with f the double reference: dL/dx.
std::vector<double> numeric_grad(const std::vector<double>& x, const std::vector<double>& g,
                                 const Shape& shape, int64_t a, bool log) {
  std::vector<double> out(x.size());
  const double h = 1e-5;
  for (size_t i = 0; i < x.size(); ++i) {
    std::vector<double> xp = x, xm = x;
    xp[i] += h;
    xm[i] -= h;
    std::vector<double> fp = naive_softmax(xp, shape, a, log),
                        fm = naive_softmax(xm, shape, a, log);
    double d = 0;
    for (size_t j = 0; j < x.size(); ++j) d += g[j] * (fp[j] - fm[j]);
    out[i] = d / (2 * h);
  }
  return out;
}

TEST_F(SoftmaxTest, BackwardMatchesFiniteDifferences) {
  const Shape shape{3, 4, 5};
  Tensor x = randn(shape, gen_);
  Tensor g = randn(shape, gen_);
  for (int64_t a = 0; a < 3; ++a) {
    SCOPED_TRACE("axis " + std::to_string(a));
    Tensor y = ops::softmax(x, a);
    expect_close(ops::softmax_backward(y, g, a),
                 numeric_grad(to_double(x), to_double(g), shape, a, false), 1e-5);
    Tensor ly = ops::log_softmax(x, a);
    expect_close(ops::log_softmax_backward(ly, g, a),
                 numeric_grad(to_double(x), to_double(g), shape, a, true), 1e-4);
  }
  // A non-contiguous gradient gives the same result as its contiguous copy.
  Tensor y = ops::softmax(x, -1);
  Tensor gt = ops::transpose(randn({3, 5, 4}, gen_), 1, 2);
  EXPECT_EQ(ops::softmax_backward(y, gt).to_vector(),
            ops::softmax_backward(y, ops::contiguous(gt)).to_vector());
}

TEST_F(SoftmaxTest, ThreadCountDoesNotChangeResults) {
  Tensor x = randn({64, 300}, gen_);
  std::vector<float> one = ops::softmax(x, 1).to_vector();
  std::vector<float> col = ops::log_softmax(x, 0).to_vector();
  Context ctx(2);
  Context::Scope scope(ctx);
  EXPECT_EQ(ops::softmax(x, 1).to_vector(), one);
  EXPECT_EQ(ops::log_softmax(x, 0).to_vector(), col);
}

TEST_F(SoftmaxTest, EmptyAndBadInputs) {
  EXPECT_EQ(ops::softmax(zeros({0, 3})).shape(), (Shape{0, 3}));
  EXPECT_EQ(ops::softmax(zeros({3, 0})).shape(), (Shape{3, 0}));
  EXPECT_THROW(ops::softmax(zeros({2, 3}), 2), Error);
  EXPECT_THROW(ops::softmax(from_ints({1, 2}, {2})), Error);
  EXPECT_THROW(ops::softmax_backward(zeros({2, 3}), zeros({3, 2})), Error);
}

}  // namespace
}  // namespace llmkit
