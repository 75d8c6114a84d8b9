// Gradients of the differentiable reductions: gradcheck over axis sets (single, multiple,
// negative, all) with and without keepdim, plus hand-derived tie-splitting and -inf cases.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "llmkit/autograd/backward.h"
#include "llmkit/autograd/functions.h"
#include "llmkit/autograd/gradcheck.h"
#include "llmkit/autograd/node.h"

namespace llmkit {
namespace {
using Axes = std::vector<int64_t>;

void expect_gradcheck(const autograd::TensorFn& f, const std::vector<Tensor>& inputs,
                      const std::string& what) {
  autograd::GradcheckResult r = autograd::gradcheck(f, inputs);
  EXPECT_TRUE(r.ok) << what << ": " << r.message << " (max abs error " << r.max_abs_error << ")";
}

// Distinct values 0.1 apart in random order: max/min are differentiable with no near-ties.
Tensor shuffled(const Shape& shape, Generator& gen) {
  auto n = static_cast<size_t>(shape_numel(shape));
  std::vector<float> v(n);
  for (size_t i = 0; i < n; ++i) v[i] = 0.1f * static_cast<float>(i) - 1.0f;
  for (size_t i = n; i > 1; --i) std::swap(v[i - 1], v[gen.next_bits() % i]);
  return from_vector(v, shape);
}

const std::vector<Axes> kAxisSets = {{}, {0}, {1}, {-1}, {0, 2}, {2, -3}, {0, 1, 2}};

std::string label(const char* name, const Axes& axes, bool keepdim) {
  std::string s = std::string(name) + " axes {";
  for (int64_t a : axes) s += std::to_string(a) + ",";
  return s + "} keepdim " + (keepdim ? "1" : "0");
}

TEST(ReduceGrad, AllReductionsOverAxisSets) {
  Generator gen(1);
  using Reduction = std::function<Tensor(const Tensor&, const Axes&, bool)>;
  const std::vector<std::pair<const char*, Reduction>> reductions = {
      {"sum", [](const Tensor& x, const Axes& a, bool k) { return sum(x, a, k); }},
      {"mean", [](const Tensor& x, const Axes& a, bool k) { return mean(x, a, k); }},
      {"max", [](const Tensor& x, const Axes& a, bool k) { return max(x, a, k); }},
      {"min", [](const Tensor& x, const Axes& a, bool k) { return min(x, a, k); }},
      {"logsumexp", [](const Tensor& x, const Axes& a, bool k) { return logsumexp(x, a, k); }},
      {"var", [](const Tensor& x, const Axes& a, bool k) { return var(x, a, k); }},
      {"var1", [](const Tensor& x, const Axes& a, bool k) { return var(x, a, k, 1); }},
  };
  for (const auto& [name, f] : reductions) {
    for (const Axes& axes : kAxisSets) {
      for (bool keepdim : {false, true}) {
        Tensor x = shuffled({2, 3, 4}, gen);
        expect_gradcheck([&f = f, &axes, keepdim](
                             const std::vector<Tensor>& in) { return f(in[0], axes, keepdim); },
                         {x}, label(name, axes, keepdim));
      }
    }
  }
}

TEST(ReduceGrad, ReductionsInsideExpressions) {
  Generator gen(2);
  // Layer-norm-like: (x - mean) / sqrt(var + eps), keepdim results broadcast back.
  expect_gradcheck(
      [](const std::vector<Tensor>& in) {
        const Tensor& x = in[0];
        Tensor mu = mean(x, {-1}, true);
        return (x - mu) * rsqrt(var(x, {-1}, true) + 1e-2f);
      },
      {randn({3, 5}, gen)}, "normalise");
  // Softmax via logsumexp over a middle axis, then a weighted sum over it.
  expect_gradcheck(
      [](const std::vector<Tensor>& in) {
        Tensor p = exp(in[0] - logsumexp(in[0], {1}, true));
        return sum(p * in[1], {1});
      },
      {randn({2, 4, 3}, gen), randn({4, 3}, gen)}, "softmax weighted sum");
}

TEST(ReduceGrad, MaxMinSplitTiesEvenly) {
  Tensor x = from_vector({1, 3, 3, 2, 2, 5}, {2, 3});
  x.set_requires_grad();
  backward(sum(max(x, {1})));
  EXPECT_EQ(x.grad().to_vector(), (std::vector<float>{0, 0.5f, 0.5f, 0, 0, 1}));
  x.zero_grad();
  backward(sum(min(x, {1}, true)));
  EXPECT_EQ(x.grad().to_vector(), (std::vector<float>{1, 0, 0, 0.5f, 0.5f, 0}));
  x.zero_grad();
  Tensor y = from_vector({3, 1, 3, 3}, {2, 2});
  y.set_requires_grad();
  backward(max(y) * 6.0f);
  EXPECT_EQ(y.grad().to_vector(), (std::vector<float>{2, 0, 2, 2}));
}

TEST(ReduceGrad, SumAndMeanGradientsAreExact) {
  Tensor x = zeros({2, 3, 4});
  x.set_requires_grad();
  Tensor w = from_vector({1, 2, 3}, {3});
  backward(sum(mean(x, {0, 2}) * w));  // d/dx = w[j] / 8
  std::vector<float> g = x.grad().to_vector();
  for (int64_t i = 0; i < 24; ++i) EXPECT_EQ(g[i], static_cast<float>((i / 4) % 3 + 1) / 8.0f);
}

TEST(ReduceGrad, LogSumExpOfAllNegInfRowHasZeroGradient) {
  const float inf = std::numeric_limits<float>::infinity();
  Tensor x = from_vector({-inf, -inf, 0, std::log(3.0f)}, {2, 2});
  x.set_requires_grad();
  Tensor l = logsumexp(x, {1});
  EXPECT_EQ(l.to_vector()[0], -inf);
  backward(l, ones({2}));
  std::vector<float> g = x.grad().to_vector();
  EXPECT_EQ(g[0], 0.0f);
  EXPECT_EQ(g[1], 0.0f);
  EXPECT_NEAR(g[2], 0.25f, 1e-6);
  EXPECT_NEAR(g[3], 0.75f, 1e-6);
}

TEST(ReduceGrad, HalfInputAndArgReductions) {
  Tensor x = to_dtype(from_vector({1, 4, 2, 3}, {2, 2}), DType::kBF16);
  x.set_requires_grad();
  backward(sum(var(x, {0})));  // var over 2 values a, b: (a - b)^2 / 4, d/da = (a - b) / 2
  ASSERT_EQ(x.grad().dtype(), DType::kF32);
  EXPECT_EQ(x.grad().to_vector(), (std::vector<float>{-0.5f, 0.5f, 0.5f, -0.5f}));
  Tensor am = argmax(x, 1), an = argmin(x, 0, true);
  EXPECT_FALSE(am.requires_grad());
  EXPECT_FALSE(an.requires_grad());
  EXPECT_EQ(am.to_int_vector(), (std::vector<int32_t>{1, 1}));
  EXPECT_EQ(an.to_int_vector(), (std::vector<int32_t>{0, 1}));
  EXPECT_EQ(an.shape(), (Shape{1, 2}));
}

TEST(ReduceGrad, AccumulationAndNoGrad) {
  Tensor x = from_vector({1, 2, 3, 4}, {2, 2});
  x.set_requires_grad();
  backward(sum(x, {0}), from_vector({1, 10}, {2}));
  backward(mean(x));
  EXPECT_EQ(x.grad().to_vector(), (std::vector<float>{1.25f, 10.25f, 1.25f, 10.25f}));
  autograd::NoGradGuard guard;
  EXPECT_FALSE(logsumexp(x, {1}).requires_grad());
  EXPECT_FALSE(max(x).requires_grad());
}

}  // namespace
}  // namespace llmkit
