#include "llmkit/infer/sampler.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "llmkit/base/error.h"
#include "llmkit/tensor/rng.h"

namespace llmkit::infer {
namespace {

struct Candidate {
  int32_t id;
  float logit;
};

// Descending logit, ties by ascending id: the one order every stage uses.
bool before(const Candidate& a, const Candidate& b) {
  return a.logit > b.logit || (a.logit == b.logit && a.id < b.id);
}

bool finite_option(float v) {
  return std::isfinite(v);
}

}  // namespace

void validate(const SamplerOptions& o) {
  LLMKIT_CHECK(finite_option(o.temperature) && o.temperature >= 0.0f,
               "sampler: temperature must be >= 0 (0: greedy), got ", o.temperature);
  LLMKIT_CHECK(o.top_k >= 0, "sampler: top_k must be >= 0 (0: off), got ", o.top_k);
  LLMKIT_CHECK(finite_option(o.top_p) && o.top_p > 0.0f && o.top_p <= 1.0f,
               "sampler: top_p must be in (0, 1] (1: off), got ", o.top_p);
  LLMKIT_CHECK(finite_option(o.min_p) && o.min_p >= 0.0f && o.min_p <= 1.0f,
               "sampler: min_p must be in [0, 1] (0: off), got ", o.min_p);
  LLMKIT_CHECK(finite_option(o.repeat_penalty) && o.repeat_penalty > 0.0f,
               "sampler: repeat_penalty must be > 0 (1: off), got ", o.repeat_penalty);
  LLMKIT_CHECK(o.repeat_last_n >= -1,
               "sampler: repeat_last_n must be >= -1 (0: off, -1: whole history), got ",
               o.repeat_last_n);
  LLMKIT_CHECK(finite_option(o.frequency_penalty),
               "sampler: frequency_penalty must be finite, got ", o.frequency_penalty);
  LLMKIT_CHECK(finite_option(o.presence_penalty), "sampler: presence_penalty must be finite, got ",
               o.presence_penalty);
}

Sampler::Sampler(const SamplerOptions& options, int64_t n_vocab)
    : options_(options), n_vocab_(n_vocab) {
  validate(options_);
  LLMKIT_CHECK(n_vocab > 0 && n_vocab <= std::numeric_limits<int32_t>::max(),
               "sampler: n_vocab must be in [1, 2^31), got ", n_vocab);
}

void Sampler::accept(int32_t token) {
  LLMKIT_CHECK_CODE(token >= 0 && token < n_vocab_, ErrorCode::kOutOfRange,
                    "sampler: accepted token ", token, " is outside [0, ", n_vocab_, ")");
  if (options_.repeat_last_n == 0) return;
  history_.push_back(token);
  ++counts_[token];
  if (options_.repeat_last_n > 0 && history_.size() > static_cast<size_t>(options_.repeat_last_n)) {
    auto it = counts_.find(history_.front());
    if (--it->second == 0) counts_.erase(it);
    history_.pop_front();
  }
}

void Sampler::reset() {
  history_.clear();
  counts_.clear();
  draws_ = 0;
}

std::vector<float> Sampler::penalized(std::span<const float> logits) const {
  LLMKIT_CHECK(static_cast<int64_t>(logits.size()) == n_vocab_, "sampler: got ", logits.size(),
               " logits for a vocabulary of ", n_vocab_);
  std::vector<float> out(logits.begin(), logits.end());
  for (int64_t i = 0; i < n_vocab_; ++i) {
    LLMKIT_CHECK(!std::isnan(out[i]) && out[i] != std::numeric_limits<float>::infinity(),
                 "sampler: logit of token ", i, " is ", out[i],
                 " (NaN and +inf cannot be sampled; the model's output is broken)");
  }
  const SamplerOptions& o = options_;
  const bool any =
      o.repeat_penalty != 1.0f || o.frequency_penalty != 0.0f || o.presence_penalty != 0.0f;
  if (!any) return out;
  for (const auto& [token, count] : counts_) {
    float& l = out[token];
    l = l > 0.0f ? l / o.repeat_penalty : l * o.repeat_penalty;
    l -= static_cast<float>(count) * o.frequency_penalty + (count > 0 ? o.presence_penalty : 0.0f);
  }
  return out;
}

namespace {

// Stages 2-4 on the penalised logits; returns the survivors with their logits.
std::vector<Candidate> filter(const std::vector<float>& logits, const SamplerOptions& o) {
  std::vector<Candidate> c;
  c.reserve(logits.size());
  for (size_t i = 0; i < logits.size(); ++i) {
    if (logits[i] != -std::numeric_limits<float>::infinity()) {
      c.push_back({static_cast<int32_t>(i), logits[i]});
    }
  }
  LLMKIT_CHECK(!c.empty(), "sampler: every logit is -inf; there is no token to sample");
  bool sorted = false;

  // 2. top-k
  if (o.top_k > 0 && static_cast<size_t>(o.top_k) < c.size()) {
    std::nth_element(c.begin(), c.begin() + o.top_k, c.end(), before);
    c.resize(o.top_k);
    std::sort(c.begin(), c.end(), before);
    sorted = true;
  }

  // 3. top-p: softmax over all survivors (the normaliser needs them all), then a prefix of the
  // sorted order. Sorting only the head first keeps the usual case (mass in a few hundred
  // tokens) O(V).
  if (o.top_p < 1.0f && c.size() > 1) {
    float max_logit = -std::numeric_limits<float>::infinity();
    for (const Candidate& x : c) max_logit = std::max(max_logit, x.logit);
    double sum = 0.0;
    for (const Candidate& x : c) sum += std::exp(static_cast<double>(x.logit - max_logit));
    size_t head = sorted ? c.size() : std::min<size_t>(256, c.size());
    if (!sorted) std::partial_sort(c.begin(), c.begin() + head, c.end(), before);
    size_t keep = c.size();
    for (;;) {
      double cum = 0.0;
      for (size_t i = 0; i < head; ++i) {
        cum += std::exp(static_cast<double>(c[i].logit - max_logit)) / sum;
        if (cum >= o.top_p) {
          keep = i + 1;
          break;
        }
      }
      if (keep < c.size() || head == c.size()) break;
      std::sort(c.begin(), c.end(), before);  // the head was not enough: sort everything
      head = c.size();
    }
    c.resize(keep);
    sorted = true;
  }

  // 4. min-p: p_i >= min_p * p_max  <=>  logit_i >= max_logit + log(min_p)
  if (o.min_p > 0.0f && c.size() > 1) {
    float max_logit = -std::numeric_limits<float>::infinity();
    for (const Candidate& x : c) max_logit = std::max(max_logit, x.logit);
    const float threshold = max_logit + std::log(o.min_p);
    std::erase_if(c, [&](const Candidate& x) { return x.logit < threshold; });
  }

  return c;
}

// Stages 5 and 6: unnormalised weights exp((logit - max) / temperature). Computed in double from
// the difference so that a tiny temperature cannot overflow (the maximum gets weight 1, the rest
// underflow towards 0).
std::vector<double> weights(const std::vector<Candidate>& c, float temperature) {
  float max_logit = -std::numeric_limits<float>::infinity();
  for (const Candidate& x : c) max_logit = std::max(max_logit, x.logit);
  std::vector<double> w(c.size());
  for (size_t i = 0; i < c.size(); ++i) {
    w[i] = std::exp(static_cast<double>(c[i].logit - max_logit) / temperature);
  }
  return w;
}

}  // namespace

std::vector<TokenProb> Sampler::distribution(std::span<const float> logits) const {
  std::vector<float> l = penalized(logits);
  if (options_.temperature == 0.0f) {
    // max_element returns the first maximum: ties go to the lowest id.
    auto best = std::max_element(l.begin(), l.end());
    LLMKIT_CHECK(*best != -std::numeric_limits<float>::infinity(),
                 "sampler: every logit is -inf; there is no token to sample");
    return {{static_cast<int32_t>(best - l.begin()), 1.0f}};
  }
  std::vector<Candidate> c = filter(l, options_);
  std::sort(c.begin(), c.end(), before);
  const std::vector<double> w = weights(c, options_.temperature);
  double sum = 0.0;
  for (double x : w) sum += x;
  std::vector<TokenProb> out(c.size());
  for (size_t i = 0; i < c.size(); ++i) out[i] = {c[i].id, static_cast<float>(w[i] / sum)};
  return out;
}

int32_t Sampler::sample(std::span<const float> logits) {
  if (options_.temperature == 0.0f) return distribution(logits).front().id;
  std::vector<Candidate> c = filter(penalized(logits), options_);
  std::vector<double> cum = weights(c, options_.temperature);
  double sum = 0.0;
  for (double& x : cum) x = sum += x;
  // u in [0, 1) from the top 53 bits; pick the first candidate whose cumulative weight exceeds
  // u * sum (candidates with zero weight are never picked since cum does not grow there).
  const double u = static_cast<double>(Generator::bits(options_.seed, draws_++) >> 11) * 0x1p-53;
  const double target = u * sum;
  size_t i = std::upper_bound(cum.begin(), cum.end(), target) - cum.begin();
  if (i >= c.size()) i = c.size() - 1;  // rounding at the very top
  return c[i].id;
}

}  // namespace llmkit::infer
