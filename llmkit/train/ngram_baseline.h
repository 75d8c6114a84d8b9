// Count-based baselines for language-model perplexity: unigram and bigram models with add-one
// (Laplace) smoothing over the whole vocabulary, fitted on training tokens.
//
// Perplexity over a set of scored positions = exp(-mean log p(token | context)); for the bigram
// the context is the previous token. Scoring the same positions as the neural model makes the
// three perplexities comparable.
#pragma once

#include <cstdint>
#include <unordered_map>
#include <vector>

namespace llmkit::train {

class NgramBaseline {
 public:
  explicit NgramBaseline(int64_t n_vocab);
  // Adds counts from a contiguous token stream (document separators are ordinary tokens).
  void fit(const int32_t* tokens, int64_t n);
  // log p(next) under add-one unigram / bigram.
  double unigram_logprob(int32_t next) const;
  double bigram_logprob(int32_t prev, int32_t next) const;

 private:
  int64_t n_vocab_;
  int64_t total_ = 0;
  std::vector<int64_t> unigram_;
  std::vector<int64_t> context_total_;            // count of each token as a context
  std::unordered_map<uint64_t, int64_t> bigram_;  // key prev * V + next
};

}  // namespace llmkit::train
