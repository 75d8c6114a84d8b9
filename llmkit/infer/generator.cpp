#include "llmkit/infer/generator.h"

#include <algorithm>

#include "llmkit/base/error.h"
#include "llmkit/base/timer.h"
#include "llmkit/infer/token_generation.h"

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
  LLMKIT_CHECK(!prompt.empty(), "generate: the prompt is empty; give at least one token (BOS)");
  const int64_t free = session.n_ctx() - session.position();
  LLMKIT_CHECK_CODE(static_cast<int64_t>(prompt.size()) <= free, ErrorCode::kOutOfRange,
                    "generate: a prompt of ", prompt.size(), " tokens does not fit the context (",
                    session.position(), " of ", session.n_ctx(),
                    " positions used); shorten it or raise --ctx");
  TokenGeneration gen(session.model(), options, sampler);
  gen.accept_prompt(prompt);
  Timer prefill;
  std::span<const float> logits = session.decode(prompt);
  gen.stats().prefill_seconds = prefill.seconds();
  for (;;) {
    GenerationStep step = gen.next(logits, session.position(), session.n_ctx());
    bool go_on = true;
    if (step.token >= 0) {
      if (on_text) go_on = on_text(step.text, step.token);
      Timer timer;
      logits = session.decode(std::span<const int32_t>(&step.token, 1));
      gen.stats().decode_seconds += timer.seconds();
    }
    if (step.done) break;
    if (!go_on) {
      gen.stop("callback");
      break;
    }
  }
  const std::string rest = gen.finish();
  if (!rest.empty() && on_text) on_text(rest, -1);
  return gen.stats();
}

}  // namespace llmkit::infer
