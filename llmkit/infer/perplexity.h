// Perplexity with exactly the protocol of llama.cpp's `llama-perplexity` (tools/perplexity,
// perplexity() without --ppl-stride), so the two programs' numbers are comparable:
//
//   1. tokens = tokenize(whole text), with BOS first when the model adds one (add_bos).
//   2. n_chunks = floor(tokens / n_ctx) (at most max_chunks); at least 2 * n_ctx tokens are needed.
//   3. Chunk i is tokens[i * n_ctx, (i + 1) * n_ctx) evaluated from an empty KV cache at positions
//      0 .. n_ctx - 1, its first token replaced by BOS when add_bos.
//   4. Only the second half is scored: with first = n_ctx / 2, the logits at positions first ..
//      n_ctx - 2 predict tokens first + 1 .. n_ctx - 1 (n_ctx - 1 - first scores per chunk).
//   5. nll = -log_softmax(logits)[target] (max-subtracted, sum of exp in double);
//      PPL = exp(mean nll); its uncertainty = PPL * sqrt((mean nll^2 - mean nll^2) / (count - 1)).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <vector>

#include "llmkit/infer/model.h"

namespace llmkit::infer {

struct PerplexityOptions {
  int64_t n_ctx = 512;
  int64_t max_chunks = -1;  // -1: all
  int64_t n_batch = 512;
  int n_threads = 1;
  KvType kv_type = KvType::kF32;  // the sessions' KV cache type
  bool add_bos = true;  // replace each chunk's first token with BOS (when the model has one)
};

struct PerplexityResult {
  double ppl = 0.0;
  double ppl_error = 0.0;  // one standard error, as llama-perplexity prints it
  int64_t n_chunks = 0;
  int64_t n_scored = 0;
  std::vector<double> running_ppl;  // the estimate after each chunk
};

// tokens: the whole text's token ids, BOS first when add_bos (step 1 is the caller's, so that the
// same ids can be checked against llama-tokenize). on_chunk (optional) is called after each chunk
// with (chunk index, chunks total, running PPL). Throws Error(kInvalidArgument) when there are
// fewer than 2 * n_ctx tokens, naming both numbers.
PerplexityResult perplexity(std::shared_ptr<const Model> model, std::span<const int32_t> tokens,
                            const PerplexityOptions& options,
                            const std::function<void(int64_t, int64_t, double)>& on_chunk = {});

// -log softmax(logits)[target] over V logits, computed as llama-perplexity does.
double token_nll(std::span<const float> logits, int32_t target);

}  // namespace llmkit::infer
