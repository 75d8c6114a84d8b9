// Sampler tests: every stage against a naive double-precision reference written here, the
// empirical distribution of many draws, determinism in the seed, and option validation.
#include "llmkit/infer/sampler.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "llmkit/base/error.h"

namespace llmkit::infer {
namespace {

constexpr float kNegInf = -std::numeric_limits<float>::infinity();

std::vector<float> random_logits(int n, uint64_t seed, float scale = 3.0f) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<float> normal(0.0f, scale);
  std::vector<float> v(n);
  for (float& x : v) x = normal(rng);
  return v;
}

// Naive reference of the documented chain. Penalties given as the history (the window applied
// here), everything in double; returns id -> probability of the survivors.
std::map<int32_t, double> reference(std::vector<float> logits, const std::vector<int32_t>& history,
                                    const SamplerOptions& o) {
  std::vector<double> l(logits.begin(), logits.end());
  std::vector<int32_t> window = history;
  if (o.repeat_last_n == 0) window.clear();
  if (o.repeat_last_n > 0 && window.size() > static_cast<size_t>(o.repeat_last_n)) {
    window.erase(window.begin(), window.end() - o.repeat_last_n);
  }
  std::map<int32_t, int> count;
  for (int32_t t : window) ++count[t];
  for (auto [t, n] : count) {
    l[t] = l[t] > 0 ? l[t] / o.repeat_penalty : l[t] * o.repeat_penalty;
    l[t] -= n * o.frequency_penalty + o.presence_penalty;
  }
  std::vector<int32_t> ids;
  for (size_t i = 0; i < l.size(); ++i) {
    if (l[i] != -INFINITY) ids.push_back(static_cast<int32_t>(i));
  }
  std::stable_sort(ids.begin(), ids.end(), [&](int32_t a, int32_t b) { return l[a] > l[b]; });
  if (o.temperature == 0.0f) return {{ids[0], 1.0}};
  if (o.top_k > 0 && ids.size() > static_cast<size_t>(o.top_k)) ids.resize(o.top_k);
  auto softmax = [&](const std::vector<int32_t>& s, double temp) {
    double m = l[s[0]], z = 0;
    for (int32_t i : s) z += std::exp((l[i] - m) / temp);
    std::vector<double> p;
    for (int32_t i : s) p.push_back(std::exp((l[i] - m) / temp) / z);
    return p;
  };
  if (o.top_p < 1.0f) {
    std::vector<double> p = softmax(ids, 1.0);
    double cum = 0;
    size_t keep = ids.size();
    for (size_t i = 0; i < ids.size(); ++i) {
      cum += p[i];
      if (cum >= o.top_p) {
        keep = i + 1;
        break;
      }
    }
    ids.resize(keep);
  }
  if (o.min_p > 0.0f) {
    std::vector<double> p = softmax(ids, 1.0);
    std::vector<int32_t> kept;
    for (size_t i = 0; i < ids.size(); ++i) {
      if (p[i] >= o.min_p * p[0]) kept.push_back(ids[i]);
    }
    ids = kept;
  }
  std::vector<double> p = softmax(ids, o.temperature);
  std::map<int32_t, double> out;
  for (size_t i = 0; i < ids.size(); ++i) out[ids[i]] = p[i];
  return out;
}

void expect_matches_reference(const std::vector<float>& logits, const std::vector<int32_t>& history,
                              const SamplerOptions& o) {
  Sampler s(o, static_cast<int64_t>(logits.size()));
  for (int32_t t : history) s.accept(t);
  std::vector<TokenProb> got = s.distribution(logits);
  std::map<int32_t, double> want = reference(logits, history, o);
  ASSERT_EQ(got.size(), want.size()) << "top_k " << o.top_k << " top_p " << o.top_p << " min_p "
                                     << o.min_p << " temp " << o.temperature;
  double total = 0;
  for (size_t i = 0; i < got.size(); ++i) {
    ASSERT_TRUE(want.count(got[i].id)) << "token " << got[i].id << " should have been filtered";
    EXPECT_NEAR(got[i].p, want[got[i].id], 1e-5) << "token " << got[i].id;
    if (i > 0) {
      EXPECT_GE(got[i - 1].p, got[i].p);
    }
    total += got[i].p;
  }
  EXPECT_NEAR(total, 1.0, 1e-5);
}

TEST(SamplerTest, ValidatesOptionsNamingTheBadOne) {
  auto expect_bad = [](SamplerOptions o, const std::string& name) {
    try {
      Sampler s(o, 10);
      FAIL() << "accepted a bad " << name;
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find(name), std::string::npos) << e.what();
    }
  };
  SamplerOptions o;
  o.temperature = -0.1f;
  expect_bad(o, "temperature");
  o = {};
  o.temperature = NAN;
  expect_bad(o, "temperature");
  o = {};
  o.top_k = -1;
  expect_bad(o, "top_k");
  o = {};
  o.top_p = 0.0f;
  expect_bad(o, "top_p");
  o.top_p = 1.5f;
  expect_bad(o, "top_p");
  o = {};
  o.min_p = -0.5f;
  expect_bad(o, "min_p");
  o.min_p = 1.01f;
  expect_bad(o, "min_p");
  o = {};
  o.repeat_penalty = 0.0f;
  expect_bad(o, "repeat_penalty");
  o = {};
  o.repeat_last_n = -2;
  expect_bad(o, "repeat_last_n");
  o = {};
  o.frequency_penalty = INFINITY;
  expect_bad(o, "frequency_penalty");
  o = {};
  o.presence_penalty = NAN;
  expect_bad(o, "presence_penalty");
  EXPECT_THROW(Sampler(SamplerOptions{}, 0), Error);
}

