#include "llmkit/infer/generator.h"

#include <algorithm>
#include <limits>
#include <optional>

#include "llmkit/base/error.h"
#include "llmkit/base/timer.h"
#include "llmkit/infer/stop_strings.h"

namespace llmkit::infer {

std::vector<int32_t> default_stop_tokens(const Model& model) {
  std::vector<int32_t> ids;
  auto add = [&](int64_t id) {
    if (id >= 0 && id < model.config().n_vocab &&
        std::find(ids.begin(), ids.end(), id) == ids.end()) {
      ids.push_back(static_cast<int32_t>(id));
    }
  };
  add(model.config().eos_id);
  if (const tokenizer::Tokenizer* tok = model.tokenizer()) {
    for (int32_t id : tok->end_ids()) add(id);
  }
  return ids;
}

GenerateStats generate(Session& session, std::span<const int32_t> prompt,
                       const GenerateOptions& options, const TextCallback& on_text) {
  Sampler sampler(options.sampler, session.model().config().n_vocab);
  return generate(session, prompt, options, sampler, on_text);
}

GenerateStats generate(Session& session, std::span<const int32_t> prompt,
                       const GenerateOptions& options, Sampler& sampler,
                       const TextCallback& on_text) {
  LLMKIT_CHECK(options.max_tokens >= -1, "generate: max_tokens must be >= -1 (-1: until the ",
               "context is full), got ", options.max_tokens);
  LLMKIT_CHECK(!prompt.empty(), "generate: the prompt is empty; give at least one token (BOS)");
  LLMKIT_CHECK(sampler.n_vocab() == session.model().config().n_vocab, "generate: the sampler's ",
               "vocabulary (", sampler.n_vocab(), ") is not the model's (",
               session.model().config().n_vocab, ")");
  const int64_t free = session.n_ctx() - session.position();
  LLMKIT_CHECK_CODE(static_cast<int64_t>(prompt.size()) <= free, ErrorCode::kOutOfRange,
                    "generate: a prompt of ", prompt.size(), " tokens does not fit the context (",
                    session.position(), " of ", session.n_ctx(),
                    " positions used); shorten it or raise --ctx");
  const tokenizer::Tokenizer& tok = session.model().require_tokenizer();
  const std::vector<int32_t> stop_tokens =
      options.stop_tokens ? *options.stop_tokens : default_stop_tokens(session.model());
  StopStringFilter filter(options.stop_strings);
  std::optional<TokenConstraint> constraint;
  if (options.grammar) {
    std::shared_ptr<const TokenTrie> trie =
        options.token_trie ? options.token_trie : TokenTrie::build(tok);
    LLMKIT_CHECK(trie->n_vocab() == sampler.n_vocab(), "generate: the grammar's token trie has ",
                 trie->n_vocab(), " tokens, the model ", sampler.n_vocab());
    constraint.emplace(options.grammar, std::move(trie), stop_tokens);
  }
  std::vector<float> masked;  // logits with the grammar's rejected tokens at -inf
  tokenizer::StreamingDecoder decoder(tok);

  GenerateStats stats;
  stats.prompt_tokens = static_cast<int64_t>(prompt.size());
  for (int32_t t : prompt) sampler.accept(t);

  Timer prefill;
  std::span<const float> logits = session.decode(prompt);
  stats.prefill_seconds = prefill.seconds();

  // Hands text to the caller; returns false when the caller wants to stop.
  auto emit = [&](const std::string& piece, int32_t token) {
    stats.text += piece;
    return on_text ? on_text(piece, token) : true;
  };

  for (;;) {
    if (options.max_tokens >= 0 && stats.generated_tokens >= options.max_tokens) {
      stats.stop_reason = "max tokens";
      break;
    }
    if (session.position() >= session.n_ctx()) {
      stats.stop_reason = "context full";
      break;
    }
    int32_t token = -1;
    if (constraint) {
      if (constraint->finished()) {
        stats.stop_reason = "grammar";
        break;
      }
      token = sampler.sample(logits);
      if (!constraint->allows(token)) {
        masked.assign(logits.begin(), logits.end());
        constraint->apply(masked);
        LLMKIT_CHECK(
            std::any_of(masked.begin(), masked.end(),
                        [](float x) { return x != -std::numeric_limits<float>::infinity(); }),
            "generate: no token of the vocabulary can continue the grammar here (text so "
            "far: '",
            stats.text,
            "'); check that the grammar's characters are ones the "
            "vocabulary can spell");
        token = sampler.sample(masked);
      }
      constraint->accept(token);
    } else {
      token = sampler.sample(logits);
    }
    sampler.accept(token);
    if (std::find(stop_tokens.begin(), stop_tokens.end(), token) != stop_tokens.end()) {
      stats.stop_reason = "eos";
      break;
    }
    ++stats.generated_tokens;
    stats.tokens.push_back(token);
    const std::string piece = filter.push(decoder.push(token));
    const bool go_on = emit(piece, token);
    Timer step;
    logits = session.decode(std::span<const int32_t>(&token, 1));
    stats.decode_seconds += step.seconds();
    if (filter.stopped()) {
      stats.stop_reason = "stop string";
      break;
    }
    if (!go_on) {
      stats.stop_reason = "callback";
      break;
    }
  }

  // Whatever the decoder and the filter still hold (an incomplete character, a possible start of
  // a stop string) belongs to the answer unless a stop string completed.
  if (!filter.stopped()) {
    std::string rest = filter.push(decoder.flush());
    rest += filter.flush();
    if (!rest.empty()) emit(rest, -1);
  }
  return stats;
}

}  // namespace llmkit::infer
