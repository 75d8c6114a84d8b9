// Plain autoregressive sampling from a TransformerLM for inspecting checkpoints: each step reruns
// the full forward over the sequence so far (no KV cache; the inference engine brings the fast
// path). Temperature 0 means greedy.
#pragma once

#include <functional>
#include <vector>

#include "llmkit/models/transformer_lm.h"

namespace llmkit::train {

struct SampleOptions {
  int64_t max_new_tokens = 50;
  float temperature = 0.8f;
  int64_t top_k = 40;  // <= 0: whole vocabulary
  uint64_t seed = 1;
  std::vector<int32_t> stop_ids;  // generation ends after emitting one of these
};

// Appends up to max_new_tokens ids to `prompt` (which must be non-empty) and returns the new ids.
// on_token(id) is called for each new id; returning false stops generation. The context is cut to
// the model's n_ctx most recent tokens.
std::vector<int32_t> sample(const models::TransformerLM& model, const std::vector<int32_t>& prompt,
                            const SampleOptions& options,
                            const std::function<bool(int32_t)>& on_token = nullptr);

}  // namespace llmkit::train
