// The differentiable fused ops (rms_norm, layer_norm, rope, attention, cross_entropy) against
// central finite differences (autograd::gradcheck), on small shapes.
#include <gtest/gtest.h>

#include "llmkit/autograd/backward.h"
#include "llmkit/autograd/functions.h"
#include "llmkit/autograd/gradcheck.h"
#include "llmkit/autograd/node.h"
#include "llmkit/tensor/view.h"

namespace llmkit {
namespace {
using autograd::gradcheck;
using autograd::GradcheckResult;

Tensor rnd(const Shape& shape, uint64_t seed, float std = 1.0f) {
  Generator gen(seed);
  return randn(shape, gen, 0.0f, std);
}

void expect_gradcheck(const autograd::TensorFn& f, const std::vector<Tensor>& inputs,
                      const std::string& what) {
  GradcheckResult r = gradcheck(f, inputs);
  EXPECT_TRUE(r.ok) << what << ": " << r.message << " (max error " << r.max_abs_error << ")";
}

TEST(FusedGrad, RmsNorm) {
  for (bool unit_offset : {false, true}) {
    expect_gradcheck(
        [&](const std::vector<Tensor>& in) { return rms_norm(in[0], in[1], 1e-5f, unit_offset); },
        {rnd({2, 3, 5}, 1), rnd({5}, 2, 0.5f)}, unit_offset ? "unit offset" : "plain gain");
  }
}

TEST(FusedGrad, LayerNorm) {
  expect_gradcheck(
      [](const std::vector<Tensor>& in) { return layer_norm(in[0], in[1], in[2], 1e-5f); },
      {rnd({3, 6}, 3), rnd({6}, 4), rnd({6}, 5)}, "with bias");
  expect_gradcheck(
      [](const std::vector<Tensor>& in) { return layer_norm(in[0], in[1], Tensor(), 1e-5f); },
      {rnd({2, 2, 4}, 6), rnd({4}, 7)}, "without bias");
}

TEST(FusedGrad, Rope) {
  Tensor pos = from_ints({0, 3, 17}, {3});
  expect_gradcheck([&](const std::vector<Tensor>& in) { return rope(in[0], pos, 10000.0f); },
                   {rnd({2, 3, 2, 6}, 8)}, "rope");
  // Through a [B, H, T, D] -> [B, T, H, D] view of the input.
  expect_gradcheck(
      [&](const std::vector<Tensor>& in) {
        return rope(llmkit::transpose(in[0], 1, 2), pos, 50.0f);
      },
      {rnd({1, 2, 3, 4}, 9)}, "rope of a view");
}

ops::AttentionOptions opts(float scale, float softcap, int64_t window, bool causal = true) {
  ops::AttentionOptions o;
  o.scale = scale;
  o.softcap = softcap;
  o.window = window;
  o.causal = causal;
  return o;
}

TEST(FusedGrad, Attention) {
  struct Case {
    Shape q, kv;
    ops::AttentionOptions o;
    const char* what;
  };
  const Case cases[] = {
      {{1, 4, 3, 4}, {1, 2, 5, 4}, opts(0.5f, 0.0f, 0), "GQA 4/2, T < S"},
      {{2, 4, 4, 4}, {2, 1, 4, 4}, opts(0.5f, 0.0f, 0), "multi-query"},
      {{1, 2, 3, 4}, {1, 2, 6, 4}, opts(0.8f, 1.5f, 2), "softcap and window"},
      {{1, 2, 5, 4}, {1, 1, 3, 4}, opts(0.5f, 0.0f, 0), "T > S: fully masked rows"},
      {{1, 2, 3, 4}, {1, 1, 4, 4}, opts(0.5f, 2.0f, 3, false), "non-causal with window"},
  };
  for (const Case& c : cases) {
    const ops::AttentionOptions o = c.o;
    expect_gradcheck(
        [&](const std::vector<Tensor>& in) { return llmkit::attention(in[0], in[1], in[2], o); },
        {rnd(c.q, 10), rnd(c.kv, 11), rnd(c.kv, 12)}, c.what);
  }
  // q, k, v as views of [B, T, H, D] tensors.
  expect_gradcheck(
      [](const std::vector<Tensor>& in) {
        return llmkit::attention(llmkit::transpose(in[0], 1, 2), llmkit::transpose(in[1], 1, 2),
                                 llmkit::transpose(in[2], 1, 2), opts(0.5f, 0.0f, 0));
      },
      {rnd({1, 3, 4, 4}, 13), rnd({1, 4, 2, 4}, 14), rnd({1, 4, 2, 4}, 15)}, "views");
}

TEST(FusedGrad, CrossEntropy) {
  Tensor t2 = from_ints({1, -100, 5, 0}, {4});
  expect_gradcheck([&](const std::vector<Tensor>& in) { return cross_entropy(in[0], t2); },
                   {rnd({4, 6}, 16, 2.0f)}, "[N, V]");
  // [B, T, V] logits with [B, T] targets, flattened internally; ignore_index -1.
  Tensor t3 = from_ints({0, 4, -1, 2, 2, 3}, {2, 3});
  expect_gradcheck([&](const std::vector<Tensor>& in) { return cross_entropy(in[0], t3, -1); },
                   {rnd({2, 3, 5}, 17)}, "[B, T, V]");
  // A non-contiguous [B, T, V] view.
  expect_gradcheck(
      [&](const std::vector<Tensor>& in) {
        return cross_entropy(llmkit::transpose(in[0], 0, 1), t3, -1);
      },
      {rnd({3, 2, 5}, 18)}, "view");
}

TEST(FusedGrad, CrossEntropyShapesAndNoGrad) {
  Tensor logits = rnd({2, 3, 5}, 19);
  EXPECT_THROW(cross_entropy(logits, from_ints({0, 1, 2}, {3})), Error);
  EXPECT_THROW(cross_entropy(logits, from_ints({0, 1, 2, 3, 4, 0}, {6})), Error);
  Tensor targets = from_ints({0, 1, 2, 3, 4, 0}, {2, 3});
  EXPECT_EQ(cross_entropy(logits, targets).dim(), 0);
  logits.set_requires_grad(true);
  {
    autograd::NoGradGuard no_grad;
    EXPECT_FALSE(cross_entropy(logits, targets).requires_grad());
    Tensor q = rnd({1, 1, 2, 4}, 1);
    q.set_requires_grad(true);
    EXPECT_FALSE(llmkit::attention(q, q, q, opts(1.0f, 0.0f, 0)).requires_grad());
  }
  Tensor loss = cross_entropy(logits, targets);
  EXPECT_TRUE(loss.requires_grad());
  backward(loss);
  ASSERT_TRUE(logits.grad().defined());
  EXPECT_EQ(logits.grad().shape(), logits.shape());
}

}  // namespace
}  // namespace llmkit