TEST(SamplerTest, PenaltiesGiveExactLogits) {
  std::vector<float> logits = {2.0f, -1.5f, 0.0f, 3.0f, -0.25f, 1.0f};
  SamplerOptions o;
  o.repeat_penalty = 1.3f;
  o.frequency_penalty = 0.2f;
  o.presence_penalty = 0.5f;
  o.repeat_last_n = 4;
  Sampler s(o, 6);
  // history 3 0 1 1 4 1: the window of 4 is 1 1 4 1 (token 3 and 0 fell out)
  for (int32_t t : {3, 0, 1, 1, 4, 1}) s.accept(t);
  std::vector<float> got = s.penalized(logits);
  const double p = 1.3;
  std::vector<double> want = {2.0, -1.5 * p - 3 * 0.2 - 0.5, 0.0, 3.0, -0.25 * p - 0.2 - 0.5, 1.0};
  for (size_t i = 0; i < got.size(); ++i) EXPECT_NEAR(got[i], want[i], 1e-6) << "token " << i;

  o.repeat_last_n = -1;  // whole history
  Sampler all(o, 6);
  for (int32_t t : {3, 0, 1}) all.accept(t);
  got = all.penalized(logits);
  EXPECT_NEAR(got[3], 3.0 / p - 0.2 - 0.5, 1e-6);
  EXPECT_NEAR(got[0], 2.0 / p - 0.2 - 0.5, 1e-6);
  EXPECT_NEAR(got[5], 1.0, 0);

  o.repeat_last_n = 0;  // off
  Sampler off(o, 6);
  off.accept(3);
  EXPECT_EQ(off.penalized(logits), logits);

  all.reset();
  EXPECT_EQ(all.penalized(logits), logits);
}

