#include "llmkit/train/simple_sampler.h"

#include <algorithm>
#include <cmath>

#include "llmkit/autograd/functions.h"
#include "llmkit/autograd/node.h"

namespace llmkit::train {

std::vector<int32_t> sample(const models::TransformerLM& model, const std::vector<int32_t>& prompt,
                            const SampleOptions& o, const std::function<bool(int32_t)>& on_token) {
  LLMKIT_CHECK(!prompt.empty(), "sample: the prompt must contain at least one token (e.g. BOS)");
  LLMKIT_CHECK(o.temperature >= 0.0f, "sample: temperature must be >= 0, got ", o.temperature);
  autograd::NoGradGuard no_grad;
  Generator gen(o.seed);
  std::vector<int32_t> seq = prompt, out;
  const int64_t n_ctx = model.config().n_ctx;
  for (int64_t i = 0; i < o.max_new_tokens; ++i) {
    int64_t start = std::max<int64_t>(0, static_cast<int64_t>(seq.size()) - n_ctx);
    std::vector<int32_t> window(seq.begin() + start, seq.end());
    auto T = static_cast<int64_t>(window.size());
    Tensor logits = model.forward(from_ints(window, {1, T}));
    std::vector<float> last = select(select(logits, 0, 0), 0, T - 1).to_vector();
    int32_t next = 0;
    if (o.temperature == 0.0f) {
      next = static_cast<int32_t>(std::max_element(last.begin(), last.end()) - last.begin());
    } else {
      std::vector<int32_t> order(last.size());
      for (size_t k = 0; k < order.size(); ++k) order[k] = static_cast<int32_t>(k);
      size_t keep = o.top_k > 0 ? std::min<size_t>(o.top_k, order.size()) : order.size();
      std::partial_sort(order.begin(), order.begin() + keep, order.end(),
                        [&](int32_t a, int32_t b) { return last[a] > last[b]; });
      double max_logit = last[order[0]], z = 0.0;
      std::vector<double> p(keep);
      for (size_t k = 0; k < keep; ++k) {
        p[k] = std::exp((last[order[k]] - max_logit) / o.temperature);
        z += p[k];
      }
      double u = gen.next_uniform() * z, acc = 0.0;
      next = order[keep - 1];
      for (size_t k = 0; k < keep; ++k) {
        acc += p[k];
        if (u < acc) {
          next = order[k];
          break;
        }
      }
    }
    seq.push_back(next);
    out.push_back(next);
    if (on_token && !on_token(next)) break;
    if (std::find(o.stop_ids.begin(), o.stop_ids.end(), next) != o.stop_ids.end()) break;
  }
  return out;
}

}  // namespace llmkit::train
