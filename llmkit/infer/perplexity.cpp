#include "llmkit/infer/perplexity.h"

#include <algorithm>
#include <cmath>

#include "llmkit/base/error.h"
#include "llmkit/infer/session.h"

namespace llmkit::infer {

double token_nll(std::span<const float> logits, int32_t target) {
  LLMKIT_CHECK(target >= 0 && static_cast<size_t>(target) < logits.size(), "perplexity: target ",
               target, " outside the vocabulary of ", logits.size());
  const float max_logit = *std::max_element(logits.begin(), logits.end());
  double sum = 0.0;
  for (float l : logits) sum += std::exp(l - max_logit);
  return -(static_cast<double>(logits[target] - max_logit) - std::log(sum));
}

PerplexityResult perplexity(std::shared_ptr<const Model> model, std::span<const int32_t> tokens,
                            const PerplexityOptions& o,
                            const std::function<void(int64_t, int64_t, double)>& on_chunk) {
  const int64_t n_ctx = o.n_ctx;
  LLMKIT_CHECK(n_ctx >= 4, "perplexity: --ctx ", n_ctx, " is too small; use at least 4");
  LLMKIT_CHECK(static_cast<int64_t>(tokens.size()) >= 2 * n_ctx, "perplexity: the text has ",
               tokens.size(), " tokens but a context of ", n_ctx, " needs at least ", 2 * n_ctx,
               "; pass a longer text or a smaller --ctx");
  int64_t n_chunks = static_cast<int64_t>(tokens.size()) / n_ctx;
  if (o.max_chunks >= 0) n_chunks = std::min(n_chunks, o.max_chunks);
  // The tokenizer's BOS when there is one (llmkit run folders leave bos_id to the tokenizer).
  const int32_t bos = model->tokenizer() != nullptr ? model->tokenizer()->bos_id()
                                                    : static_cast<int32_t>(model->config().bos_id);
  const int64_t V = model->config().n_vocab;

  SessionOptions so;
  so.n_ctx = n_ctx;
  so.n_batch = std::min(o.n_batch, n_ctx);
  so.n_threads = o.n_threads;
  so.kv_type = o.kv_type;
  Session session(model, so);

  const int64_t first = n_ctx / 2;
  const int64_t n_score = n_ctx - 1 - first;
  std::vector<int32_t> chunk(n_ctx);
  std::vector<float> logits(static_cast<size_t>(so.n_batch) * V);
  PerplexityResult r;
  double nll = 0.0, nll2 = 0.0;
  int64_t count = 0;
  for (int64_t c = 0; c < n_chunks; ++c) {
    std::copy_n(tokens.begin() + c * n_ctx, n_ctx, chunk.begin());
    if (o.add_bos && bos >= 0) chunk[0] = bos;
    session.reset();
    session.decode(std::span<const int32_t>(chunk.data(), first));
    // Positions first .. n_ctx - 2, in pieces of at most n_batch.
    for (int64_t begin = first; begin < n_ctx - 1; begin += so.n_batch) {
      const int64_t n = std::min(so.n_batch, n_ctx - 1 - begin);
      session.decode_all(std::span<const int32_t>(chunk.data() + begin, n), logits.data());
      for (int64_t i = 0; i < n; ++i) {
        const double v =
            token_nll(std::span<const float>(logits.data() + i * V, V), chunk[begin + i + 1]);
        nll += v;
        nll2 += v * v;
      }
    }
    count += n_score;
    r.running_ppl.push_back(std::exp(nll / count));
    if (on_chunk) on_chunk(c, n_chunks, r.running_ppl.back());
  }
  const double mean = nll / count;
  double var = nll2 / count - mean * mean;
  r.ppl = std::exp(mean);
  r.ppl_error = var > 0 && count > 1 ? std::sqrt(var / (count - 1)) * r.ppl : 0.0;
  r.n_chunks = n_chunks;
  r.n_scored = count;
  return r;
}

}  // namespace llmkit::infer
