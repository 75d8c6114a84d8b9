// Gradients of matmul, linear, softmax and log_softmax (linalg_fns.cpp) against finite
// differences.
#include <gtest/gtest.h>

#include "llmkit/autograd/backward.h"
#include "llmkit/autograd/functions.h"
#include "llmkit/autograd/gradcheck.h"
#include "llmkit/tensor/view.h"

namespace llmkit {
namespace {

using autograd::gradcheck;
using autograd::GradcheckOptions;
using Fn = autograd::TensorFn;

void expect_gradcheck(const Fn& f, const std::vector<Tensor>& inputs,
                      const GradcheckOptions& options = {}) {
  autograd::GradcheckResult r = gradcheck(f, inputs, options);
  EXPECT_TRUE(r.ok) << r.message << " (max abs error " << r.max_abs_error << ")";
}

class LinalgGradTest : public ::testing::Test {
 protected:
  Tensor rnd(const Shape& s) { return randn(s, gen_); }
  Generator gen_{5};
};

Tensor mm(const std::vector<Tensor>& x) {
  return matmul(x[0], x[1]);
}

TEST_F(LinalgGradTest, MatmulShapes) {
  expect_gradcheck(mm, {rnd({3, 4}), rnd({4, 2})});
  expect_gradcheck(mm, {rnd({4}), rnd({4, 3})});     // 1-D left
  expect_gradcheck(mm, {rnd({3, 4}), rnd({4})});     // 1-D right
  expect_gradcheck(mm, {rnd({5}), rnd({5})});        // dot
  expect_gradcheck(mm, {rnd({4}), rnd({2, 4, 3})});  // 1-D against a batch
  expect_gradcheck(mm, {rnd({2, 3, 4}), rnd({4})});
}

TEST_F(LinalgGradTest, MatmulBroadcastBatches) {
  expect_gradcheck(mm, {rnd({2, 1, 3, 4}), rnd({3, 4, 2})});
  expect_gradcheck(mm, {rnd({2, 3, 4}), rnd({4, 5})});  // shared right operand (folded)
  expect_gradcheck(mm, {rnd({3, 4}), rnd({2, 4, 5})});  // shared left operand
  expect_gradcheck(mm, {rnd({2, 3, 4}), rnd({1, 4, 2})});
}

TEST_F(LinalgGradTest, MatmulOfViewsAndSingleOperand) {
  expect_gradcheck(
      [](const std::vector<Tensor>& x) {
        return matmul(transpose(x[0], 0, 1), slice(x[1], 1, 0, 5, 2));
      },
      {rnd({4, 3}), rnd({4, 5})});
  GradcheckOptions only_b;
  only_b.check_inputs = {1};
  expect_gradcheck(mm, {rnd({2, 3, 4}), rnd({4, 5})}, only_b);
  GradcheckOptions only_a;
  only_a.check_inputs = {0};
  expect_gradcheck(mm, {rnd({3, 4}), rnd({2, 4, 5})}, only_a);
}

TEST_F(LinalgGradTest, MatmulGradientOfHalfInputIsF32) {
  Tensor a = ops::to_dtype(rnd({2, 3}), DType::kF16);
  a.set_requires_grad();
  Tensor b = rnd({3, 2});
  backward(matmul(a, b), ones({2, 2}));
  ASSERT_TRUE(a.grad().defined());
  EXPECT_EQ(a.grad().dtype(), DType::kF32);
  EXPECT_EQ(a.grad().shape(), (Shape{2, 3}));
  // d(sum(a @ b))/da[i, p] = sum_j b[p, j].
  for (int64_t p = 0; p < 3; ++p) {
    EXPECT_NEAR(a.grad().at({1, p}), b.at({p, 0}) + b.at({p, 1}), 1e-5);
  }
}

Tensor lin(const std::vector<Tensor>& x) {
  return linear(x[0], x[1], x[2]);
}

TEST_F(LinalgGradTest, Linear) {
  expect_gradcheck(lin, {rnd({2, 3, 4}), rnd({5, 4}), rnd({5})});
  expect_gradcheck(lin, {rnd({4}), rnd({3, 4}), rnd({3})});
  expect_gradcheck([](const std::vector<Tensor>& x) { return linear(x[0], x[1]); },
                   {rnd({3, 4}), rnd({2, 4})});
  expect_gradcheck(
      [](const std::vector<Tensor>& x) { return linear(transpose(x[0], 0, 1), x[1], x[2]); },
      {rnd({4, 3}), rnd({2, 4}), rnd({2})});
  GradcheckOptions only_w;
  only_w.check_inputs = {1};
  expect_gradcheck(lin, {rnd({2, 3, 4}), rnd({5, 4}), rnd({5})}, only_w);
  GradcheckOptions only_bias;
  only_bias.check_inputs = {2};
  expect_gradcheck(lin, {rnd({2, 3, 4}), rnd({5, 4}), rnd({5})}, only_bias);
}

TEST_F(LinalgGradTest, SoftmaxAndLogSoftmax) {
  for (int64_t axis : {-1, 0, 1}) {
    SCOPED_TRACE("axis " + std::to_string(axis));
    expect_gradcheck([axis](const std::vector<Tensor>& x) { return softmax(x[0], axis); },
                     {rnd({3, 4, 2})});
    expect_gradcheck([axis](const std::vector<Tensor>& x) { return log_softmax(x[0], axis); },
                     {rnd({3, 4, 2})});
  }
}

TEST_F(LinalgGradTest, ComposedAttentionLikeChain) {
  // softmax(q k^T) v over a batch, with views in between.
  expect_gradcheck(
      [](const std::vector<Tensor>& x) {
        Tensor scores = matmul(x[0], transpose(x[1], -1, -2));  // [2, 3, 3]
        return matmul(softmax(scores, -1), x[2]);               // [2, 3, 2]
      },
      {rnd({2, 3, 4}), rnd({2, 3, 4}), rnd({2, 3, 2})});
  expect_gradcheck([](const std::vector<Tensor>& x) { return log_softmax(linear(x[0], x[1]), -1); },
                   {rnd({2, 3}), rnd({4, 3})});
}

}  // namespace
}  // namespace llmkit
