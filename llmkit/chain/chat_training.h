// A conversation as training data for supervised fine-tuning: its token ids as the model's chat
// format renders it (ChatFormatter) and a mask of the tokens the model should learn to produce.
//
// Mask: for each assistant message k, the tokens between the rendering of messages[0..k) with the
// generation prompt (what the model is shown before answering) and the rendering of
// messages[0..k] without it, cut after the first end-of-turn token (ChatFormatter::stop_tokens())
// in that range: the answer and its end-of-turn marker, not the newline a format writes after it.
// Ranges are found by the longest common token prefix with the whole conversation's ids, so a
// format whose text tokenizes differently across the turn boundary only moves the start to where
// the tokens first differ (that token is then trained too).
#pragma once

#include <cstdint>
#include <vector>

#include "llmkit/chain/chat_formatter.h"
#include "llmkit/chain/message.h"

namespace llmkit::chain {

struct MaskedConversation {
  std::vector<int32_t> ids;   // the whole conversation, add_generation_prompt = false
  std::vector<uint8_t> mask;  // mask[i] = 1: ids[i] belongs to an assistant answer
};

// Throws Error(kInvalidArgument) when the conversation has no assistant message.
MaskedConversation render_for_training(const ChatFormatter& formatter, const Messages& messages);

// The built-in gemma format (infer::ChatFormat, ChatStyle::kGemma) as a Jinja chat template that
// renders the same text, for a fine-tuned model's folder so an exported GGUF carries its format.
const char* gemma_chat_template();

}  // namespace llmkit::chain
