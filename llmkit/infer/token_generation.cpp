#include "llmkit/infer/token_generation.h"

#include <algorithm>
#include <limits>
#include <utility>

#include "llmkit/base/error.h"

namespace llmkit::infer {

TokenGeneration::TokenGeneration(const Model& model, const GenerateOptions& options,
                                 Sampler& sampler)
    : options_(options),
      sampler_(sampler),
      stop_tokens_(options.stop_tokens ? *options.stop_tokens : default_stop_tokens(model)),
      filter_(options.stop_strings),
      decoder_(model.require_tokenizer()) {
  LLMKIT_CHECK(options.max_tokens >= -1, "generate: max_tokens must be >= -1 (-1: until the ",
               "context is full), got ", options.max_tokens);
  LLMKIT_CHECK(sampler.n_vocab() == model.config().n_vocab, "generate: the sampler's ",
               "vocabulary (", sampler.n_vocab(), ") is not the model's (", model.config().n_vocab,
               ")");
  if (options.grammar) {
    std::shared_ptr<const TokenTrie> trie =
        options.token_trie ? options.token_trie : TokenTrie::build(model.require_tokenizer());
    LLMKIT_CHECK(trie->n_vocab() == sampler.n_vocab(), "generate: the grammar's token trie has ",
                 trie->n_vocab(), " tokens, the model ", sampler.n_vocab());
    constraint_.emplace(options.grammar, std::move(trie), stop_tokens_);
  }
}

void TokenGeneration::accept_prompt(std::span<const int32_t> prompt) {
  for (int32_t t : prompt) sampler_.accept(t);
  stats_.prompt_tokens += static_cast<int64_t>(prompt.size());
}

GenerationStep TokenGeneration::next(std::span<const float> logits, int64_t position,
                                     int64_t n_ctx) {
  GenerationStep step;
  LLMKIT_CHECK(!done(), "TokenGeneration::next: the generation is over (", stats_.stop_reason, ")");
  auto finish_with = [&](const char* reason) {
    stats_.stop_reason = reason;
    step.done = true;
    return step;
  };
  if (options_.max_tokens >= 0 && stats_.generated_tokens >= options_.max_tokens) {
    return finish_with("max tokens");
  }
  if (position >= n_ctx) return finish_with("context full");
  int32_t token = -1;
  if (constraint_) {
    if (constraint_->finished()) return finish_with("grammar");
    token = sampler_.sample(logits);
    if (!constraint_->allows(token)) {
      masked_.assign(logits.begin(), logits.end());
      constraint_->apply(masked_);
      LLMKIT_CHECK(
          std::any_of(masked_.begin(), masked_.end(),
                      [](float x) { return x != -std::numeric_limits<float>::infinity(); }),
          "generate: no token of the vocabulary can continue the grammar here (text so far: '",
          stats_.text, "'); check that the grammar's characters are ones the vocabulary can spell");
      token = sampler_.sample(masked_);
    }
    constraint_->accept(token);
  } else {
    token = sampler_.sample(logits);
  }
  sampler_.accept(token);
  if (std::find(stop_tokens_.begin(), stop_tokens_.end(), token) != stop_tokens_.end()) {
    return finish_with("eos");
  }
  ++stats_.generated_tokens;
  stats_.tokens.push_back(token);
  step.token = token;
  step.text = filter_.push(decoder_.push(token));
  stats_.text += step.text;
  if (filter_.stopped()) return finish_with("stop string");
  return step;
}

void TokenGeneration::stop(std::string reason) {
  if (!done()) stats_.stop_reason = std::move(reason);
}

std::string TokenGeneration::finish() {
  // Whatever the decoder and the filter still hold (an incomplete character, a possible start of
  // a stop string) belongs to the answer unless a stop string completed.
  if (filter_.stopped()) return "";
  std::string rest = filter_.push(decoder_.flush());
  rest += filter_.flush();
  stats_.text += rest;
  return rest;
}

}  // namespace llmkit::infer
