// Gradients of the differentiable element-wise functions against finite differences
// (autograd::gradcheck), including broadcasting shapes and every operator overload; plus checks
// that gradcheck can fail, gradient accumulation, NoGradGuard and value_and_grad.
#include <gtest/gtest.h>

#include <cmath>

#include "llmkit/autograd/backward.h"
#include "llmkit/autograd/functions.h"
#include "llmkit/autograd/gradcheck.h"
#include "llmkit/autograd/node.h"
#include "llmkit/ops/elementwise.h"
#include "llmkit/tensor/view.h"

namespace llmkit {
namespace {
using autograd::GradcheckOptions;
using autograd::TensorFn;
using Fn1 = std::function<Tensor(const Tensor&)>;
using Fn2 = std::function<Tensor(const Tensor&, const Tensor&)>;

void expect_gradcheck(const TensorFn& f, const std::vector<Tensor>& inputs, const std::string& what,
                      const GradcheckOptions& options = {}) {
  autograd::GradcheckResult r = autograd::gradcheck(f, inputs, options);
  EXPECT_TRUE(r.ok) << what << ": " << r.message << " (max abs error " << r.max_abs_error << ")";
}

// Values in [lo, hi] with a random sign flipped when `signed_values`, never within 0.2 of zero
// (keeps abs/relu/reciprocal away from their kinks and poles).
Tensor away_from_zero(const Shape& shape, Generator& gen, bool signed_values) {
  Tensor t = rand(shape, gen, 0.2f, 2.0f);
  if (!signed_values) return t;
  Tensor sign = rand(shape, gen, -1.0f, 1.0f);
  std::vector<float> v = t.to_vector(), s = sign.to_vector();
  for (size_t i = 0; i < v.size(); ++i) v[i] = s[i] < 0 ? -v[i] : v[i];
  return from_vector(v, shape);
}

const std::vector<std::pair<Shape, Shape>> kBroadcastPairs = {{{2, 3, 4}, {3, 1}}, {{4}, {2, 3, 4}},
                                                              {{2, 1, 4}, {3, 1}}, {{3}, {}},
                                                              {{2, 3}, {2, 3}},    {{}, {2, 2}}};

TEST(ElementwiseGrad, BinaryFunctionsWithBroadcasting) {
  Generator gen(1);
  const std::vector<std::pair<std::string, Fn2>> fns = {
      {"add", [](const Tensor& a, const Tensor& b) { return add(a, b); }},
      {"sub", [](const Tensor& a, const Tensor& b) { return sub(a, b); }},
      {"mul", [](const Tensor& a, const Tensor& b) { return mul(a, b); }},
      {"div", [](const Tensor& a, const Tensor& b) { return div(a, b); }},
      {"pow", [](const Tensor& a, const Tensor& b) { return pow(a, b); }},
      {"maximum", [](const Tensor& a, const Tensor& b) { return maximum(a, b); }},
      {"minimum", [](const Tensor& a, const Tensor& b) { return minimum(a, b); }},
      {"a+b", [](const Tensor& a, const Tensor& b) { return a + b; }},
      {"a-b", [](const Tensor& a, const Tensor& b) { return a - b; }},
      {"a*b", [](const Tensor& a, const Tensor& b) { return a * b; }},
      {"a/b", [](const Tensor& a, const Tensor& b) { return a / b; }},
  };
  for (const auto& [name, f] : fns) {
    for (const auto& [sa, sb] : kBroadcastPairs) {
      // Positive operands keep pow's log(a) and div's 1/b defined; maximum/minimum get operands
      // from disjoint ranges in one direction or interleaved values far from ties.
      Tensor a = rand(sa, gen, 0.5f, 2.0f);
      Tensor b = name == "pow" ? rand(sb, gen, -1.5f, 1.5f) : rand(sb, gen, 0.5f, 2.0f);
      if (name == "maximum" || name == "minimum") {
        a = from_vector(std::vector<float>(shape_numel(sa), 1.0f), sa);
        a = add(a, away_from_zero(sa, gen, true));
        b = from_vector(std::vector<float>(shape_numel(sb), 1.0f), sb);
      }
      expect_gradcheck([&f = f](const std::vector<Tensor>& in) { return f(in[0], in[1]); }, {a, b},
                       name + " " + shape_to_string(sa) + " with " + shape_to_string(sb));
    }
  }
}

TEST(ElementwiseGrad, UnaryFunctions) {
  Generator gen(2);
  struct Case {
    std::string name;
    Fn1 f;
    bool positive;  // needs x > 0
  };
  const std::vector<Case> cases = {
      {"neg", [](const Tensor& x) { return neg(x); }, false},
      {"exp", [](const Tensor& x) { return exp(x); }, false},
      {"log", [](const Tensor& x) { return log(x); }, true},
      {"sqrt", [](const Tensor& x) { return sqrt(x); }, true},
      {"rsqrt", [](const Tensor& x) { return rsqrt(x); }, true},
      {"tanh", [](const Tensor& x) { return tanh(x); }, false},
      {"abs", [](const Tensor& x) { return abs(x); }, false},
      {"square", [](const Tensor& x) { return square(x); }, false},
      {"sigmoid", [](const Tensor& x) { return sigmoid(x); }, false},
      {"sin", [](const Tensor& x) { return sin(x); }, false},
      {"cos", [](const Tensor& x) { return cos(x); }, false},
      {"relu", [](const Tensor& x) { return relu(x); }, false},
      {"silu", [](const Tensor& x) { return silu(x); }, false},
      {"gelu", [](const Tensor& x) { return gelu(x); }, false},
      {"gelu_tanh", [](const Tensor& x) { return gelu(x, true); }, false},
      {"pow 3", [](const Tensor& x) { return pow(x, 3.0f); }, false},
      {"pow -0.5", [](const Tensor& x) { return pow(x, -0.5f); }, true},
      {"pow 0", [](const Tensor& x) { return pow(x, 0.0f); }, false},
      {"add_scalar", [](const Tensor& x) { return add_scalar(x, 1.5f); }, false},
      {"mul_scalar", [](const Tensor& x) { return mul_scalar(x, -2.5f); }, false},
      {"-x", [](const Tensor& x) { return -x; }, false},
      {"x+s", [](const Tensor& x) { return x + 2.0f; }, false},
      {"s+x", [](const Tensor& x) { return 2.0f + x; }, false},
      {"x-s", [](const Tensor& x) { return x - 2.0f; }, false},
      {"s-x", [](const Tensor& x) { return 2.0f - x; }, false},
      {"x*s", [](const Tensor& x) { return x * 3.0f; }, false},
      {"s*x", [](const Tensor& x) { return 3.0f * x; }, false},
      {"x/s", [](const Tensor& x) { return x / 4.0f; }, false},
      {"s/x", [](const Tensor& x) { return 4.0f / x; }, false},
      {"clamp", [](const Tensor& x) { return clamp(x, -1.0f, 1.1f); }, false},
  };
  for (const auto& c : cases) {
    Tensor x = away_from_zero({2, 3, 2}, gen, !c.positive);
    if (c.name == "clamp") {  // keep clear of the bounds -1 and 1.1
      x = from_vector(
          {-2.0f, -1.4f, -0.7f, -0.2f, 0.3f, 0.9f, 1.3f, 1.8f, -0.95f, 1.05f, 0.0f, -1.2f},
          {2, 3, 2});
    }
    expect_gradcheck([&f = c.f](const std::vector<Tensor>& in) { return f(in[0]); }, {x}, c.name);
  }
}

TEST(ElementwiseGrad, WhereAndMaskedFill) {
  Generator gen(3);
  Tensor cond = from_vector({1, 0, 1}, {3, 1});
  expect_gradcheck([](const std::vector<Tensor>& in) { return where(in[0], in[1], in[2]); },
                   {cond, randn({2, 3, 4}, gen), randn({4}, gen)}, "where",
                   GradcheckOptions{.check_inputs = {1, 2}});
  expect_gradcheck([](const std::vector<Tensor>& in) { return where(in[0], in[1], in[2]); },
                   {from_vector({0, 1, 1, 0}, {4}), randn({3, 1}, gen), randn({}, gen)},
                   "where scalar b", GradcheckOptions{.check_inputs = {1, 2}});
  expect_gradcheck([](const std::vector<Tensor>& in) { return masked_fill(in[0], in[1], -3.0f); },
                   {randn({2, 3}, gen), from_vector({0, 1, 0}, {3})}, "masked_fill",
                   GradcheckOptions{.check_inputs = {0}});
  // cond gets no gradient even when it requires one.
  Tensor c = from_vector({1, 0}, {2});
  c.set_requires_grad();
  Tensor a = ones({2}), b = zeros({2});
  a.set_requires_grad();
  backward(sum(where(c, a, b)));
  EXPECT_FALSE(c.grad().defined());
  EXPECT_EQ(a.grad().to_vector(), (std::vector<float>{1, 0}));
}

TEST(ElementwiseGrad, CompositeExpression) {
  Generator gen(4);
  expect_gradcheck(
      [](const std::vector<Tensor>& in) {
        const Tensor &x = in[0], &y = in[1];
        return silu(x) * y + exp(x) / (y * y + 1.0f) - gelu(x * 0.5f, true);
      },
      {randn({3, 4}, gen), randn({4}, gen)}, "composite");
}

TEST(ElementwiseGrad, MaximumTiesSendTheGradientToA) {
  Tensor a = from_vector({1, 2, 3}, {3}), b = from_vector({1, 0, 5}, {3});
  a.set_requires_grad();
  b.set_requires_grad();
  backward(sum(maximum(a, b)));
  EXPECT_EQ(a.grad().to_vector(), (std::vector<float>{1, 1, 0}));
  EXPECT_EQ(b.grad().to_vector(), (std::vector<float>{0, 0, 1}));
  a.zero_grad();
  b.zero_grad();
  backward(sum(minimum(a, b)));
  EXPECT_EQ(a.grad().to_vector(), (std::vector<float>{1, 0, 1}));
  EXPECT_EQ(b.grad().to_vector(), (std::vector<float>{0, 1, 0}));
}

TEST(ElementwiseGrad, PowGradientToExponentAtZeroBase) {
  Tensor a = from_vector({0, 2}, {2}), b = from_vector({2, 3}, {2});
  b.set_requires_grad();
  backward(sum(pow(a, b)));
  EXPECT_EQ(b.grad().to_vector()[0], 0.0f);  // 0^b log 0 -> 0, not NaN
  EXPECT_NEAR(b.grad().to_vector()[1], 8 * std::log(2.0), 1e-5);
}

TEST(ElementwiseGrad, ComparisonsNeverRequireGrad) {
  Tensor a = from_vector({1, 2, 3}, {3}), b = from_vector({2}, {1});
  a.set_requires_grad();
  struct Case {
    Tensor out;
    std::vector<float> want;
  };
  for (const auto& c :
       {Case{eq(a, b), {0, 1, 0}}, Case{ne(a, b), {1, 0, 1}}, Case{lt(a, b), {1, 0, 0}},
        Case{le(a, b), {1, 1, 0}}, Case{gt(a, b), {0, 0, 1}}, Case{ge(a, b), {0, 1, 1}}}) {
    EXPECT_FALSE(c.out.requires_grad());
    EXPECT_EQ(c.out.dtype(), DType::kF32);
    EXPECT_EQ(c.out.to_vector(), c.want);
  }
}

TEST(ElementwiseGrad, HalfPrecisionLeafGetsF32Gradient) {
  Tensor a = to_dtype(from_vector({1, 2, 3}, {3}), DType::kF16);
  a.set_requires_grad();
  Tensor b = from_vector({4, 5, 6}, {3});
  backward(sum(a * b));
  ASSERT_TRUE(a.grad().defined());
  EXPECT_EQ(a.grad().dtype(), DType::kF32);
  EXPECT_EQ(a.grad().to_vector(), (std::vector<float>{4, 5, 6}));
}

TEST(ElementwiseGrad, SameTensorOnBothSides) {
  Tensor x = from_vector({1, -2}, {2});
  x.set_requires_grad();
  backward(sum(x * x + x));
  EXPECT_EQ(x.grad().to_vector(), (std::vector<float>{3, -3}));
}

// A square whose recorded backward forgets the factor 2: gradcheck must catch it.
Tensor wrong_square(const Tensor& x) {
  Tensor y = ops::unary(ops::UnaryOp::kSquare, x);
  return autograd::record("wrong_square", y, {x}, [xs = x.detach()](const Tensor& g) {
    return std::vector<Tensor>{ops::binary(ops::BinaryOp::kMul, g, xs)};
  });
}

TEST(ElementwiseGrad, GradcheckDetectsAWrongBackward) {
  Generator gen(5);
  Tensor x = randn({3, 2}, gen);
  autograd::GradcheckResult r =
      autograd::gradcheck([](const std::vector<Tensor>& in) { return wrong_square(in[0]); }, {x});
  EXPECT_FALSE(r.ok);
  EXPECT_NE(r.message.find("input 0"), std::string::npos) << r.message;
  EXPECT_GT(r.max_abs_error, 0.1);
  // The correct rule on the same input passes.
  expect_gradcheck([](const std::vector<Tensor>& in) { return square(in[0]); }, {x}, "square");
}

TEST(ElementwiseGrad, GradientsAccumulateAcrossBackwardCalls) {
  Tensor x = from_vector({1, 2, 3}, {3});
  x.set_requires_grad();
  backward(sum(x * x));
  EXPECT_EQ(x.grad().to_vector(), (std::vector<float>{2, 4, 6}));
  backward(sum(x * x));
  EXPECT_EQ(x.grad().to_vector(), (std::vector<float>{4, 8, 12}));
  // Through one retained graph twice, then a third time fails once it is freed.
  x.zero_grad();
  Tensor y = sum(exp(x));
  backward(y, Tensor(), /*retain_graph=*/true);
  backward(y);
  std::vector<float> g = x.grad().to_vector();
  for (int i = 0; i < 3; ++i) EXPECT_NEAR(g[i], 2 * std::exp(i + 1.0), 1e-4 * std::exp(i + 1.0));
  EXPECT_THROW(backward(y), Error);
}

TEST(ElementwiseGrad, NoGradGuardRecordsNothing) {
  Tensor x = from_vector({1, 2}, {2});
  x.set_requires_grad();
  {
    autograd::NoGradGuard guard;
    Tensor y = tanh(x) * x + 1.0f;
    EXPECT_FALSE(y.requires_grad());
    EXPECT_EQ(y.grad_fn(), nullptr);
    {
      autograd::NoGradGuard nested;
      EXPECT_FALSE(autograd::grad_enabled());
    }
    EXPECT_FALSE(autograd::grad_enabled());
  }
  EXPECT_TRUE(autograd::grad_enabled());
  Tensor z = tanh(x) * x;
  EXPECT_TRUE(z.requires_grad());
  EXPECT_NE(z.grad_fn(), nullptr);
}

TEST(ElementwiseGrad, ValueAndGrad) {
  Tensor p = from_vector({0.5f, -1.0f}, {2}), q = from_vector({2.0f, 3.0f}, {2});
  auto [value, grads] = value_and_grad(
      [](const std::vector<Tensor>& ps) { return sum(ps[0] * ps[1] + sin(ps[0])); }, {p, q});
  double want = 0.5 * 2 - 3 + std::sin(0.5) + std::sin(-1.0);
  EXPECT_NEAR(value.item(), want, 1e-6);
  EXPECT_FALSE(value.requires_grad());
  ASSERT_EQ(grads.size(), 2u);
  std::vector<float> gp = grads[0].to_vector();
  EXPECT_NEAR(gp[0], 2 + std::cos(0.5), 1e-6);
  EXPECT_NEAR(gp[1], 3 + std::cos(-1.0), 1e-6);
  EXPECT_EQ(grads[1].to_vector(), (std::vector<float>{0.5f, -1.0f}));
  EXPECT_FALSE(p.grad().defined());  // value_and_grad returns gradients, it does not accumulate
}

}  // namespace
}  // namespace llmkit
