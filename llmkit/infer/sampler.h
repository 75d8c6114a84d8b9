// Sampler: picks the next token from a row of logits [V] through a fixed chain of stages, in
// llama.cpp's default order (common/common.h, common_params_sampling::samplers, minus the stages
// llmkit does not have):
//
//   1. penalties   over the last repeat_last_n accepted tokens, for each token t seen there
//                  `count` times (llama.cpp semantics for all three):
//                    logit = logit > 0 ? logit / repeat_penalty : logit * repeat_penalty
//                    logit -= count * frequency_penalty + (count > 0) * presence_penalty
//   2. top-k       keep the k largest logits (ties: lower id first)
//   3. top-p       softmax over what is left; keep the smallest prefix of the tokens sorted by
//                  probability whose cumulative probability reaches top_p (the token that crosses
//                  top_p is kept)
//   4. min-p       keep tokens with p >= min_p * p_max, i.e. logit >= max_logit + log(min_p)
//   5. temperature logits / temperature
//   6. softmax and one draw from the resulting distribution.
//
// top-k, top-p and min-p run on the untempered logits (as in llama.cpp), so temperature only
// reshapes the distribution among the survivors. temperature == 0 is greedy decoding: the argmax
// of the penalised logits (ties to the lowest id), no random number drawn; the filters cannot
// change the argmax, so they are skipped.
//
// Randomness: draw number i (counted from construction or reset()) uses 53 bits of
// llmkit::Generator::bits(seed, i) (tensor/rng.h, counter-based), so a seed fixes the whole token
// sequence independently of anything else in the process.
//
// Logits may contain -inf (a token that must not be picked); NaN or +inf, or a row where every
// logit is -inf, is an Error. Not thread-safe: one Sampler per generation stream.
#pragma once

#include <cstdint>
#include <deque>
#include <span>
#include <unordered_map>
#include <vector>

namespace llmkit::infer {

struct SamplerOptions {
  float temperature = 0.8f;        // >= 0; 0: greedy
  int32_t top_k = 40;              // >= 0; 0: off
  float top_p = 0.95f;             // in (0, 1]; 1: off
  float min_p = 0.05f;             // in [0, 1]; 0: off
  float repeat_penalty = 1.0f;     // > 0; 1: off
  int32_t repeat_last_n = 64;      // penalty window in accepted tokens; 0: off, -1: all since reset
  float frequency_penalty = 0.0f;  // OpenAI / llama.cpp; 0: off
  float presence_penalty = 0.0f;   // 0: off
  uint64_t seed = 0;
};

// Throws Error(kInvalidArgument) naming the first bad option and its value.
void validate(const SamplerOptions& options);

// One surviving candidate of the chain with its final probability.
struct TokenProb {
  int32_t id = 0;
  float p = 0.0f;
};

class Sampler {
 public:
  // Validates options; n_vocab (V) must be positive.
  Sampler(const SamplerOptions& options, int64_t n_vocab);

  // Runs the chain on logits [V] (not modified) and returns the drawn token id in [0, V).
  // Does not record the token: call accept() with the token actually used.
  int32_t sample(std::span<const float> logits);

  // The distribution step 6 draws from: the survivors of stages 1-5 with their probabilities
  // (summing to 1), sorted by decreasing probability, ties by increasing id. For greedy options,
  // the single argmax token with p = 1. Draws nothing.
  std::vector<TokenProb> distribution(std::span<const float> logits) const;

  // Records a token in the penalty history (prompt tokens and generated tokens alike).
  // Throws Error(kOutOfRange) for an id outside [0, V).
  void accept(int32_t token);
  // Forgets the history and restarts the random stream (the next draws repeat the first ones).
  void reset();

  const SamplerOptions& options() const { return options_; }
  int64_t n_vocab() const { return n_vocab_; }
  // The logits after stage 1 (penalties), for tests and diagnostics.
  std::vector<float> penalized(std::span<const float> logits) const;

 private:
  SamplerOptions options_;
  int64_t n_vocab_;
  uint64_t draws_ = 0;                       // random numbers used since reset
  std::deque<int32_t> history_;              // the penalty window, oldest first
  std::unordered_map<int32_t, int> counts_;  // occurrences of each token in history_
};

}  // namespace llmkit::infer
