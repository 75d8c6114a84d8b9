// generate(): the token loop of one answer. Prefills the prompt into a Session, then samples,
// streams text through a tokenizer::StreamingDecoder (whole UTF-8 characters only) and stops on
// an end-of-generation token, a stop string, max_tokens, a full context or the callback.
//
// Loop (n = tokens generated so far):
//   logits = session.decode(prompt)                          (prefill, timed)
//   repeat: stop "max tokens" if n == max_tokens; stop "context full" if the session is full;
//           stop "grammar" if a grammar is complete and no token can continue it
//           t = sampler.sample(logits); sampler.accept(t)
//           t in stop_tokens -> stop "eos" (t is not emitted and not decoded)
//           emit t's text (see stop strings); logits = session.decode({t})   (decode, timed)
//           stop "stop string" / "callback" when that happened while emitting
// So on return the session holds the prompt and every generated token except an
// end-of-generation token; a chat appends its next turn right after.
//
// Stop strings: no emitted text ever contains one. Text that could be the start of a stop string
// is held back until it cannot be any more; when a stop string completes, only the text before
// it is emitted. The held-back text is emitted at the end when no stop string completed.
//
// Grammar (GenerateOptions::grammar): every generated token keeps the text a prefix of a
// sentence, and the stop tokens are allowed only when the text is a complete sentence. The token
// is drawn from the unconstrained chain first; when the grammar rejects it, it is drawn again
// from the logits with every rejected token masked to -inf (infer/token_constraint.h). For pure
// sampling this is exactly the distribution restricted to the allowed tokens (rejection
// sampling), and it skips the mask in the common case where the first draw is allowed.
//
// Callback: on_text(piece, token) is called once per generated token (piece may be empty while
// text is held back; the concatenation of all pieces is the answer) and, when text is left at
// the end, once more with token -1. Returning false stops generation ("callback"); the return of
// the final call is ignored. May be empty.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "llmkit/infer/sampler.h"
#include "llmkit/infer/session.h"
#include "llmkit/infer/token_constraint.h"

namespace llmkit::infer {

struct GenerateOptions {
  int64_t max_tokens = 128;  // >= -1; -1: until the context is full
  // End-of-generation ids; nullopt: default_stop_tokens(model); empty: none (ignore EOS).
  std::optional<std::vector<int32_t>> stop_tokens;
  std::vector<std::string> stop_strings;  // each non-empty
  SamplerOptions sampler;
  // Output constrained to this grammar (infer/grammar.h); null: unconstrained.
  std::shared_ptr<const Grammar> grammar;
  // The vocabulary's byte trie for the grammar; null: built from the model's tokenizer on each
  // call (share one across generations: building it walks the whole vocabulary).
  std::shared_ptr<const TokenTrie> token_trie;
};

struct GenerateStats {
  int64_t prompt_tokens = 0;
  int64_t generated_tokens = 0;  // not counting an end-of-generation token
  double prefill_seconds = 0.0;  // Session::decode of the prompt
  double decode_seconds = 0.0;   // Session::decode of the generated tokens (not sampling)
  // "eos", "stop string", "max tokens", "context full", "callback", "grammar"
  std::string stop_reason;
  std::vector<int32_t> tokens;  // the generated tokens (without an end-of-generation token)
  std::string text;             // the emitted text (what on_text received)

  double prefill_tokens_per_second() const {
    return prefill_seconds > 0 ? static_cast<double>(prompt_tokens) / prefill_seconds : 0.0;
  }
  double decode_tokens_per_second() const {
    return decode_seconds > 0 ? static_cast<double>(generated_tokens) / decode_seconds : 0.0;
  }
};

using TextCallback = std::function<bool(const std::string& text_piece, int32_t token)>;

// The model's EOS (config and tokenizer) plus the end-of-turn tokens its vocabulary has
// (<end_of_turn>, <|eot_id|>).
std::vector<int32_t> default_stop_tokens(const Model& model);

// Generates after `prompt` (non-empty; position() + prompt size <= n_ctx(), else Error) with a
// Sampler made from options.sampler, which first accepts the prompt tokens (penalties see them,
// as llama.cpp's CLI does). Needs the model's tokenizer. Throws Error for bad options.
GenerateStats generate(Session& session, std::span<const int32_t> prompt,
                       const GenerateOptions& options, const TextCallback& on_text);

// The same with a caller-owned sampler (options.sampler is ignored), e.g. to keep the random
// stream and the penalty history across the turns of a chat. Accepts the prompt tokens too.
GenerateStats generate(Session& session, std::span<const int32_t> prompt,
                       const GenerateOptions& options, Sampler& sampler,
                       const TextCallback& on_text);

}  // namespace llmkit::infer
