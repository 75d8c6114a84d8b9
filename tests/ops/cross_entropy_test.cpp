// ops::cross_entropy and cross_entropy_backward against a double-precision reference (forward
// written here, backward by central differences of it).
#include <gtest/gtest.h>

#include <cmath>
#include <limits>

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

// Mean over valid rows of logsumexp(row) - row[target]; also each row's lse.
double ref_loss(const std::vector<double>& x, const std::vector<int32_t>& tg, int64_t v_n,
                int64_t ignore, std::vector<double>* lse = nullptr) {
  double total = 0.0;
  int64_t valid = 0;
  for (size_t r = 0; r < tg.size(); ++r) {
    double m = -std::numeric_limits<double>::infinity();
    for (int64_t j = 0; j < v_n; ++j) m = std::max(m, x[r * v_n + j]);
    double z = 0.0;
    for (int64_t j = 0; j < v_n; ++j) z += std::exp(x[r * v_n + j] - m);
    const double l = m + std::log(z);
    if (lse != nullptr) lse->push_back(l);
    if (tg[r] == ignore) continue;
    total += l - x[r * v_n + tg[r]];
    ++valid;
  }
  return valid > 0 ? total / valid : 0.0;
}

void check_case(const Tensor& logits, const std::vector<int32_t>& tg, int64_t ignore, float dloss) {
  SCOPED_TRACE(::testing::Message() << "logits " << describe(logits) << " ignore " << ignore);
  const int64_t n = logits.size(0), v_n = logits.size(1);
  Tensor targets = from_ints(tg, {n});
  CrossEntropyResult r = cross_entropy(logits, targets, ignore);
  std::vector<double> xd = to_doubles(logits), lse;
  const double want = ref_loss(xd, tg, v_n, ignore, &lse);
  int64_t valid = 0;
  for (int32_t t : tg) valid += t != ignore;
  EXPECT_EQ(r.n_valid, valid);
  ASSERT_EQ(r.loss.dim(), 0);
  EXPECT_NEAR(r.loss.item(), want, 1e-5 + 1e-5 * std::fabs(want));
  expect_close(r.lse, lse, 1e-5, 1e-5, "lse");

  Tensor d = cross_entropy_backward(logits, targets, r.lse, r.n_valid, dloss, ignore);
  ASSERT_EQ(d.shape(), Shape({n, v_n}));
  // Explicit gradient: (softmax - one_hot) * dloss / n_valid on valid rows.
  std::vector<double> explicit_grad(xd.size(), 0.0);
  for (int64_t row = 0; row < n && valid > 0; ++row) {
    if (tg[row] == ignore) continue;
    for (int64_t j = 0; j < v_n; ++j) {
      const double p = std::exp(xd[row * v_n + j] - lse[row]);
      explicit_grad[row * v_n + j] = (p - (j == tg[row] ? 1.0 : 0.0)) * dloss / valid;
    }
  }
  expect_close(d, explicit_grad, 1e-6, 1e-4, "dlogits vs explicit");
  if (logits.numel() <= 400) {  // and the loss's own derivative, by central differences
    auto f = [&](const std::vector<std::vector<double>>& in) {
      return std::vector<double>{ref_loss(in[0], tg, v_n, ignore)};
    };
    expect_close(d, numeric_grad(f, {xd}, 0, {static_cast<double>(dloss)}), 1e-5, 1e-4,
                 "dlogits vs differences");
  }
}

TEST(CrossEntropy, MatchesReference) {
  check_case(random_tensor({4, 7}, 1, 2.0f), {3, 0, 6, 2}, -100, 1.0f);
  check_case(random_tensor({3, 33}, 2, 3.0f), {32, 5, 0}, -100, 0.7f);
  check_case(random_tensor({1, 1}, 3), {0}, -100, 2.0f);
}

