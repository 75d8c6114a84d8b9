// Reductions against naive double loops written here: every subset of axes of a 4-D tensor, with
// and without keepdim, on contiguous and strided inputs; accuracy, special values, dtypes, errors.
#include "llmkit/ops/reduce.h"

#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <limits>

#include "llmkit/base/context.h"
#include "llmkit/tensor/creation.h"
#include "llmkit/tensor/view.h"

namespace llmkit::ops {
namespace {
constexpr float kInf = std::numeric_limits<float>::infinity();
constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();

std::vector<int64_t> unravel(int64_t flat, const Shape& shape) {
  std::vector<int64_t> idx(shape.size());
  for (size_t d = shape.size(); d-- > 0;) {
    idx[d] = flat % shape[d];
    flat /= shape[d];
  }
  return idx;
}

// The groups of values each output element reduces, by a direct walk over x's indices.
struct Groups {
  Shape out_shape;
  std::vector<std::vector<double>> values;  // per output element, in row-major order of x
};

Groups group(const Tensor& x, std::vector<int64_t> axes, bool keepdim) {
  const auto nd = static_cast<int64_t>(x.dim());
  std::vector<bool> red(nd, axes.empty());
  for (int64_t a : axes) red[a < 0 ? a + nd : a] = true;
  Groups g;
  Shape kept_shape;
  for (int64_t d = 0; d < nd; ++d) {
    if (!red[d]) kept_shape.push_back(x.shape()[d]);
    if (!red[d] || keepdim) g.out_shape.push_back(red[d] ? 1 : x.shape()[d]);
  }
  g.values.resize(shape_numel(kept_shape));
  for (int64_t i = 0; i < x.numel(); ++i) {
    std::vector<int64_t> idx = unravel(i, x.shape());
    int64_t o = 0;
    for (int64_t d = 0; d < nd; ++d) {
      if (!red[d]) o = o * x.shape()[d] + idx[d];
    }
    g.values[o].push_back(x.at(idx));
  }
  return g;
}

using Naive = std::function<double(const std::vector<double>&)>;

double naive_sum(const std::vector<double>& v) {
  double s = 0;
  for (double x : v) s += x;
  return s;
}
double naive_mean(const std::vector<double>& v) {
  return naive_sum(v) / v.size();
}
double naive_max(const std::vector<double>& v) {
  return *std::max_element(v.begin(), v.end());
}
double naive_min(const std::vector<double>& v) {
  return *std::min_element(v.begin(), v.end());
}
double naive_lse(const std::vector<double>& v) {
  double s = 0;
  for (double x : v) s += std::exp(x);
  return std::log(s);
}
double naive_var(const std::vector<double>& v, int correction) {
  double m = naive_mean(v), s = 0;
  for (double x : v) s += (x - m) * (x - m);
  return s / (static_cast<double>(v.size()) - correction);
}

void expect_matches(const Tensor& got, const Groups& g, const Naive& f, const std::string& what) {
  ASSERT_EQ(got.shape(), g.out_shape) << what;
  ASSERT_EQ(got.dtype(), DType::kF32) << what;
  std::vector<float> v = got.to_vector();
  for (size_t o = 0; o < v.size(); ++o) {
    double want = f(g.values[o]);
    ASSERT_NEAR(v[o], want, 1e-5 * (1 + std::fabs(want))) << what << " output " << o;
  }
}

std::string axes_str(const std::vector<int64_t>& axes, bool keepdim) {
  std::string s = "axes {";
  for (int64_t a : axes) s += std::to_string(a) + ",";
  return s + "} keepdim " + std::to_string(keepdim);
}

void check_all_reductions(const Tensor& x) {
  const int64_t nd = x.dim();
  for (int mask = 0; mask < (1 << nd); ++mask) {
    for (bool keepdim : {false, true}) {
      for (bool negative : {false, true}) {
        std::vector<int64_t> axes;
        for (int64_t d = 0; d < nd; ++d) {
          if (mask & (1 << d)) axes.push_back(negative ? d - nd : d);
        }
        Groups g = group(x, axes, keepdim);
        std::string w = axes_str(axes, keepdim) + " of " + describe(x);
        expect_matches(sum(x, axes, keepdim), g, naive_sum, "sum " + w);
        expect_matches(mean(x, axes, keepdim), g, naive_mean, "mean " + w);
        expect_matches(max(x, axes, keepdim), g, naive_max, "max " + w);
        expect_matches(min(x, axes, keepdim), g, naive_min, "min " + w);
        expect_matches(logsumexp(x, axes, keepdim), g, naive_lse, "logsumexp " + w);
        expect_matches(reduce(ReduceOp::kSum, x, axes, keepdim), g, naive_sum, "reduce " + w);
        expect_matches(
            var(x, axes, keepdim, 0), g, [](const auto& v) { return naive_var(v, 0); },
            "var0 " + w);
        expect_matches(
            var(x, axes, keepdim, 1), g, [](const auto& v) { return naive_var(v, 1); },
            "var1 " + w);
      }
    }
  }
}

TEST(Reduce, EveryAxisSubsetOfA4DTensor) {
  Generator gen(1);
  check_all_reductions(randn({2, 3, 4, 5}, gen));
}

TEST(Reduce, StridedAndTransposedInputs) {
  Generator gen(2);
  check_all_reductions(permute(randn({5, 2, 4, 3}, gen), {1, 3, 2, 0}));  // [2, 3, 4, 5]
  check_all_reductions(slice(randn({3, 9, 4}, gen), 1, 1, 9, 3));         // [3, 3, 4]
  check_all_reductions(expand(randn({3, 1}, gen), {2, 3, 4}));            // stride-0 dims
}

TEST(Reduce, ColumnReductionsOfWideMatrices) {
  // Axis 0 of a row-major matrix takes the blocked loop order; compare with per-column sums.
  Generator gen(3);
  Tensor x = randn({300, 1100}, gen);
  std::vector<float> v = x.to_vector();
  std::vector<float> s = sum(x, {0}).to_vector(), m = max(x, {0}).to_vector();
  std::vector<int32_t> am = argmax(x, 0).to_int_vector();
  for (int64_t c = 0; c < 1100; ++c) {
    double acc = 0, best = -1e30;
    int32_t bi = 0;
    for (int64_t r = 0; r < 300; ++r) {
      acc += v[r * 1100 + c];
      if (v[r * 1100 + c] > best) best = v[r * 1100 + c], bi = static_cast<int32_t>(r);
    }
    ASSERT_NEAR(s[c], acc, 1e-4) << c;
    ASSERT_EQ(m[c], best) << c;
    ASSERT_EQ(am[c], bi) << c;
  }
}

TEST(Reduce, MillionElementSumsAreAccurate) {
  // A float running sum of 1e6 copies of 0.1f is off by ~1%; the true sum is 100000.0015.
  Tensor x = full({1000000}, 0.1f);
  const double want = 1e6 * static_cast<double>(0.1f);
  EXPECT_NEAR(sum(x).item(), want, 0.01);
  EXPECT_NEAR(mean(x).item(), static_cast<double>(0.1f), 1e-8);
  Tensor y = full({1000, 1000}, 0.1f);
  EXPECT_NEAR(sum(y, {0, 1}).item(), want, 0.01);
  EXPECT_NEAR(sum(transpose(y, 0, 1)).item(), want, 0.01);
  // Large offset, small variance: the two-pass variance does not cancel.
  std::vector<float> vals(100000);
  for (size_t i = 0; i < vals.size(); ++i) vals[i] = 10000.0f + (i % 2 ? 0.5f : -0.5f);
  EXPECT_NEAR(var(from_vector(vals, {100000})).item(), 0.25, 1e-6);
}

TEST(Reduce, VarianceCorrection) {
  Tensor x = from_vector({1, 2, 3, 4}, {4});
  EXPECT_FLOAT_EQ(var(x).item(), 1.25f);
  EXPECT_FLOAT_EQ(var(x, {}, false, 1).item(), 5.0f / 3.0f);
  EXPECT_TRUE(std::isnan(var(from_vector({3}, {1}), {}, false, 1).item()));
  EXPECT_THROW(var(x, {}, false, -1), Error);
}

TEST(Reduce, ArgmaxArgminTakeTheFirstIndex) {
  Tensor x = from_vector({1, 5, 5, 0, 0, 0, 3, -2, -2}, {3, 3});
  EXPECT_EQ(argmax(x, 1).to_int_vector(), (std::vector<int32_t>{1, 0, 0}));
  EXPECT_EQ(argmin(x, 1).to_int_vector(), (std::vector<int32_t>{0, 0, 1}));
  EXPECT_EQ(argmax(x, -2).to_int_vector(), (std::vector<int32_t>{2, 0, 0}));
  EXPECT_EQ(argmin(x, 0).to_int_vector(), (std::vector<int32_t>{1, 2, 2}));
  Tensor k = argmax(x, 1, /*keepdim=*/true);
  EXPECT_EQ(k.shape(), (Shape{3, 1}));
  EXPECT_EQ(k.dtype(), DType::kI32);
  EXPECT_EQ(argmax(transpose(x, 0, 1), 1).to_int_vector(), (std::vector<int32_t>{2, 0, 0}));
  EXPECT_EQ(argmax(from_vector({1, kNaN, 7, kNaN}, {4}), 0).to_int_vector()[0], 1);
}

TEST(Reduce, LogSumExpIsStable) {
  Tensor x = from_vector({1000, 1000, -1000, -1000, -kInf, -kInf, -kInf, 2, 0, 0}, {5, 2});
  std::vector<float> l = logsumexp(x, {1}).to_vector();
  EXPECT_NEAR(l[0], 1000 + std::log(2.0), 1e-3);
  EXPECT_NEAR(l[1], -1000 + std::log(2.0), 1e-3);
  EXPECT_EQ(l[2], -kInf);
  EXPECT_FLOAT_EQ(l[3], 2.0f);
  EXPECT_FLOAT_EQ(l[4], static_cast<float>(std::log(2.0)));
  EXPECT_EQ(logsumexp(from_vector({kInf, 1}, {2})).item(), kInf);
  EXPECT_TRUE(std::isnan(logsumexp(from_vector({kNaN, 1}, {2})).item()));
}

TEST(Reduce, NaNPropagates) {
  Tensor x = from_vector({1, kNaN, 3}, {3});
  EXPECT_TRUE(std::isnan(sum(x).item()));
  EXPECT_TRUE(std::isnan(max(x).item()));
  EXPECT_TRUE(std::isnan(min(x).item()));
  EXPECT_TRUE(std::isnan(max(from_vector({kNaN, 5}, {2})).item()));
}

TEST(Reduce, HalfAndIntegerInputs) {
  Generator gen(5);
  Tensor x = randn({3, 4}, gen);
  for (DType dt : {DType::kF16, DType::kBF16}) {
    Tensor h = to_dtype(x, dt);
    Groups g = group(h, {1}, false);
    expect_matches(sum(h, {1}), g, naive_sum, "sum 16-bit");
    expect_matches(max(h, {0, 1}, true), group(h, {}, true), naive_max, "max 16-bit");
    EXPECT_EQ(argmax(h, 1).to_int_vector(),
              argmax(ops::to_dtype(h, DType::kF32), 1).to_int_vector());
  }
  // i32 values are summed exactly (2^24 + 1 is not a float).
  Tensor i = from_ints({(1 << 24) + 1, 0, 2, -3}, {2, 2});
  EXPECT_EQ(sum(i, {0}).to_vector(), (std::vector<float>{16777219.0f, -3.0f}));
  EXPECT_EQ(max(i).item(), static_cast<float>((1 << 24) + 1));
  EXPECT_EQ(argmin(i, 1).to_int_vector(), (std::vector<int32_t>{1, 1}));
}

TEST(Reduce, ZeroSizeAxes) {
  Tensor e = zeros({0, 3});
  EXPECT_EQ(sum(e, {0}).to_vector(), (std::vector<float>{0, 0, 0}));
  std::vector<float> m = mean(e, {0}).to_vector();
  ASSERT_EQ(m.size(), 3u);
  for (float v : m) EXPECT_TRUE(std::isnan(v));
  EXPECT_EQ(logsumexp(e, {0}).to_vector(), (std::vector<float>{-kInf, -kInf, -kInf}));
  EXPECT_THROW(max(e, {0}), Error);
  EXPECT_THROW(min(e), Error);
  EXPECT_THROW(argmax(e, 0), Error);
  EXPECT_THROW(argmin(e, 0), Error);
  EXPECT_EQ(sum(e).item(), 0.0f);
  // Reducing the non-empty axis leaves an empty result, which is fine.
  EXPECT_EQ(max(e, {1}).shape(), (Shape{0}));
  EXPECT_EQ(sum(e, {1}, true).shape(), (Shape{0, 1}));
}

TEST(Reduce, ZeroDimensionalInput) {
  Tensor s = scalar(2.5f);
  EXPECT_EQ(sum(s).item(), 2.5f);
  EXPECT_EQ(max(s).shape(), (Shape{}));
  EXPECT_EQ(mean(s, {}, true).shape(), (Shape{}));
}

void expect_error_mentions(const std::function<void()>& f, const std::vector<std::string>& parts,
                           ErrorCode code) {
  try {
    f();
    ADD_FAILURE() << "expected llmkit::Error";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), code) << e.what();
    std::string msg = e.what();
    for (const auto& p : parts) EXPECT_NE(msg.find(p), std::string::npos) << msg << " lacks " << p;
  }
}