TEST(SamplerTest, GreedyIsArgmaxAfterPenaltiesWithTiesToLowestId) {
  SamplerOptions o;
  o.temperature = 0.0f;
  Sampler s(o, 5);
  std::vector<float> logits = {1.0f, 4.0f, 2.0f, 4.0f, 3.0f};
  EXPECT_EQ(s.sample(logits), 1);
  EXPECT_EQ(s.sample(logits), 1);
  o.repeat_penalty = 2.0f;  // 4 / 2 = 2 for token 1 -> token 3 wins
  Sampler p(o, 5);
  p.accept(1);
  EXPECT_EQ(p.sample(logits), 3);
  p.accept(3);  // both at 2 now, token 4 (3.0) wins
  EXPECT_EQ(p.sample(logits), 4);
}

TEST(SamplerTest, TopKOneEqualsGreedy) {
  for (uint64_t seed = 0; seed < 20; ++seed) {
    std::vector<float> logits = random_logits(300, seed);
    SamplerOptions greedy;
    greedy.temperature = 0.0f;
    SamplerOptions k1;
    k1.top_k = 1;
    k1.temperature = 1.5f;
    k1.seed = seed;
    Sampler a(greedy, 300), b(k1, 300);
    EXPECT_EQ(a.sample(logits), b.sample(logits));
  }
}

TEST(SamplerTest, TopPKeepsTheTokenThatCrossesTheThreshold) {
  std::vector<float> logits = {std::log(0.1f), std::log(0.4f), std::log(0.2f), std::log(0.3f)};
  SamplerOptions o;
  o.top_k = 0;
  o.min_p = 0.0f;
  o.temperature = 1.0f;
  o.top_p = 0.65f;  // 0.4 < 0.65 <= 0.4 + 0.3
  std::vector<TokenProb> d = Sampler(o, 4).distribution(logits);
  ASSERT_EQ(d.size(), 2u);
  EXPECT_EQ(d[0].id, 1);
  EXPECT_EQ(d[1].id, 3);
  EXPECT_NEAR(d[0].p, 0.4 / 0.7, 1e-6);
  o.top_p = 0.75f;
  EXPECT_EQ(Sampler(o, 4).distribution(logits).size(), 3u);
}

TEST(SamplerTest, MinPKeepsExactlyTheTokensAboveTheRelativeThreshold) {
  // p = 0.5 0.2 0.1 0.04 0.16 (order shuffled); min_p 0.25 -> p >= 0.125: ids 0, 1, 4
  std::vector<float> logits = {std::log(0.5f), std::log(0.2f), std::log(0.1f), std::log(0.04f),
                               std::log(0.16f)};
  SamplerOptions o;
  o.top_k = 0;
  o.top_p = 1.0f;
  o.min_p = 0.25f;
  o.temperature = 1.0f;
  std::vector<TokenProb> d = Sampler(o, 5).distribution(logits);
  std::vector<int32_t> ids;
  for (const TokenProb& t : d) ids.push_back(t.id);
  EXPECT_EQ(ids, (std::vector<int32_t>{0, 1, 4}));
  EXPECT_NEAR(d[1].p, 0.2 / 0.86, 1e-6);
  EXPECT_NEAR(d[2].p, 0.16 / 0.86, 1e-6);
}

TEST(SamplerTest, DistributionMatchesNaiveReference) {
  struct Case {
    float temp;
    int top_k;
    float top_p, min_p;
  };
  const Case cases[] = {{1.0f, 0, 1.0f, 0.0f},  {0.8f, 40, 0.95f, 0.05f}, {0.5f, 0, 0.9f, 0.0f},
                        {1.7f, 10, 1.0f, 0.0f}, {1.0f, 0, 1.0f, 0.1f},    {0.3f, 7, 0.5f, 0.2f},
                        {2.0f, 0, 0.99f, 0.01f}};
  std::vector<int32_t> history = {5, 9, 5, 100, 7, 5, 250, 9};
  for (uint64_t seed = 0; seed < 6; ++seed) {
    // 1000 tokens: more than the 256-token head the top-p stage sorts first
    std::vector<float> logits = random_logits(1000, seed, seed % 2 ? 0.3f : 3.0f);
    logits[17] = kNegInf;
    for (const Case& c : cases) {
      SamplerOptions o;
      o.temperature = c.temp;
      o.top_k = c.top_k;
      o.top_p = c.top_p;
      o.min_p = c.min_p;
      o.repeat_penalty = 1.1f;
      o.frequency_penalty = 0.1f;
      o.presence_penalty = 0.2f;
      o.repeat_last_n = 6;
      expect_matches_reference(logits, history, o);
    }
  }
}

