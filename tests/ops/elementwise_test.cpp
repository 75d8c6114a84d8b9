// Element-wise ops: values vs naive double formulas (elementwise_naive.h), broadcasting over
// strided views, dtype rules, derivatives vs finite differences, errors, threading.
#include "llmkit/ops/elementwise.h"

#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <limits>

#include "llmkit/base/context.h"
#include "llmkit/ops/elementwise_kernels.h"
#include "llmkit/tensor/creation.h"
#include "llmkit/tensor/view.h"
#include "tests/ops/elementwise_naive.h"

namespace llmkit::ops {
namespace {
using namespace naive;  // NOLINT: test helpers

TEST(Elementwise, MaximumMinimumPropagateNaN) {
  Tensor a = from_vector({1, kNaN, 3}, {3}), b = from_vector({kNaN, 2, 1}, {3});
  for (BinaryOp op : {BinaryOp::kMaximum, BinaryOp::kMinimum}) {
    std::vector<float> r = binary(op, a, b).to_vector();
    EXPECT_TRUE(std::isnan(r[0]) && std::isnan(r[1])) << binary_op_name(op);
  }
  EXPECT_EQ(binary(BinaryOp::kMaximum, a, b).to_vector()[2], 3.0f);
  EXPECT_EQ(binary(BinaryOp::kMinimum, a, b).to_vector()[2], 1.0f);
}

TEST(Elementwise, UnaryMatchesDoubleFormulas) {
  Generator gen(5);
  for (UnaryOp op : kAllUnary) {
    float lo = positive_domain(op) ? 0.01f : -8.0f;
    Tensor x = rand({3, 41}, gen, lo, 8.0f);
    std::vector<float> xv = x.to_vector(), y = unary(op, x).to_vector();
    for (size_t i = 0; i < xv.size(); ++i) {
      double want = naive_unary(op, xv[i]);
      // Relative where the value is not tiny; the gelu/silu tails are covered by the SIMD test.
      ASSERT_TRUE(close(y[i], want, 3e-6, 1e-6))
          << unary_op_name(op) << "(" << xv[i] << ") = " << y[i] << ", want " << want;
    }
  }
}

TEST(Elementwise, ReferenceTailsAreRelativelyAccurate) {
  // In the negative tail gelu/silu are tiny; the references must keep relative accuracy there.
  for (float x : {-3.0f, -5.0f, -8.0f, -12.0f}) {
    EXPECT_TRUE(
        close(ref::unary(UnaryOp::kGeluExact, x), naive_unary(UnaryOp::kGeluExact, x), 1e-5, 0))
        << x;
    EXPECT_TRUE(close(ref::unary(UnaryOp::kSilu, x), naive_unary(UnaryOp::kSilu, x), 1e-6, 0));
  }
  // The tanh form of the definition, where double precision still resolves 1 + tanh(u).
  for (double x : {-3.0, -5.0, -1.0, 0.5, 2.0}) {
    const double pi = 3.14159265358979323846;
    double want = 0.5 * x * (1.0 + std::tanh(std::sqrt(2.0 / pi) * (x + 0.044715 * x * x * x)));
    EXPECT_TRUE(close(ref::unary(UnaryOp::kGeluTanh, static_cast<float>(x)), want, 2e-5, 0)) << x;
  }
}

TEST(Elementwise, UnaryKeepsDtypeAndHandlesStridedInput) {
  Tensor base = ops::reshape(arange(-1.0, 1.4, 0.1), {4, 6});
  Tensor t = ops::transpose(base, 0, 1);  // [6, 4], strided
  Tensor y = unary(UnaryOp::kTanh, t);
  EXPECT_EQ(y.shape(), (Shape{6, 4}));
  std::vector<float> tv = t.to_vector(), yv = y.to_vector();
  for (size_t i = 0; i < tv.size(); ++i) EXPECT_NEAR(yv[i], std::tanh(double(tv[i])), 1e-6);
  for (DType dt : {DType::kF16, DType::kBF16}) {
    Tensor h = to_dtype(t, dt);
    Tensor hy = unary(UnaryOp::kExp, h);
    EXPECT_EQ(hy.dtype(), dt);
    std::vector<float> hv = h.to_vector(), hyv = hy.to_vector();
    for (size_t i = 0; i < hv.size(); ++i) {
      EXPECT_NEAR(hyv[i], std::exp(double(hv[i])), (dt == DType::kF16 ? 2e-3 : 1e-2) * hyv[i]);
    }
  }
}

// Value of t at the output index `idx` of a broadcast to shape `out` (NumPy rules).
float broadcast_at(const Tensor& t, const std::vector<int64_t>& idx) {
  std::vector<int64_t> ti(t.dim());
  size_t lead = idx.size() - ti.size();
  for (size_t d = 0; d < ti.size(); ++d) ti[d] = t.shape()[d] == 1 ? 0 : idx[lead + d];
  return t.at(ti);
}

std::vector<int64_t> unravel(int64_t flat, const Shape& shape) {
  std::vector<int64_t> idx(shape.size());
  for (size_t d = shape.size(); d-- > 0;) {
    idx[d] = flat % shape[d];
    flat /= shape[d];
  }
  return idx;
}

void expect_binary_matches_naive(BinaryOp op, const Tensor& a, const Tensor& b,
                                 const Shape& want_shape) {
  Tensor out = binary(op, a, b);
  ASSERT_EQ(out.shape(), want_shape) << describe(a) << " " << describe(b);
  std::vector<float> got = out.to_vector();
  for (int64_t i = 0; i < out.numel(); ++i) {
    std::vector<int64_t> idx = unravel(i, want_shape);
    double x = broadcast_at(a, idx), y = broadcast_at(b, idx);
    double want = 0;
    switch (op) {
      case BinaryOp::kAdd:
        want = x + y;
        break;
      case BinaryOp::kSub:
        want = x - y;
        break;
      case BinaryOp::kMul:
        want = x * y;
        break;
      case BinaryOp::kDiv:
        want = x / y;
        break;
      case BinaryOp::kPow:
        want = std::pow(x, y);
        break;
      case BinaryOp::kMaximum:
        want = std::max(x, y);
        break;
      case BinaryOp::kMinimum:
        want = std::min(x, y);
        break;
      case BinaryOp::kEq:
        want = x == y;
        break;
      case BinaryOp::kNe:
        want = x != y;
        break;
      case BinaryOp::kLt:
        want = x < y;
        break;
      case BinaryOp::kLe:
        want = x <= y;
        break;
      case BinaryOp::kGt:
        want = x > y;
        break;
      case BinaryOp::kGe:
        want = x >= y;
        break;
    }
    ASSERT_TRUE(close(got[i], want, 1e-6, 1e-6))
        << binary_op_name(op) << " at flat " << i << ": " << got[i] << " vs " << want;
  }
}

TEST(Elementwise, BroadcastingOverStridedViews) {
  Generator gen(21);
  Tensor a4 = rand({2, 3, 4, 5}, gen, 0.5f, 2.0f);
  Tensor b3 = rand({3, 1, 5}, gen, 0.5f, 2.0f);
  Tensor col = rand({4, 1}, gen, 0.5f, 2.0f), row = rand({1, 5}, gen, 0.5f, 2.0f);
  // Transposed and step-sliced views of the same values.
  Tensor a4t = ops::permute(rand({5, 4, 3, 2}, gen, 0.5f, 2.0f), {3, 2, 1, 0});  // [2,3,4,5]
  Tensor sliced = ops::slice(rand({3, 8, 5}, gen, 0.5f, 2.0f), 1, 1, 8, 2);      // [3,4,5]
  Tensor s = scalar(1.5f);
  for (BinaryOp op :
       {BinaryOp::kAdd, BinaryOp::kSub, BinaryOp::kMul, BinaryOp::kDiv, BinaryOp::kPow,
        BinaryOp::kMaximum, BinaryOp::kMinimum, BinaryOp::kLt, BinaryOp::kGe, BinaryOp::kEq}) {
    expect_binary_matches_naive(op, a4, b3, {2, 3, 4, 5});
    expect_binary_matches_naive(op, b3, a4, {2, 3, 4, 5});
    expect_binary_matches_naive(op, col, row, {4, 5});
    expect_binary_matches_naive(op, a4t, sliced, {2, 3, 4, 5});
    expect_binary_matches_naive(op, a4t, a4, {2, 3, 4, 5});
    expect_binary_matches_naive(op, sliced, s, {3, 4, 5});
    expect_binary_matches_naive(op, s, a4t, {2, 3, 4, 5});
    expect_binary_matches_naive(op, ops::expand(row, {3, 4, 5}), col, {3, 4, 5});
    expect_binary_matches_naive(op, s, s, {});
  }
  Tensor e = binary(BinaryOp::kAdd, zeros({0, 3}), ones({3}));
  EXPECT_EQ(e.shape(), (Shape{0, 3}));
}

TEST(Elementwise, EqualityOfBroadcastTies) {
  Tensor a = from_vector({1, 2, 3}, {3, 1}), b = from_vector({1, 3}, {1, 2});
  EXPECT_EQ(binary(BinaryOp::kEq, a, b).to_vector(), (std::vector<float>{1, 0, 0, 0, 0, 1}));
  EXPECT_EQ(binary(BinaryOp::kNe, a, b).to_vector(), (std::vector<float>{0, 1, 1, 1, 1, 0}));
  EXPECT_EQ(binary(BinaryOp::kLe, a, b).to_vector(), (std::vector<float>{1, 1, 0, 1, 0, 1}));
  EXPECT_EQ(binary(BinaryOp::kGt, a, b).to_vector(), (std::vector<float>{0, 0, 1, 0, 1, 0}));
}

TEST(Elementwise, DtypeRules) {
  Tensor f = from_vector({1.5f, -2.0f, 3.25f}, {3});
  Tensor h = to_dtype(f, DType::kF16), bh = to_dtype(f, DType::kBF16);
  Tensor i = from_ints({2, 3, -4}, {3});
  EXPECT_EQ(binary(BinaryOp::kAdd, h, h).dtype(), DType::kF16);
  EXPECT_EQ(binary(BinaryOp::kMul, bh, bh).dtype(), DType::kBF16);
  EXPECT_EQ(binary(BinaryOp::kAdd, h, bh).dtype(), DType::kF32);
  EXPECT_EQ(binary(BinaryOp::kAdd, h, f).dtype(), DType::kF32);
  EXPECT_EQ(binary(BinaryOp::kMul, i, h).dtype(), DType::kF16);
  EXPECT_EQ(binary(BinaryOp::kMul, i, h).to_vector(), (std::vector<float>{3, -6, -13}));
  EXPECT_EQ(binary(BinaryOp::kDiv, f, i).to_vector(),
            (std::vector<float>{0.75f, -2.0f / 3, -0.8125f}));
  EXPECT_EQ(binary(BinaryOp::kLt, h, f).dtype(), DType::kF32);
  EXPECT_EQ(binary(BinaryOp::kAdd, h, h).to_vector(), (std::vector<float>{3.0f, -4.0f, 6.5f}));
}

TEST(Elementwise, IntegerArithmeticIsExact) {
  Tensor a = from_ints({(1 << 30) + 1, 7, -5, 2147483647}, {4});
  Tensor b = from_ints({3, -7, 9, 1}, {4});
  Tensor s = binary(BinaryOp::kAdd, a, b);
  EXPECT_EQ(s.dtype(), DType::kI32);
  EXPECT_EQ(s.to_int_vector(), (std::vector<int32_t>{(1 << 30) + 4, 0, 4, -2147483647 - 1}));
  EXPECT_EQ(binary(BinaryOp::kSub, a, b).to_int_vector(),
            (std::vector<int32_t>{(1 << 30) - 2, 14, -14, 2147483646}));
  EXPECT_EQ(binary(BinaryOp::kMul, a, b).to_int_vector()[1], -49);
  EXPECT_EQ(binary(BinaryOp::kMaximum, a, b).to_int_vector(),
            (std::vector<int32_t>{(1 << 30) + 1, 7, 9, 2147483647}));
  EXPECT_EQ(binary(BinaryOp::kMinimum, a, b).to_int_vector(), (std::vector<int32_t>{3, -7, -5, 1}));
  Tensor eq = binary(BinaryOp::kEq, a, from_ints({(1 << 30) + 1}, {1}));
  EXPECT_EQ(eq.dtype(), DType::kF32);
  EXPECT_EQ(eq.to_vector(), (std::vector<float>{1, 0, 0, 0}));  // exact: f32 would tie 2^30+1
  Tensor col = ops::reshape(from_ints({1, 2}, {2}), {2, 1});
  EXPECT_EQ(binary(BinaryOp::kAdd, col, b).to_int_vector(),
            (std::vector<int32_t>{4, -6, 10, 2, 5, -5, 11, 3}));
}

void expect_error_mentions(const std::function<void()>& f, const std::vector<std::string>& parts) {
  try {
    f();
    ADD_FAILURE() << "expected llmkit::Error";
  } catch (const Error& e) {
    std::string msg = e.what();
    for (const auto& p : parts) EXPECT_NE(msg.find(p), std::string::npos) << msg << " lacks " << p;
  }
}

TEST(Elementwise, ErrorsNameOperationAndShapes) {
  Tensor a = zeros({2, 3}), b = zeros({4});
  expect_error_mentions([&] { binary(BinaryOp::kMul, a, b); }, {"mul", "[2, 3]", "[4]"});
  Tensor i = from_ints({1, 2}, {2});
  expect_error_mentions([&] { binary(BinaryOp::kDiv, i, i); }, {"div", "i32[2]"});
  expect_error_mentions([&] { binary(BinaryOp::kPow, i, i); }, {"pow", "i32"});
  expect_error_mentions([&] { unary(UnaryOp::kExp, i); }, {"exp", "i32[2]"});
  expect_error_mentions([&] { clamp(a, 2.0f, 1.0f); }, {"clamp", "f32[2, 3]"});
  expect_error_mentions(
      [&] {
        masked_fill(zeros({3}), ones({2, 3}), 1.0f);
      },
      {"masked_fill", "[2, 3]", "f32[3]"});
  expect_error_mentions([&] { where(ones({2}), a, b); }, {"where"});
  expect_error_mentions([&] { binary(BinaryOp::kAdd, Tensor(), a); }, {"add", "undefined"});
  expect_error_mentions([&] { unary_backward(UnaryOp::kExp, a, a, b); }, {"exp", "[4]"});
}

TEST(Elementwise, ScalarForms) {
  Generator gen(4);
  Tensor x = ops::transpose(rand({5, 3}, gen, 0.1f, 3.0f), 0, 1);
  std::vector<float> xv = x.to_vector();
  auto check = [&](const Tensor& y, const std::function<double(double)>& f) {
    ASSERT_EQ(y.shape(), x.shape());
    std::vector<float> yv = y.to_vector();
    for (size_t i = 0; i < xv.size(); ++i)
      EXPECT_NEAR(yv[i], f(xv[i]), 1e-5 * (1 + std::fabs(f(xv[i]))));
  };
  check(add_scalar(x, 2.5f), [](double v) { return v + 2.5; });
  check(mul_scalar(x, -3.0f), [](double v) { return v * -3.0; });
  check(pow_scalar(x, 2.0f), [](double v) { return v * v; });
  check(pow_scalar(x, -1.5f), [](double v) { return std::pow(v, -1.5); });
  check(pow_scalar(x, 0.0f), [](double) { return 1.0; });
  check(clamp(x, 0.5f, 2.0f), [](double v) { return std::min(2.0, std::max(0.5, v)); });
  EXPECT_TRUE(std::isnan(clamp(scalar(kNaN), 0.0f, 1.0f).item()));
  Tensor h = to_dtype(x, DType::kBF16);
  EXPECT_EQ(mul_scalar(h, 2.0f).dtype(), DType::kBF16);
  EXPECT_EQ(add_scalar(from_ints({1}, {1}), 0.5f).to_vector(), (std::vector<float>{1.5f}));
}

TEST(Elementwise, WhereAndMaskedFill) {
  Tensor cond = from_vector({1, 0, 2, 0}, {4, 1});
  Tensor a = from_vector({10, 20, 30}, {1, 3});
  Tensor b = scalar(-1.0f);
  Tensor w = where(cond, a, b);
  EXPECT_EQ(w.shape(), (Shape{4, 3}));
  EXPECT_EQ(w.to_vector(), (std::vector<float>{10, 20, 30, -1, -1, -1, 10, 20, 30, -1, -1, -1}));
  Tensor wi = where(from_ints({0, 1}, {2}), from_ints({5, 6}, {2}), from_ints({7, 8}, {2}));
  EXPECT_EQ(wi.dtype(), DType::kI32);
  EXPECT_EQ(wi.to_int_vector(), (std::vector<int32_t>{7, 6}));
  EXPECT_EQ(where(ones({2}), to_dtype(ones({2}), DType::kF16), zeros({2})).dtype(), DType::kF32);

  Tensor x = ops::reshape(arange(0.0, 6.0, 1.0), {2, 3});
  Tensor mask = from_vector({0, 1, 0}, {3});
  EXPECT_EQ(masked_fill(x, mask, -kInf).to_vector(),
            (std::vector<float>{0, -kInf, 2, 3, -kInf, 5}));
  Tensor xt = ops::transpose(x, 0, 1);  // [3, 2] strided
  EXPECT_EQ(masked_fill(xt, from_vector({1, 0}, {2}), 9.0f).to_vector(),
            (std::vector<float>{9, 3, 9, 4, 9, 5}));
  EXPECT_EQ(masked_fill(to_dtype(x, DType::kF16), mask, 7.0f).dtype(), DType::kF16);
}

TEST(Elementwise, UnaryBackwardMatchesFiniteDifferences) {
  Generator gen(8);
  for (UnaryOp op : kAllUnary) {
    float lo = positive_domain(op) ? 0.2f : -5.0f;
    Tensor x = rand({50}, gen, lo, 5.0f);
    std::vector<float> xv = x.to_vector();
    // Keep away from the kinks of abs and relu.
    for (float& v : xv) {
      if (std::fabs(v) < 1e-2f) v = 0.5f;
    }
    x = from_vector(xv, {50});
    Tensor g = rand({50}, gen, -2.0f, 2.0f);
    std::vector<float> gv = g.to_vector();
    std::vector<float> dx = unary_backward(op, x, unary(op, x), g).to_vector();
    for (size_t i = 0; i < xv.size(); ++i) {
      double want = gv[i] * numeric_derivative(op, xv[i]);
      ASSERT_TRUE(close(dx[i], want, 2e-4, 2e-5)) << unary_op_name(op) << "'(" << xv[i] << ") * "
                                                  << gv[i] << " = " << dx[i] << ", want " << want;
    }
  }
  // Kinks and limits.
  Tensor k = from_vector({0.0f, -kInf, kInf}, {3});
  Tensor one = ones({3});
  EXPECT_EQ(unary_backward(UnaryOp::kRelu, k, unary(UnaryOp::kRelu, k), one).to_vector(),
            (std::vector<float>{0, 0, 1}));
  EXPECT_EQ(unary_backward(UnaryOp::kAbs, k, unary(UnaryOp::kAbs, k), one).to_vector(),
            (std::vector<float>{0, -1, 1}));
  for (UnaryOp op : {UnaryOp::kSilu, UnaryOp::kGeluExact, UnaryOp::kGeluTanh}) {
    std::vector<float> d = unary_backward(op, k, unary(op, k), one).to_vector();
    EXPECT_NEAR(d[0], 0.5f, 1e-6) << unary_op_name(op);
    EXPECT_EQ(d[1], 0.0f) << unary_op_name(op);
    EXPECT_EQ(d[2], 1.0f) << unary_op_name(op);
  }
}

TEST(Elementwise, UnaryBackwardAcceptsHalfInputs) {
  Tensor x = to_dtype(from_vector({0.5f, -1.0f}, {2}), DType::kF16);
  Tensor g = unary_backward(UnaryOp::kSquare, x, unary(UnaryOp::kSquare, x), ones({2}));
  EXPECT_EQ(g.dtype(), DType::kF32);
  EXPECT_EQ(g.to_vector(), (std::vector<float>{1.0f, -2.0f}));
}

TEST(Elementwise, ThreadedResultsEqualSingleThreaded) {
  Generator gen(99);
  Tensor a = rand({3, 40001}, gen, -3.0f, 3.0f);
  Tensor b = rand({40001}, gen, -3.0f, 3.0f);
  Tensor at = ops::transpose(rand({40001, 3}, gen, -3.0f, 3.0f), 0, 1);
  std::vector<std::vector<float>> single, multi;
  auto run = [&](std::vector<std::vector<float>>& out) {
    out.push_back(unary(UnaryOp::kGeluTanh, a).to_vector());
    out.push_back(binary(BinaryOp::kMul, a, b).to_vector());
    out.push_back(binary(BinaryOp::kAdd, at, b).to_vector());
    out.push_back(binary(BinaryOp::kPow, a, scalar(2.0f)).to_vector());
    out.push_back(where(binary(BinaryOp::kGt, a, b), a, b).to_vector());
    out.push_back(unary_backward(UnaryOp::kSilu, a, unary(UnaryOp::kSilu, a), a).to_vector());
  };
  run(single);
  Context ctx(4);
  {
    Context::Scope scope(ctx);
    run(multi);
  }
  ASSERT_EQ(single.size(), multi.size());
  for (size_t i = 0; i < single.size(); ++i) EXPECT_EQ(single[i], multi[i]) << "case " << i;
  // Spot-check the strided broadcast case against the definition.
  std::vector<float> atv = at.to_vector(), bv = b.to_vector();
  for (int64_t j : {0, 1, 12345, 40000}) EXPECT_EQ(multi[2][40001 + j], atv[40001 + j] + bv[j]);
}

}  // namespace
}  // namespace llmkit::ops
