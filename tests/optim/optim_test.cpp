// Optimizers, schedules and clipping against hand-written double-precision references.
// Gradients are set directly with Tensor::set_grad (no autograd kernels involved).
#include <gtest/gtest.h>

#include <cmath>
#include <numbers>

#include "llmkit/base/context.h"
#include "llmkit/optim/adamw.h"
#include "llmkit/optim/clip.h"
#include "llmkit/optim/lr_schedule.h"
#include "llmkit/optim/sgd.h"
#include "llmkit/tensor/creation.h"
#include "llmkit/tensor/view.h"

namespace llmkit::optim {
namespace {

Tensor param(const std::vector<float>& values, const Shape& shape) {
  Tensor p = from_vector(values, shape);
  p.set_requires_grad(true);
  return p;
}

std::vector<double> to_double(const Tensor& t) {
  std::vector<float> f = t.to_vector();
  return {f.begin(), f.end()};
}

void expect_near_all(const Tensor& got, const std::vector<double>& want, double tol,
                     const std::string& what) {
  std::vector<float> g = got.to_vector();
  ASSERT_EQ(g.size(), want.size()) << what;
  for (size_t i = 0; i < g.size(); ++i) {
    EXPECT_NEAR(g[i], want[i], tol * (1.0 + std::abs(want[i]))) << what << "[" << i << "]";
  }
}

// Gradient for parameter k at step s: a fixed, varied pattern.
std::vector<float> grad_values(int k, int s, int64_t n) {
  std::vector<float> g(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) {
    g[static_cast<size_t>(i)] =
        static_cast<float>(std::sin(1.7 * k + 0.9 * s + 0.37 * static_cast<double>(i)) * (k + 1));
  }
  return g;
}

// --- AdamW -------------------------------------------------------------------------------------

// Textbook AdamW in double: decoupled decay, then the bias-corrected Adam step.
struct AdamRef {
  std::vector<double> p, m, v;
  int t = 0;
  void step(const std::vector<float>& g, double lr, double wd, double b1, double b2, double eps) {
    ++t;
    for (size_t i = 0; i < p.size(); ++i) {
      p[i] -= lr * wd * p[i];
      m[i] = b1 * m[i] + (1 - b1) * g[i];
      v[i] = b2 * v[i] + (1 - b2) * double(g[i]) * g[i];
      double m_hat = m[i] / (1 - std::pow(b1, t));
      double v_hat = v[i] / (1 - std::pow(b2, t));
      p[i] -= lr * m_hat / (std::sqrt(v_hat) + eps);
    }
  }
};

TEST(AdamW, MatchesHandComputedUpdates) {
  // Three parameters in two groups (different weight decay and lr scale); parameter "c" gets no
  // gradient at step 2, so its own step count (bias correction) lags behind.
  Tensor a = param({0.5f, -1.0f, 2.0f, 0.25f}, {2, 2});
  Tensor b = param({1.5f, -0.75f, 3.0f}, {3});
  Tensor c = param({-2.0f}, {});
  std::vector<ParamGroup> groups(2);
  groups[0].params = {{"a", a}, {"b", b}};
  groups[0].weight_decay = 0.1f;
  groups[1].params = {{"c", c}};
  groups[1].weight_decay = 0.5f;
  groups[1].lr_scale = 0.5f;
  AdamWOptions o;
  o.lr = 0.05f;
  o.beta1 = 0.8f;
  o.beta2 = 0.95f;
  o.eps = 1e-6f;
  AdamW opt(groups, o);

  Tensor ps[] = {a, b, c};
  AdamRef refs[3];
  double wds[] = {0.1, 0.1, 0.5}, scales[] = {1.0, 1.0, 0.5};
  for (int k = 0; k < 3; ++k) {
    refs[k].p = to_double(ps[k]);
    refs[k].m.assign(refs[k].p.size(), 0.0);
    refs[k].v.assign(refs[k].p.size(), 0.0);
  }
  for (int s = 0; s < 3; ++s) {
    for (int k = 0; k < 3; ++k) {
      if (k == 2 && s == 1) {
        ps[k].zero_grad();
        continue;
      }
      std::vector<float> g = grad_values(k, s, ps[k].numel());
      ps[k].set_grad(from_vector(g, ps[k].shape()));
      refs[k].step(g, double(o.lr) * scales[k], wds[k], o.beta1, o.beta2, o.eps);
    }
    opt.step();
    for (int k = 0; k < 3; ++k) {
      expect_near_all(ps[k], refs[k].p, 2e-6, str_cat("step ", s, " param ", k));
    }
  }
  EXPECT_EQ(opt.step_count(), 3);
  // The update is not trivial: every parameter moved.
  EXPECT_NE(a.to_vector(), (std::vector<float>{0.5f, -1.0f, 2.0f, 0.25f}));
  EXPECT_NE(c.item(), -2.0f);
}

TEST(AdamW, ParallelUpdateMatchesReference) {
  const int64_t n = int64_t{1} << 16;  // above the parallel threshold
  Generator gen(3);
  Tensor p0 = randn({n}, gen);
  Tensor g = randn({n}, gen);
  Tensor serial = ops::clone(p0), threaded = ops::clone(p0);
  serial.set_requires_grad(true);
  threaded.set_requires_grad(true);
  serial.set_grad(g);
  threaded.set_grad(g);
  std::vector<ParamGroup> g1(1), g2(1);
  g1[0].params = {{"w", serial}};
  g2[0].params = {{"w", threaded}};
  g1[0].weight_decay = g2[0].weight_decay = 0.01f;
  AdamW opt1(g1), opt2(g2);
  opt1.step();
  {
    Context ctx(4);
    Context::Scope scope(ctx);
    opt2.step();
  }
  EXPECT_EQ(serial.to_vector(), threaded.to_vector());
  AdamRef ref{to_double(p0), std::vector<double>(n, 0.0), std::vector<double>(n, 0.0)};
  ref.step(g.to_vector(), 1e-3, 0.01, 0.9, 0.999, 1e-8);
  expect_near_all(threaded, ref.p, 1e-6, "threaded");
}

// --- SGD ---------------------------------------------------------------------------------------

struct SgdRef {
  std::vector<double> p, buf;
  int t = 0;
  void step(const std::vector<float>& grad, double lr, double wd, double mu, double damp,
            bool nesterov) {
    for (size_t i = 0; i < p.size(); ++i) {
      double g = grad[i] + wd * p[i];
      if (mu > 0) {
        buf[i] = t == 0 ? g : mu * buf[i] + (1 - damp) * g;
        g = nesterov ? g + mu * buf[i] : buf[i];
      }
      p[i] -= lr * g;
    }
    ++t;
  }
};

void check_sgd(const SgdOptions& o, float wd) {
  Tensor a = param({1.0f, -2.0f, 0.5f}, {3});
  Tensor b = param({0.25f, 4.0f}, {2, 1});
  std::vector<ParamGroup> groups(1);
  groups[0].params = {{"a", a}, {"b", b}};
  groups[0].weight_decay = wd;
  Sgd opt(groups, o);
  Tensor ps[] = {a, b};
  SgdRef refs[2];
  for (int k = 0; k < 2; ++k) {
    refs[k].p = to_double(ps[k]);
    refs[k].buf.assign(refs[k].p.size(), 0.0);
  }
  for (int s = 0; s < 3; ++s) {
    for (int k = 0; k < 2; ++k) {
      std::vector<float> g = grad_values(k, s, ps[k].numel());
      ps[k].set_grad(from_vector(g, ps[k].shape()));
      refs[k].step(g, o.lr, wd, o.momentum, o.dampening, o.nesterov);
    }
    opt.step();
    for (int k = 0; k < 2; ++k) expect_near_all(ps[k], refs[k].p, 1e-6, str_cat("step ", s));
  }
}

TEST(Sgd, PlainMatchesHandComputation) {
  check_sgd({.lr = 0.1f}, 0.0f);
}
TEST(Sgd, MomentumWithWeightDecay) {
  check_sgd({.lr = 0.1f, .momentum = 0.9f}, 0.05f);
}
TEST(Sgd, Nesterov) {
  check_sgd({.lr = 0.05f, .momentum = 0.8f, .nesterov = true}, 0.01f);
}
TEST(Sgd, Dampening) {
  check_sgd({.lr = 0.1f, .momentum = 0.9f, .dampening = 0.5f}, 0.0f);
}

TEST(Sgd, ExplicitFirstSteps) {
  // By hand: p = 1, g = 2 at every step, lr 0.1, momentum 0.5.
  // step 1: b = 2,             p = 1 - 0.2 = 0.8
  // step 2: b = 0.5*2 + 2 = 3, p = 0.8 - 0.3 = 0.5
  Tensor p = param({1.0f}, {1});
  std::vector<ParamGroup> groups(1);
  groups[0].params = {{"p", p}};
  Sgd opt(groups, {.lr = 0.1f, .momentum = 0.5f});
  p.set_grad(from_vector({2.0f}, {1}));
  opt.step();
  EXPECT_FLOAT_EQ(p.item(), 0.8f);
  opt.step();
  EXPECT_FLOAT_EQ(p.item(), 0.5f);
}

TEST(Sgd, RejectsBadOptions) {
  std::vector<ParamGroup> groups(1);
  groups[0].params = {{"p", param({1.0f}, {1})}};
  EXPECT_THROW(Sgd(groups, {.lr = 0.1f, .nesterov = true}), Error);
  EXPECT_THROW(Sgd(groups, {.lr = 0.1f, .momentum = -0.1f}), Error);
  EXPECT_THROW(Sgd(groups, {.lr = -1.0f}), Error);
}

// --- Optimizer base ----------------------------------------------------------------------------

TEST(Optimizer, SkipsParamsWithoutGradAndZeroGradResets) {
  Tensor a = param({1.0f, 2.0f}, {2});
  Tensor b = param({3.0f}, {1});
  std::vector<ParamGroup> groups(1);
  groups[0].params = {{"a", a}, {"b", b}};
  Sgd opt(groups, {.lr = 0.5f});
  a.set_grad(from_vector({1.0f, 1.0f}, {2}));
  opt.step();
  EXPECT_EQ(a.to_vector(), (std::vector<float>{0.5f, 1.5f}));
  EXPECT_EQ(b.item(), 3.0f);
  opt.zero_grad();
  EXPECT_FALSE(a.grad().defined());
  opt.step();  // no grads at all: nothing moves
  EXPECT_EQ(a.to_vector(), (std::vector<float>{0.5f, 1.5f}));
  EXPECT_EQ(opt.step_count(), 2);
}

TEST(Optimizer, NonContiguousGradIsAccepted) {
  Tensor a = param({1.0f, 2.0f, 3.0f, 4.0f}, {2, 2});
  std::vector<ParamGroup> groups(1);
  groups[0].params = {{"a", a}};
  Sgd opt(groups, {.lr = 1.0f});
  a.set_grad(ops::transpose(from_vector({1, 2, 3, 4}, {2, 2}), 0, 1));  // [[1,3],[2,4]]
  opt.step();
  EXPECT_EQ(a.to_vector(), (std::vector<float>{0.0f, -1.0f, 1.0f, 0.0f}));
}

TEST(Optimizer, ValidatesParamsAndGrads) {
  auto make = [](NamedTensors params) {
    std::vector<ParamGroup> groups(1);
    groups[0].params = std::move(params);
    return AdamW(groups);
  };
  Tensor ok = param({1.0f, 2.0f}, {2});
  EXPECT_THROW(make({{"a", ok}, {"a", param({1.0f}, {1})}}), Error);  // duplicate name
  EXPECT_THROW(make({{"a", ok}, {"b", ok}}), Error);                  // same tensor twice
  EXPECT_THROW(make({{"", ok}}), Error);
  EXPECT_THROW(make({{"a", from_vector({1.0f}, {1})}}), Error);  // does not require grad
  Tensor t = param({1, 2, 3, 4}, {2, 2});
  EXPECT_THROW(make({{"t", ops::transpose(t, 0, 1).detach().set_requires_grad(true)}}), Error);
  Tensor h = from_vector({1.0f}, {1}, DType::kBF16);
  EXPECT_THROW(make({{"h", h.set_requires_grad(true)}}), Error);

  std::vector<ParamGroup> groups(1);
  groups[0].params = {{"a", ok}};
  AdamW opt(groups);
  ok.set_grad(from_vector({1.0f, 2.0f, 3.0f}, {3}));
  try {
    opt.step();
    ADD_FAILURE() << "expected a shape error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("'a'"), std::string::npos) << e.what();
  }
  EXPECT_THROW(opt.set_lr(std::nanf("")), Error);
}

// --- state_dict --------------------------------------------------------------------------------

struct Net {
  Tensor w, b;
  std::vector<ParamGroup> groups() const {
    std::vector<ParamGroup> g(2);
    g[0].params = {{"layer.w", w}};
    g[0].weight_decay = 0.1f;
    g[1].params = {{"layer.b", b}};
    return g;
  }
  Net clone() const {
    Net n{ops::clone(w), ops::clone(b)};
    n.w.set_requires_grad(true);
    n.b.set_requires_grad(true);
    return n;
  }
  void set_grads(int s) const {
    w.set_grad(from_vector(grad_values(0, s, w.numel()), w.shape()));
    b.set_grad(from_vector(grad_values(1, s, b.numel()), b.shape()));
  }
};

Net make_net() {
  Generator gen(11);
  Net n{randn({3, 4}, gen), randn({4}, gen)};
  n.w.set_requires_grad(true);
  n.b.set_requires_grad(true);
  return n;
}

template <typename Opt, typename Options>
void check_state_round_trip(const Options& options, const std::string& kind) {
  Net na = make_net();
  Opt a(na.groups(), options);
  for (int s = 0; s < 3; ++s) {
    na.set_grads(s);
    a.step();
  }
  NamedTensors state = a.state_dict();
  EXPECT_EQ(state.front().first, kind + ".step");
  EXPECT_EQ(state.front().second.to_int_vector(), std::vector<int32_t>{3});

  Net nb = na.clone(), nc = na.clone();
  Opt b(nb.groups(), options), fresh(nc.groups(), options);
  b.load_state_dict(state);
  EXPECT_EQ(b.step_count(), 3);
  for (int s = 3; s < 5; ++s) {
    na.set_grads(s);
    nb.set_grads(s);
    nc.set_grads(s);
    a.step();
    b.step();
    fresh.step();
  }
  EXPECT_EQ(na.w.to_vector(), nb.w.to_vector());
  EXPECT_EQ(na.b.to_vector(), nb.b.to_vector());
  // Without the state the trajectory differs, so the comparison above can fail.
  EXPECT_NE(na.w.to_vector(), nc.w.to_vector());
}

TEST(StateDict, AdamWRoundTripIsBitwise) {
  check_state_round_trip<AdamW>(AdamWOptions{.lr = 0.01f}, "adamw");
}
TEST(StateDict, SgdRoundTripIsBitwise) {
  check_state_round_trip<Sgd>(SgdOptions{.lr = 0.05f, .momentum = 0.9f}, "sgd");
}

TEST(StateDict, KeysAndSnapshot) {
  Net n = make_net();
  AdamW opt(n.groups());
  NamedTensors s = opt.state_dict();
  std::vector<std::string> keys;
  for (const auto& [k, t] : s) keys.push_back(k);
  EXPECT_EQ(keys, (std::vector<std::string>{"adamw.step", "adamw.step.layer.w", "adamw.m.layer.w",
                                            "adamw.v.layer.w", "adamw.step.layer.b",
                                            "adamw.m.layer.b", "adamw.v.layer.b"}));
  n.set_grads(0);
  opt.step();
  // The earlier snapshot does not change when the optimizer steps.
  for (float v : s[2].second.to_vector()) EXPECT_EQ(v, 0.0f);
}

void expect_load_error(Optimizer& opt, const NamedTensors& state, const std::string& part) {
  int64_t before = opt.step_count();
  NamedTensors snapshot = opt.state_dict();
  try {
    opt.load_state_dict(state);
    ADD_FAILURE() << "expected an error mentioning " << part;
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find(part), std::string::npos) << e.what();
  }
  EXPECT_EQ(opt.step_count(), before);
  NamedTensors after = opt.state_dict();
  for (size_t i = 0; i < after.size(); ++i) {
    EXPECT_EQ(after[i].second.to_vector(), snapshot[i].second.to_vector()) << after[i].first;
  }
}

TEST(StateDict, MismatchesThrowAndLeaveStateUnchanged) {
  Net n = make_net();
  AdamW opt(n.groups());
  n.set_grads(0);
  opt.step();
  NamedTensors good = opt.state_dict();

  NamedTensors missing(good.begin(), good.end() - 1);
  expect_load_error(opt, missing, "missing key 'adamw.v.layer.b'");

  NamedTensors extra = good;
  extra.emplace_back("adamw.m.other", zeros({2}));
  expect_load_error(opt, extra, "unexpected key 'adamw.m.other'");

  NamedTensors dup = good;
  dup.push_back(good[1]);
  expect_load_error(opt, dup, "appears twice");

  NamedTensors shape = good;
  shape[2].second = zeros({4, 3});
  expect_load_error(opt, shape, "'adamw.m.layer.w'");

  NamedTensors dtype = good;
  dtype[0].second = scalar(1.0f);
  expect_load_error(opt, dtype, "'adamw.step'");

  // State of a different optimizer kind.
  Net n2 = make_net();
  Sgd sgd(n2.groups(), {.lr = 0.1f, .momentum = 0.9f});
  expect_load_error(opt, sgd.state_dict(), "missing key 'adamw.step'");
}

// --- schedules ---------------------------------------------------------------------------------

TEST(Schedule, WarmupCosineKeySteps) {
  const double peak = 1e-3, lo = 1e-4;
  const int64_t warmup = 10, total = 110;
  WarmupCosineLr s(
      {.peak_lr = float(peak), .min_lr = float(lo), .warmup_steps = warmup, .total_steps = total});
  auto cosine = [&](int64_t step) {
    double progress = double(step - warmup) / double(total - warmup);
    return lo + (peak - lo) * 0.5 * (1 + std::cos(std::numbers::pi * progress));
  };
  EXPECT_FLOAT_EQ(s.lr(0), float(peak / 10));
  EXPECT_FLOAT_EQ(s.lr(4), float(peak * 5 / 10));
  EXPECT_FLOAT_EQ(s.lr(warmup - 1), float(peak));
  EXPECT_FLOAT_EQ(s.lr(warmup), float(peak));
  EXPECT_FLOAT_EQ(s.lr(60), float((peak + lo) / 2));  // the cosine's midpoint
  EXPECT_FLOAT_EQ(s.lr(35), float(cosine(35)));
  EXPECT_FLOAT_EQ(s.lr(total - 1), float(cosine(total - 1)));
  EXPECT_GT(s.lr(total - 1), float(lo));
  EXPECT_FLOAT_EQ(s.lr(total), float(lo));
  EXPECT_FLOAT_EQ(s.lr(10 * total), float(lo));
  EXPECT_THROW(s.lr(-1), Error);
  for (int64_t i = warmup; i < total; ++i) EXPECT_LE(s.lr(i + 1), s.lr(i));  // non-increasing
}

TEST(Schedule, NoWarmupAndConstant) {
  WarmupCosineLr s({.peak_lr = 2.0f, .min_lr = 0.0f, .warmup_steps = 0, .total_steps = 4});
  EXPECT_FLOAT_EQ(s.lr(0), 2.0f);
  EXPECT_FLOAT_EQ(s.lr(2), 1.0f);
  EXPECT_FLOAT_EQ(s.lr(4), 0.0f);
  ConstantLr c(0.3f);
  EXPECT_EQ(c.lr(0), 0.3f);
  EXPECT_EQ(c.lr(1000000), 0.3f);
  EXPECT_THROW(WarmupCosineLr({.peak_lr = 1.0f, .min_lr = 2.0f, .total_steps = 5}), Error);
  EXPECT_THROW(WarmupCosineLr({.peak_lr = 1.0f, .warmup_steps = 6, .total_steps = 5}), Error);
}

TEST(Schedule, ApplySetsLrFromStepCount) {
  std::vector<ParamGroup> groups(1);
  Tensor p = param({0.0f}, {1});
  groups[0].params = {{"p", p}};
  Sgd opt(groups, {.lr = 1.0f});
  WarmupCosineLr s({.peak_lr = 1.0f, .warmup_steps = 4, .total_steps = 8});
  p.set_grad(from_vector({-1.0f}, {1}));
  for (int i = 0; i < 3; ++i) {
    apply_schedule(s, opt);
    opt.step();
  }
  EXPECT_FLOAT_EQ(opt.lr(), 0.75f);
  EXPECT_FLOAT_EQ(p.item(), 0.25f + 0.5f + 0.75f);  // p -= lr * (-1) at lrs 0.25, 0.5, 0.75
}

// --- clipping ----------------------------------------------------------------------------------

TEST(Clip, ScalesToMaxNorm) {
  Tensor a = param({0.0f, 0.0f}, {2});
  Tensor b = param({0.0f}, {1});
  Tensor c = param({0.0f}, {1});  // no grad: ignored
  a.set_grad(from_vector({3.0f, 4.0f}, {2}));
  b.set_grad(from_vector({12.0f}, {1}));
  double norm = clip_grad_norm(std::vector<Tensor>{a, b, c}, 6.5);
  EXPECT_DOUBLE_EQ(norm, 13.0);
  double scale = 6.5 / (13.0 + 1e-6);
  EXPECT_FLOAT_EQ(a.grad().at({0}), float(3 * scale));
  EXPECT_FLOAT_EQ(a.grad().at({1}), float(4 * scale));
  EXPECT_FLOAT_EQ(b.grad().item(), float(12 * scale));
  EXPECT_FALSE(c.grad().defined());
  // Now within the limit: untouched.
  double norm2 = clip_grad_norm(std::vector<Tensor>{a, b}, 6.5);
  EXPECT_NEAR(norm2, 6.5, 1e-5);
  EXPECT_FLOAT_EQ(b.grad().item(), float(12 * scale));
}

TEST(Clip, GroupsAndNamedOverloads) {
  Tensor a = param({0.0f, 0.0f}, {2});
  a.set_grad(from_vector({-6.0f, 8.0f}, {2}));
  std::vector<ParamGroup> groups(1);
  groups[0].params = {{"a", a}};
  EXPECT_DOUBLE_EQ(clip_grad_norm(groups, 100.0), 10.0);
  EXPECT_DOUBLE_EQ(clip_grad_norm(groups[0].params, 1.0), 10.0);
  EXPECT_NEAR(a.grad().at({1}), 0.8, 1e-6);
}

TEST(Clip, NonFiniteNormLeavesGradsUntouched) {
  Tensor a = param({0.0f, 0.0f}, {2});
  a.set_grad(from_vector({INFINITY, 1.0f}, {2}));
  EXPECT_TRUE(std::isinf(clip_grad_norm(std::vector<Tensor>{a}, 1.0)));
  EXPECT_EQ(a.grad().at({1}), 1.0f);
  a.set_grad(from_vector({NAN, 1.0f}, {2}));
  EXPECT_TRUE(std::isnan(clip_grad_norm(std::vector<Tensor>{a}, 1.0)));
  EXPECT_EQ(a.grad().at({1}), 1.0f);
  EXPECT_THROW(clip_grad_norm(std::vector<Tensor>{a}, 0.0), Error);
}

TEST(Clip, BroadcastGradIsReplacedNotScaledTwice) {
  Tensor a = param({0.0f, 0.0f, 0.0f, 0.0f}, {4});
  Tensor shared = from_vector({2.0f}, {1});
  a.set_grad(ops::expand(shared, {4}));  // four views of one element, norm 4
  EXPECT_DOUBLE_EQ(clip_grad_norm(std::vector<Tensor>{a}, 1.0), 4.0);
  for (float v : a.grad().to_vector()) EXPECT_NEAR(v, 0.5f, 1e-6);
  EXPECT_EQ(shared.item(), 2.0f);
}

}  // namespace
}  // namespace llmkit::optim
