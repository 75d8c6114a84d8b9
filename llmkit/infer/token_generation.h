// TokenGeneration: the per-token logic of generate() (generator.h) without the forward pass:
// sampling (with the grammar), end-of-generation tokens, max_tokens, a full context, stop strings
// and streamed text. generate() runs on it; so do callers that decode several generations in one
// batched step (the server's slots, infer/batch_decoder.h).
//
// Protocol, per generation (prompt already decoded, logits = its last token's):
//   TokenGeneration g(model, options, sampler);  g.accept_prompt(prompt);
//   loop: GenerationStep s = g.next(logits, session.position(), session.n_ctx());
//         if s.token >= 0: hand s.text on, decode s.token (also when s.done, so the session holds
//                          every generated token, as generate() leaves it), logits = its logits
//         if s.done: break;   (a caller that stops early calls g.stop(reason) instead)
//   text left = g.finish()   ("" after a stop string)
// Not thread-safe; the model, options' grammar/trie and sampler must outlive it.
#pragma once
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "llmkit/infer/generator.h"
#include "llmkit/infer/stop_strings.h"
#include "llmkit/infer/token_constraint.h"
#include "llmkit/tokenizer/tokenizer.h"

namespace llmkit::infer {

struct GenerationStep {
  int32_t token = -1;  // the sampled token to decode next; -1 when none (stopped before it)
  std::string text;    // the text this token releases (may be empty while text is held back)
  bool done = false;   // generation is over (stats().stop_reason says why)
};

class TokenGeneration {
 public:
  // Throws Error for bad options (max_tokens < -1, a grammar trie of another vocabulary, empty stop
  // strings) or a model without a tokenizer.
  TokenGeneration(const Model& model, const GenerateOptions& options, Sampler& sampler);

  // Feeds the prompt's tokens to the sampler's history (penalties see them) and counts them.
  void accept_prompt(std::span<const int32_t> prompt);
  // One step from the logits [V] of the last decoded token; position / n_ctx are the session's.
  GenerationStep next(std::span<const float> logits, int64_t position, int64_t n_ctx);
  // Ends the generation for the caller's reason ("callback", "cancelled", ...).
  void stop(std::string reason);
  // The held-back text once the generation is over ("" when a stop string completed); appended to
  // stats().text.
  std::string finish();

  bool done() const { return !stats_.stop_reason.empty(); }
  GenerateStats& stats() { return stats_; }
  const GenerateStats& stats() const { return stats_; }

 private:
  const GenerateOptions& options_;
  Sampler& sampler_;
  std::vector<int32_t> stop_tokens_;
  StopStringFilter filter_;
  std::optional<TokenConstraint> constraint_;
  tokenizer::StreamingDecoder decoder_;
  std::vector<float> masked_;  // logits with the grammar's rejected tokens at -inf
  GenerateStats stats_;
};

}  // namespace llmkit::infer