TEST(Reduce, Errors) {
  Tensor x = zeros({2, 3});
  expect_error_mentions([&] { sum(x, {2}); }, {"sum"}, ErrorCode::kOutOfRange);
  expect_error_mentions([&] { mean(x, {-3}); }, {"mean"}, ErrorCode::kOutOfRange);
  expect_error_mentions(
      [&] {
        max(x, {1, -1});
      },
      {"max", "twice", "[2, 3]"}, ErrorCode::kInvalidArgument);
  expect_error_mentions([&] { argmax(x, 5); }, {"argmax"}, ErrorCode::kOutOfRange);
  expect_error_mentions(
      [&] {
        max(zeros({2, 0}), {1});
      },
      {"max", "zero-size", "f32[2, 0]"}, ErrorCode::kInvalidArgument);
  expect_error_mentions([&] { sum_to(x, {4}); }, {"sum_to", "[2, 3]", "[4]"},
                        ErrorCode::kInvalidArgument);
  expect_error_mentions([&] { sum_to(x, {1, 2, 3}); }, {"sum_to"}, ErrorCode::kInvalidArgument);
  expect_error_mentions([&] { sum(Tensor()); }, {"sum", "undefined"}, ErrorCode::kInvalidArgument);
}

TEST(Reduce, ReduceShape) {
  EXPECT_EQ(reduce_shape({2, 3, 4}, {-1, 0}, false), (Shape{3}));
  EXPECT_EQ(reduce_shape({2, 3, 4}, {-1, 0}, true), (Shape{1, 3, 1}));
  EXPECT_EQ(reduce_shape({2, 3, 4}, {}, false), (Shape{}));
  EXPECT_THROW(reduce_shape({2, 3}, {0, 0}, false), Error);
}

