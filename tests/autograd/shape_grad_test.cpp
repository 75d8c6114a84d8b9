// Gradients of the layout functions (shape_fns.cpp) against finite differences.
#include <gtest/gtest.h>

#include "llmkit/autograd/backward.h"
#include "llmkit/autograd/functions.h"
#include "llmkit/autograd/gradcheck.h"
#include "llmkit/autograd/node.h"
#include "llmkit/tensor/view.h"

namespace llmkit {
namespace {

using autograd::gradcheck;
using Fn = autograd::TensorFn;

void expect_gradcheck(const Fn& f, const std::vector<Tensor>& inputs) {
  autograd::GradcheckResult r = gradcheck(f, inputs);
  EXPECT_TRUE(r.ok) << r.message << " (max abs error " << r.max_abs_error << ")";
}

class ShapeGradTest : public ::testing::Test {
 protected:
  Tensor rnd(const Shape& s) { return randn(s, gen_); }
  Generator gen_{11};
};

TEST_F(ShapeGradTest, ReshapeAndFlatten) {
  expect_gradcheck(
      [](const std::vector<Tensor>& x) {
        return reshape(x[0], {4, -1});
      },
      {rnd({2, 3, 2})});
  expect_gradcheck([](const std::vector<Tensor>& x) { return flatten(x[0], 1); }, {rnd({2, 3, 2})});
  expect_gradcheck([](const std::vector<Tensor>& x) { return flatten(x[0], 0, 1); },
                   {rnd({2, 3, 2})});
  expect_gradcheck([](const std::vector<Tensor>& x) { return flatten(x[0]); }, {scalar(2.0f)});
  EXPECT_EQ(flatten(rnd({2, 3, 4, 5}), 1, 2).shape(), (Shape{2, 12, 5}));
  EXPECT_THROW(flatten(rnd({2, 3}), 1, 0), Error);
}

TEST_F(ShapeGradTest, TransposeAndPermute) {
  expect_gradcheck([](const std::vector<Tensor>& x) { return transpose(x[0], 0, -1); },
                   {rnd({2, 3, 4})});
  expect_gradcheck(
      [](const std::vector<Tensor>& x) {
        return permute(x[0], {2, 0, 1});
      },
      {rnd({2, 3, 4})});
  Tensor x = rnd({2, 3});
  EXPECT_EQ(transpose(x, 0, 1).storage(), x.storage());  // still a view
}

TEST_F(ShapeGradTest, SliceAndSelectScatterIntoZeros) {
  expect_gradcheck([](const std::vector<Tensor>& x) { return slice(x[0], 1, 1, 6, 2); },
                   {rnd({3, 7})});
  expect_gradcheck([](const std::vector<Tensor>& x) { return slice(x[0], 0, -2, 100); },
                   {rnd({4, 2})});
  expect_gradcheck([](const std::vector<Tensor>& x) { return select(x[0], 1, -1); },
                   {rnd({3, 4, 2})});
  // Several views of one input: their gradients accumulate.
  expect_gradcheck(
      [](const std::vector<Tensor>& x) {
        return concat({select(x[0], 0, 1), flatten(slice(x[0], 0, 0, 3, 2)), select(x[0], 0, 1)},
                      0);
      },
      {rnd({3, 4})});
}

TEST_F(ShapeGradTest, ExpandSumsOverBroadcastAxes) {
  expect_gradcheck(
      [](const std::vector<Tensor>& x) {
        return expand(x[0], {2, 3, 4});
      },
      {rnd({3, 1})});
  expect_gradcheck(
      [](const std::vector<Tensor>& x) {
        return broadcast_to(x[0], {3, 2, 4});
      },
      {rnd({1, 2, 4})});
  Tensor x = rnd({1, 3});
  x.set_requires_grad();
  backward(expand(x, {4, 3}), ones({4, 3}));
  EXPECT_EQ(x.grad().to_vector(), (std::vector<float>{4.0f, 4.0f, 4.0f}));
}

TEST_F(ShapeGradTest, SqueezeUnsqueezeContiguous) {
  expect_gradcheck([](const std::vector<Tensor>& x) { return squeeze(x[0], 1); }, {rnd({3, 1, 2})});
  expect_gradcheck([](const std::vector<Tensor>& x) { return unsqueeze(x[0], -1); }, {rnd({3, 2})});
  expect_gradcheck([](const std::vector<Tensor>& x) { return contiguous(transpose(x[0], 0, 1)); },
                   {rnd({3, 2})});
  expect_gradcheck([](const std::vector<Tensor>& x) { return contiguous(x[0]); }, {rnd({3, 2})});
  EXPECT_THROW(squeeze(rnd({3, 2}), 0), Error);
}

TEST_F(ShapeGradTest, ViewChainTransposeSliceReshape) {
  expect_gradcheck(
      [](const std::vector<Tensor>& x) {
        Tensor t = transpose(x[0], 0, 2);         // [4, 3, 2], strided
        Tensor s = slice(t, 0, 1, 4, 2);          // [2, 3, 2], strided
        return reshape(unsqueeze(s, 0), {3, 4});  // copies the strided view
      },
      {rnd({2, 3, 4})});
}

TEST_F(ShapeGradTest, ToDtypeCastsTheGradientBackToF32) {
  Tensor x = rnd({2, 3});
  x.set_requires_grad();
  Tensor h = to_dtype(x, DType::kF16);
  EXPECT_EQ(h.dtype(), DType::kF16);
  EXPECT_TRUE(h.requires_grad());
  Tensor g = from_vector({1, 2, 3, 4, 5, 6}, {2, 3});
  backward(h, g);
  EXPECT_EQ(x.grad().dtype(), DType::kF32);
  EXPECT_EQ(x.grad().to_vector(), g.to_vector());
  expect_gradcheck([](const std::vector<Tensor>& x) { return to_dtype(x[0], DType::kF32); },
                   {rnd({2, 2})});
  EXPECT_FALSE(to_dtype(x, DType::kI32).requires_grad());
}

TEST_F(ShapeGradTest, NothingIsRecordedWithoutGrad) {
  Tensor x = rnd({2, 3});
  x.set_requires_grad();
  {
    autograd::NoGradGuard guard;
    EXPECT_FALSE(reshape(x, {3, 2}).requires_grad());
    EXPECT_FALSE(slice(x, 1, 0, 2).requires_grad());
  }
  EXPECT_TRUE(reshape(x, {3, 2}).requires_grad());
  EXPECT_FALSE(reshape(rnd({2, 3}), {6}).requires_grad());
}

}  // namespace
}  // namespace llmkit