TEST(SamplerTest, EmpiricalDistributionOfDrawsMatches) {
  std::vector<float> logits = {1.0f, 0.2f, -0.5f, 2.0f, 0.7f, kNegInf, -3.0f, 1.4f};
  SamplerOptions o;
  o.temperature = 0.9f;
  o.top_k = 6;
  o.top_p = 0.97f;
  o.min_p = 0.02f;
  o.seed = 1234;
  std::map<int32_t, double> want = reference(logits, {}, o);
  Sampler s(o, 8);
  constexpr int kDraws = 20000;
  std::map<int32_t, int> hits;
  for (int i = 0; i < kDraws; ++i) ++hits[s.sample(logits)];
  for (auto [id, n] : hits) EXPECT_TRUE(want.count(id)) << "drew filtered token " << id;
  for (auto [id, p] : want) {
    const double sigma = std::sqrt(p * (1 - p) / kDraws);
    EXPECT_NEAR(hits[id] / static_cast<double>(kDraws), p, 5 * sigma + 1e-4) << "token " << id;
  }
}

TEST(SamplerTest, SameSeedSameSequenceDifferentSeedsDiffer) {
  std::vector<float> logits = random_logits(500, 3, 1.0f);
  SamplerOptions o;
  o.top_k = 0;
  o.top_p = 1.0f;
  o.min_p = 0.0f;
  o.temperature = 1.0f;
  auto run = [&](uint64_t seed) {
    o.seed = seed;
    Sampler s(o, 500);
    std::vector<int32_t> seq;
    for (int i = 0; i < 50; ++i) seq.push_back(s.sample(logits));
    return seq;
  };
  EXPECT_EQ(run(7), run(7));
  EXPECT_NE(run(7), run(8));
  o.seed = 7;
  Sampler s(o, 500);
  std::vector<int32_t> first;
  for (int i = 0; i < 10; ++i) first.push_back(s.sample(logits));
  s.reset();
  for (int i = 0; i < 10; ++i) EXPECT_EQ(s.sample(logits), first[i]) << "after reset, draw " << i;
}

TEST(SamplerTest, TinyTemperatureStaysFiniteAndPicksTheMax) {
  std::vector<float> logits = {1.0f, 3.0f, 2.999f, -2.0f};
  SamplerOptions o;
  o.temperature = 1e-30f;
  o.top_k = 0;
  o.top_p = 1.0f;
  o.min_p = 0.0f;
  Sampler s(o, 4);
  for (int i = 0; i < 100; ++i) EXPECT_EQ(s.sample(logits), 1);
}

TEST(SamplerTest, RejectsBrokenLogitsAndIds) {
  SamplerOptions o;
  Sampler s(o, 4);
  std::vector<float> nan = {0.0f, NAN, 1.0f, 2.0f};
  EXPECT_THROW(s.sample(nan), Error);
  std::vector<float> all_masked(4, kNegInf);
  EXPECT_THROW(s.sample(all_masked), Error);
  o.temperature = 0.0f;
  EXPECT_THROW(Sampler(o, 4).sample(all_masked), Error);
  std::vector<float> short_row = {0.0f, 1.0f};
  EXPECT_THROW(s.sample(short_row), Error);
  EXPECT_THROW(s.accept(4), Error);
  EXPECT_THROW(s.accept(-1), Error);
  std::vector<float> pos_inf = {0.0f, INFINITY, 1.0f, 2.0f};
  EXPECT_THROW(s.sample(pos_inf), Error);
}

}  // namespace
}  // namespace llmkit::infer