TEST(CrossEntropy, IgnoreIndexSkipsRows) {
  check_case(random_tensor({5, 6}, 4), {1, -100, 4, -100, 0}, -100, 1.0f);
  // Any ignore_index, even one inside [0, V).
  check_case(random_tensor({4, 6}, 5), {2, 5, 2, 0}, 2, 1.0f);
  check_case(random_tensor({3, 6}, 6), {-1, 3, -1}, -1, 1.5f);
  // Every row ignored: loss 0, gradient 0.
  Tensor x = random_tensor({2, 3}, 7);
  Tensor t = from_ints({-100, -100}, {2});
  CrossEntropyResult r = cross_entropy(x, t);
  EXPECT_EQ(r.n_valid, 0);
  EXPECT_EQ(r.loss.item(), 0.0f);
  for (float g : cross_entropy_backward(x, t, r.lse, 0, 1.0f).to_vector()) EXPECT_EQ(g, 0.0f);
}

TEST(CrossEntropy, LargeVocabStridedAndThreads) {
  Context context(3);
  Context::Scope scope(context);
  // A transposed [N, V] view (copied internally) and a wide vocabulary crossing SIMD tails.
  Tensor xt = transpose(random_tensor({13, 5}, 8), 0, 1);
  check_case(xt, {12, 0, 7, -100, 3}, -100, 1.0f);
  Tensor wide = random_tensor({6, 1001}, 9, 4.0f);
  std::vector<int32_t> tg{1000, 0, 517, -100, 3, 999};
  check_case(wide, tg, -100, 1.0f);
  // Rows that are a strided slice of a bigger tensor (contiguous last axis).
  check_case(slice(random_tensor({8, 10}, 10), 0, 1, 8, 3), {9, 1, 4}, -100, 1.0f);
  check_case(to_dtype(random_tensor({3, 9}, 11), DType::kBF16), {8, 0, 4}, -100, 1.0f);
}

TEST(CrossEntropy, MinusInfinityLogitsAreExcluded) {
  // Masked vocabulary entries (-inf) take no probability and get a zero gradient.
  const float inf = std::numeric_limits<float>::infinity();
  Tensor x = from_vector({0.5f, -inf, 1.0f, -inf, 2.0f, 0.0f}, {2, 3});
  Tensor t = from_ints({2, 1}, {2});
  CrossEntropyResult r = cross_entropy(x, t);
  const double z0 = std::exp(0.5) + std::exp(1.0), z1 = std::exp(2.0) + 1.0;
  EXPECT_NEAR(r.loss.item(), ((std::log(z0) - 1.0) + (std::log(z1) - 2.0)) / 2, 1e-6);
  Tensor d = cross_entropy_backward(x, t, r.lse, r.n_valid, 1.0f);
  expect_close(d,
               {std::exp(0.5) / z0 / 2, 0.0, (std::exp(1.0) / z0 - 1) / 2,  //
                0.0, (std::exp(2.0) / z1 - 1) / 2, 1.0 / z1 / 2},
               1e-6, 1e-6, "dlogits");
}

TEST(CrossEntropy, BadTargetsThrowOutOfRange) {
  Tensor x = random_tensor({3, 5}, 1);
  try {
    cross_entropy(x, from_ints({0, 4, 7}, {3}));
    ADD_FAILURE() << "no error for target 7 of V = 5";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kOutOfRange);
    const std::string msg = e.what();
    EXPECT_NE(msg.find("row 2"), std::string::npos) << msg;
    EXPECT_NE(msg.find("7"), std::string::npos) << msg;
  }
  try {
    cross_entropy(x, from_ints({-3, 0, 0}, {3}));
    ADD_FAILURE() << "no error for target -3";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kOutOfRange);
    EXPECT_NE(std::string(e.what()).find("row 0"), std::string::npos) << e.what();
  }
  CrossEntropyResult r = cross_entropy(x, from_ints({0, 1, 2}, {3}));
  EXPECT_THROW(cross_entropy_backward(x, from_ints({0, 5, 2}, {3}), r.lse, 3, 1.0f), Error);
  EXPECT_THROW(cross_entropy(x, from_ints({0, 1}, {2})), Error);                   // N mismatch
  EXPECT_THROW(cross_entropy(x, ones({3})), Error);                                // f32 targets
  EXPECT_THROW(cross_entropy(ones({3, 5, 1}), from_ints({0, 1, 2}, {3})), Error);  // 3-D logits
  EXPECT_THROW(cross_entropy_backward(x, from_ints({0, 1, 2}, {3}), ones({2}), 3, 1.0f), Error);
}

}  // namespace
}  // namespace llmkit::ops