TEST(Reduce, SumToUndoesBroadcasting) {
  Generator gen(6);
  Tensor x = randn({2, 3, 4}, gen);
  std::vector<float> v = x.to_vector();
  auto at = [&](int64_t i, int64_t j, int64_t k) { return double(v[(i * 3 + j) * 4 + k]); };
  Tensor a = sum_to(x, {3, 1});
  ASSERT_EQ(a.shape(), (Shape{3, 1}));
  for (int64_t j = 0; j < 3; ++j) {
    double s = 0;
    for (int64_t i = 0; i < 2; ++i)
      for (int64_t k = 0; k < 4; ++k) s += at(i, j, k);
    EXPECT_NEAR(a.at({j, 0}), s, 1e-5);
  }
  Tensor b = sum_to(x, {4});
  ASSERT_EQ(b.shape(), (Shape{4}));
  for (int64_t k = 0; k < 4; ++k) {
    double s = 0;
    for (int64_t i = 0; i < 2; ++i)
      for (int64_t j = 0; j < 3; ++j) s += at(i, j, k);
    EXPECT_NEAR(b.at({k}), s, 1e-5);
  }
  Tensor c = sum_to(x, {2, 1, 4});
  ASSERT_EQ(c.shape(), (Shape{2, 1, 4}));
  EXPECT_NEAR(c.at({1, 0, 2}), at(1, 0, 2) + at(1, 1, 2) + at(1, 2, 2), 1e-5);
  EXPECT_NEAR(sum_to(x, {}).item(), naive_sum(group(x, {}, false).values[0]), 1e-5);
  EXPECT_TRUE(sum_to(x, {2, 3, 4}).same(x));  // nothing to sum: x itself
  Tensor h = sum_to(to_dtype(x, DType::kF16), {2, 3, 4});
  EXPECT_EQ(h.dtype(), DType::kF32);
  EXPECT_EQ(sum_to(zeros({0, 4}), {1, 4}).to_vector(), (std::vector<float>{0, 0, 0, 0}));
}

TEST(Reduce, ThreadedResultsEqualSingleThreaded) {
  Generator gen(7);
  Tensor x = randn({64, 300, 7}, gen);
  auto run = [&] {
    std::vector<std::vector<float>> out;
    out.push_back(sum(x, {1}).to_vector());
    out.push_back(sum(x, {0}).to_vector());
    out.push_back(logsumexp(x, {2}).to_vector());
    out.push_back(var(x, {0, 2}, false, 1).to_vector());
    out.push_back(max(permute(x, {2, 0, 1}), {1}).to_vector());
    return out;
  };
  auto single = run();
  Context ctx(3);
  Context::Scope scope(ctx);
  EXPECT_EQ(single, run());
}

}  // namespace
}  // namespace llmkit::ops
