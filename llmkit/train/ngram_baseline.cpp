#include "llmkit/train/ngram_baseline.h"

#include <cmath>

#include "llmkit/base/error.h"

namespace llmkit::train {

NgramBaseline::NgramBaseline(int64_t n_vocab)
    : n_vocab_(n_vocab), unigram_(n_vocab, 0), context_total_(n_vocab, 0) {
  LLMKIT_CHECK(n_vocab > 0, "NgramBaseline: n_vocab must be positive, got ", n_vocab);
}

void NgramBaseline::fit(const int32_t* tokens, int64_t n) {
  for (int64_t i = 0; i < n; ++i) {
    LLMKIT_CHECK_CODE(tokens[i] >= 0 && tokens[i] < n_vocab_, ErrorCode::kOutOfRange,
                      "NgramBaseline: token ", tokens[i], " outside the vocabulary of ", n_vocab_);
    ++unigram_[tokens[i]];
    ++total_;
    if (i > 0) {
      ++context_total_[tokens[i - 1]];
      ++bigram_[static_cast<uint64_t>(tokens[i - 1]) * n_vocab_ + tokens[i]];
    }
  }
}

double NgramBaseline::unigram_logprob(int32_t next) const {
  return std::log((unigram_[next] + 1.0) / (static_cast<double>(total_) + n_vocab_));
}

double NgramBaseline::bigram_logprob(int32_t prev, int32_t next) const {
  auto it = bigram_.find(static_cast<uint64_t>(prev) * n_vocab_ + next);
  double count = it == bigram_.end() ? 0.0 : static_cast<double>(it->second);
  return std::log((count + 1.0) / (static_cast<double>(context_total_[prev]) + n_vocab_));
}

}  // namespace llmkit::train
