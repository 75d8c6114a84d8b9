// KD divergences and the distillation loss: values against a plain double-precision summation and
// a hand-computed case, gradients against central finite differences, and the limits the loss must
// reduce to (alpha = 0: cross-entropy; tau -> infinity: logit matching; teacher == student: 0).
#include "llmkit/train/distill_loss.h"

#include <gtest/gtest.h>

#include <cmath>
#include <numeric>

#include "llmkit/autograd/backward.h"
#include "llmkit/autograd/functions.h"
#include "llmkit/autograd/gradcheck.h"
#include "llmkit/base/error.h"
#include "llmkit/tensor/creation.h"
#include "llmkit/train/distill_objective.h"
#include "tests/support/random_floats.h"

namespace llmkit::train {
namespace {

constexpr DivergenceKind kAllKinds[] = {DivergenceKind::kForwardKl, DivergenceKind::kReverseKl,
                                        DivergenceKind::kJsd};

TeacherTargets make_targets(const std::vector<float>& teacher_logits, int64_t rows, int64_t V,
                            int64_t k, float tau) {
  return k >= V ? dense_targets(teacher_logits.data(), rows, V, tau)
                : topk_targets(teacher_logits.data(), rows, V, k, tau);
}

TEST(DistillLoss, HandComputedThreeTokenCase) {
  // Student logits equal -> q = (1/3, 1/3, 1/3); teacher p = (1/2, 1/4, 1/4) from logits
  // (log 2, 0, 0).
  const std::vector<float> teacher = {std::log(2.0f), 0.0f, 0.0f};
  TeacherTargets t = dense_targets(teacher.data(), 1, 3, 1.0f);
  Tensor z = from_vector({0.0f, 0.0f, 0.0f}, {1, 3});
  const double third = 1.0 / 3.0;
  const double fkl = 0.5 * std::log(0.5 / third) + 2 * 0.25 * std::log(0.25 / third);
  const double rkl = third * std::log(third / 0.5) + 2 * third * std::log(third / 0.25);
  const double m1 = 0.5 * (0.5 + third), m2 = 0.5 * (0.25 + third);
  const double jsd = 0.5 * (0.5 * std::log(0.5 / m1) + 2 * 0.25 * std::log(0.25 / m2)) +
                     0.5 * (third * std::log(third / m1) + 2 * third * std::log(third / m2));
  EXPECT_NEAR(divergence_loss(z, t, {DivergenceKind::kForwardKl, 1.0f}).item(), fkl, 1e-6);
  EXPECT_NEAR(divergence_loss(z, t, {DivergenceKind::kReverseKl, 1.0f}).item(), rkl, 1e-6);
  EXPECT_NEAR(divergence_loss(z, t, {DivergenceKind::kJsd, 1.0f, 0.5f}).item(), jsd, 1e-6);
  // Forward KL gradient: (q - p) / tau.
  Tensor zg = from_vector({0.0f, 0.0f, 0.0f}, {1, 3});
  zg.set_requires_grad();
  backward(divergence_loss(zg, t, {DivergenceKind::kForwardKl, 1.0f}));
  std::vector<float> g = zg.grad().to_vector();
  EXPECT_NEAR(g[0], third - 0.5, 1e-6);
  EXPECT_NEAR(g[1], third - 0.25, 1e-6);
}

// Every kind, dense and top-K (with a tail bucket), two temperatures: the fused value equals the
// plain double summation per row.
TEST(DistillLoss, MatchesReferenceSummation) {
  const int64_t rows = 6, V = 40;
  std::vector<float> teacher = test::normal_floats(rows * V, 1, 2.0f);
  std::vector<float> student = test::normal_floats(rows * V, 2, 2.0f);
  Tensor z = from_vector(student, {2, 3, V});
  for (int64_t k : {V, int64_t{5}, int64_t{1}}) {
    for (float tau : {1.0f, 2.5f}) {
      TeacherTargets t = make_targets(teacher, rows, V, k, tau);
      for (DivergenceKind kind : kAllKinds) {
        DivergenceOptions o{kind, tau, 0.3f};
        double expected = 0.0;
        for (int64_t r = 0; r < rows; ++r)
          expected += reference_divergence(student.data() + r * V, t, r, o);
        expected /= rows;
        EXPECT_NEAR(divergence_loss(z, t, o).item(), expected, 1e-5 * (1 + expected))
            << divergence_name(kind) << " k " << k << " tau " << tau;
        EXPECT_GE(expected, 0.0);
      }
    }
  }
}

TEST(DistillLoss, GradientMatchesFiniteDifferences) {
  const int64_t rows = 3, V = 12;
  std::vector<float> teacher = test::normal_floats(rows * V, 3, 1.5f);
  Tensor z = from_vector(test::normal_floats(rows * V, 4, 1.5f), {rows, V});
  for (int64_t k : {V, int64_t{4}}) {
    for (float tau : {1.0f, 2.0f}) {
      TeacherTargets t = make_targets(teacher, rows, V, k, tau);
      for (DivergenceKind kind : kAllKinds) {
        auto f = [&](const std::vector<Tensor>& in) {
          return divergence_loss(in[0], t, {kind, tau, 0.4f});
        };
        autograd::GradcheckOptions go;
        go.eps = 1e-2f;
        go.atol = 1e-4;
        autograd::GradcheckResult r = autograd::gradcheck(f, {z}, go);
        EXPECT_TRUE(r.ok) << divergence_name(kind) << " k " << k << " tau " << tau << ": "
                          << r.message;
      }
    }
  }
}

TEST(DistillLoss, TopKTargetsAreSortedAndSumToOne) {
  const int64_t rows = 4, V = 30, k = 7;
  std::vector<float> logits = test::normal_floats(rows * V, 5, 3.0f);
  TeacherTargets t = topk_targets(logits.data(), rows, V, k, 1.5f);
  TeacherTargets d = dense_targets(logits.data(), rows, V, 1.5f);
  for (int64_t r = 0; r < rows; ++r) {
    double mass = std::exp(static_cast<double>(t.log_tail[r]));
    for (int64_t j = 0; j < k; ++j) {
      mass += std::exp(static_cast<double>(t.log_probs[r * k + j]));
      EXPECT_FLOAT_EQ(t.log_probs[r * k + j], d.log_probs[r * V + t.ids[r * k + j]]);
      if (j > 0) {
        EXPECT_GE(t.log_probs[r * k + j - 1], t.log_probs[r * k + j]);
      }
    }
    EXPECT_NEAR(mass, 1.0, 1e-5);
    // No id outside the top K is more likely than the K-th.
    for (int64_t v = 0; v < V; ++v) {
      bool listed = false;
      for (int64_t j = 0; j < k; ++j) listed |= t.ids[r * k + j] == v;
      if (!listed) {
        EXPECT_LE(d.log_probs[r * V + v], t.log_probs[r * k + k - 1]);
      }
    }
  }
}

TEST(DistillLoss, TopKWithKEqualVIsTheDenseLoss) {
  const int64_t rows = 3, V = 16;
  std::vector<float> teacher = test::normal_floats(rows * V, 6);
  Tensor z = from_vector(test::normal_floats(rows * V, 7), {rows, V});
  TeacherTargets dense = dense_targets(teacher.data(), rows, V, 2.0f);
  TeacherTargets all = topk_targets(teacher.data(), rows, V, V, 2.0f);
  for (DivergenceKind kind : kAllKinds) {
    EXPECT_NEAR(divergence_loss(z, dense, {kind, 2.0f}).item(),
                divergence_loss(z, all, {kind, 2.0f}).item(), 1e-5);
  }
}

TEST(DistillLoss, TeacherEqualToStudentGivesZeroLossAndGradient) {
  const int64_t rows = 2, V = 10;
  std::vector<float> logits = test::normal_floats(rows * V, 8);
  TeacherTargets t = dense_targets(logits.data(), rows, V, 3.0f);
  for (DivergenceKind kind : kAllKinds) {
    Tensor z = from_vector(logits, {rows, V});
    z.set_requires_grad();
    Tensor loss = divergence_loss(z, t, {kind, 3.0f});
    EXPECT_NEAR(loss.item(), 0.0, 1e-6);
    backward(loss);
    for (float g : z.grad().to_vector()) EXPECT_NEAR(g, 0.0f, 1e-6f);
  }
}

// Hinton et al. 2015, section 2.1: for zero-mean logits and tau large against them,
// tau^2 KL(p_tau || q_tau) -> (1 / 2V) sum_v (z_v - t_v)^2.
TEST(DistillLoss, HighTemperatureLimitIsLogitMatching) {
  const int64_t V = 20;
  std::vector<float> t = test::normal_floats(V, 9), z = test::normal_floats(V, 10);
  auto center = [](std::vector<float>& x) {
    const float mean = std::accumulate(x.begin(), x.end(), 0.0f) / static_cast<float>(x.size());
    for (float& v : x) v -= mean;
  };
  center(t);
  center(z);
  double matching = 0.0;
  for (int64_t v = 0; v < V; ++v) matching += (z[v] - t[v]) * (z[v] - t[v]);
  matching /= 2.0 * V;
  const float tau = 200.0f;
  TeacherTargets targets = dense_targets(t.data(), 1, V, tau);
  const double scaled = static_cast<double>(divergence_loss(from_vector(z, {1, V}), targets,
                                                            {DivergenceKind::kForwardKl, tau})
                                                .item()) *
                        tau * tau;
  EXPECT_NEAR(scaled, matching, 0.02 * matching);
}

// A teacher sure of one token makes the forward KL at tau = 1 the cross-entropy on that token.
TEST(DistillLoss, ConfidentTeacherForwardKlIsCrossEntropy) {
  const int64_t rows = 4, V = 9;
  std::vector<float> z = test::normal_floats(rows * V, 11);
  std::vector<float> teacher(rows * V, 0.0f);
  std::vector<int32_t> hard = {3, 0, 8, 5};
  for (int64_t r = 0; r < rows; ++r) teacher[r * V + hard[r]] = 60.0f;
  TeacherTargets t = dense_targets(teacher.data(), rows, V, 1.0f);
  Tensor logits = from_vector(z, {rows, V});
  EXPECT_NEAR(divergence_loss(logits, t, {DivergenceKind::kForwardKl, 1.0f}).item(),
              cross_entropy(logits, from_ints(hard, {rows})).item(), 1e-4);
}

TEST(DistillObjective, AlphaZeroIsCrossEntropyAndAlphaBlends) {
  const int64_t rows = 5, V = 11;
  std::vector<float> teacher = test::normal_floats(rows * V, 12);
  TeacherTargets t = dense_targets(teacher.data(), rows, V, 2.0f);
  Tensor z = from_vector(test::normal_floats(rows * V, 13), {rows, V});
  Tensor next = from_ints({1, 4, 10, 0, 7}, {rows});
  DistillOptions o;
  o.temperature = 2.0f;
  o.alpha = 0.0f;
  const float ce = cross_entropy(z, next).item();
  EXPECT_FLOAT_EQ(distill_loss(z, next, t, o).loss.item(), ce);
  o.alpha = 0.3f;
  const float d = divergence_loss(z, t, {DivergenceKind::kForwardKl, 2.0f}).item();
  EXPECT_NEAR(distill_loss(z, next, t, o).loss.item(), 0.3f * 4.0f * d + 0.7f * ce, 1e-5);
  auto f = [&](const std::vector<Tensor>& in) { return distill_loss(in[0], next, t, o).loss; };
  autograd::GradcheckOptions go;
  go.eps = 1e-2f;
  go.atol = 1e-4;
  autograd::GradcheckResult r = autograd::gradcheck(f, {z}, go);
  EXPECT_TRUE(r.ok) << r.message;
}

TEST(HiddenCosineLoss, ValuesAndGradients) {
  // Identity projection (equal widths): parallel states give 0, opposite ones 2, orthogonal 1.
  HiddenProjection same(3, 3, 1);
  EXPECT_EQ(same.parameter_count(), 0);
  Tensor a = from_vector({1, 2, 3, 1, 0, 0, 0, 1, 0}, {3, 3});
  Tensor b = from_vector({2, 4, 6, -5, 0, 0, 0, 0, 7}, {3, 3});
  EXPECT_NEAR(hidden_cosine_loss(a, b, same).item(), (0.0 + 2.0 + 1.0) / 3.0, 1e-6);
  // Learned projection (widths differ): gradients to the student states and to P.
  HiddenProjection proj(4, 6, 2);
  EXPECT_EQ(proj.parameter_count(), 24);
  Tensor hs = from_vector(test::normal_floats(2 * 3 * 4, 15), {2, 3, 4});
  Tensor ht = from_vector(test::normal_floats(6 * 6, 16), {6, 6});
  Tensor w = proj.named_parameters()[0].second;
  auto f = [&](const std::vector<Tensor>& in) {
    Tensor projected = matmul(in[0], transpose(in[1], 0, 1));  // P h as the Linear computes it
    HiddenProjection identity(6, 6, 0);
    return hidden_cosine_loss(projected, ht, identity);
  };
  autograd::GradcheckOptions go;
  go.eps = 1e-2f;
  go.atol = 1e-4;
  autograd::GradcheckResult r = autograd::gradcheck(f, {hs, w.detach()}, go);
  EXPECT_TRUE(r.ok) << r.message;
  EXPECT_NEAR(hidden_cosine_loss(hs, ht, proj).item(), f({hs, w.detach()}).item(), 1e-6);
}

TEST(DistillLoss, BadInputIsRefusedWithClearErrors) {
  std::vector<float> teacher = test::normal_floats(2 * 8, 14);
  TeacherTargets t = dense_targets(teacher.data(), 2, 8, 2.0f);
  auto message = [](const std::function<void()>& f) {
    try {
      f();
    } catch (const Error& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  EXPECT_NE(message([&] {
              divergence_loss(from_vector(std::vector<float>(18), {2, 9}), t,
                              {DivergenceKind::kForwardKl, 2.0f});
            }).find("share the vocabulary"),
            std::string::npos);
  EXPECT_NE(message([&] {
              divergence_loss(from_vector(std::vector<float>(16), {2, 8}), t,
                              {DivergenceKind::kForwardKl, 1.0f});
            }).find("temperature"),
            std::string::npos);
  EXPECT_NE(message([] { parse_divergence("kl"); }).find("fkl"), std::string::npos);
  EXPECT_NE(message([&] { topk_targets(teacher.data(), 2, 8, 9, 1.0f); }).find("top-k"),
            std::string::npos);
}

}  // namespace
}  // namespace llmkit::train
