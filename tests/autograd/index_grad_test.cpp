// Gradients of index_select, embedding, concat and stack (index_fns.cpp) against finite
// differences.
#include <gtest/gtest.h>

#include "llmkit/autograd/backward.h"
#include "llmkit/autograd/functions.h"
#include "llmkit/autograd/gradcheck.h"
#include "llmkit/tensor/view.h"

namespace llmkit {
namespace {

using autograd::gradcheck;
using Fn = autograd::TensorFn;

void expect_gradcheck(const Fn& f, const std::vector<Tensor>& inputs) {
  autograd::GradcheckResult r = gradcheck(f, inputs);
  EXPECT_TRUE(r.ok) << r.message << " (max abs error " << r.max_abs_error << ")";
}

class IndexGradTest : public ::testing::Test {
 protected:
  Tensor rnd(const Shape& s) { return randn(s, gen_); }
  Generator gen_{9};
};

TEST_F(IndexGradTest, IndexSelectWithRepeatedIndices) {
  Tensor idx = from_ints({2, 0, 2, 2}, {2, 2});
  for (int64_t axis : {0, 1, -1}) {
    SCOPED_TRACE("axis " + std::to_string(axis));
    expect_gradcheck([&](const std::vector<Tensor>& x) { return index_select(x[0], axis, idx); },
                     {rnd({3, 3, 3})});
  }
}

TEST_F(IndexGradTest, EmbeddingAccumulatesRepeatedIds) {
  Tensor ids = from_ints({1, 4, 1, 0, 1, 3}, {2, 3});
  expect_gradcheck([&](const std::vector<Tensor>& x) { return embedding(x[0], ids); },
                   {rnd({5, 4})});
  Tensor table = rnd({5, 2});
  table.set_requires_grad();
  backward(embedding(table, ids), ones({2, 3, 2}));
  // Row r's gradient counts how often r appears in ids.
  EXPECT_EQ(table.grad().to_vector(), (std::vector<float>{1, 1, 3, 3, 0, 0, 1, 1, 1, 1}));
  EXPECT_THROW(embedding(rnd({5}), ids), Error);
}

TEST_F(IndexGradTest, EmbeddingOfHalfTableHasF32Gradient) {
  Tensor table = ops::to_dtype(rnd({4, 3}), DType::kBF16);
  table.set_requires_grad();
  Tensor e = embedding(table, from_ints({3, 3}, {2}));
  EXPECT_EQ(e.dtype(), DType::kBF16);
  backward(e, from_vector({1, 2, 3, 10, 20, 30}, {2, 3}));
  EXPECT_EQ(table.grad().dtype(), DType::kF32);
  EXPECT_EQ(table.grad().to_vector(), (std::vector<float>{0, 0, 0, 0, 0, 0, 0, 0, 0, 11, 22, 33}));
}

TEST_F(IndexGradTest, ConcatSplitsTheGradient) {
  expect_gradcheck(
      [](const std::vector<Tensor>& x) {
        return concat({x[0], x[1], x[2]}, 1);
      },
      {rnd({2, 1, 3}), rnd({2, 3, 3}), rnd({2, 2, 3})});
  expect_gradcheck(
      [](const std::vector<Tensor>& x) {
        return concat({x[0], x[1]}, -1);
      },
      {rnd({2, 3}), rnd({2, 1})});
  // A constant part gets no gradient; the others still do.
  Tensor c = rnd({1, 3});
  expect_gradcheck(
      [&](const std::vector<Tensor>& x) {
        return concat({c, x[0], c}, 0);
      },
      {rnd({2, 3})});
}

TEST_F(IndexGradTest, StackSelectsTheGradient) {
  for (int64_t axis : {0, 1, 2}) {
    SCOPED_TRACE("axis " + std::to_string(axis));
    expect_gradcheck(
        [axis](const std::vector<Tensor>& x) {
          return stack({x[0], x[1], x[0]}, axis);
        },
        {rnd({2, 3}), rnd({2, 3})});
  }
}

TEST_F(IndexGradTest, OneHotIsNotDifferentiable) {
  Tensor y = one_hot(from_ints({1, 0}, {2}), 3);
  EXPECT_FALSE(y.requires_grad());
  EXPECT_EQ(y.to_vector(), (std::vector<float>{0, 1, 0, 1, 0, 0}));
}

}  // namespace
}  // namespace llmkit
