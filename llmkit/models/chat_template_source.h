// Where a model file keeps its chat template (the Jinja source the prompt layer renders):
//   - GGUF: the metadata string tokenizer.chat_template;
//   - a model folder (Hugging Face or llmkit): chat_template.jinja, else the chat_template of
//     tokenizer_config.json: a string, or a list of {name, template} from which "default" is
//     taken (the first entry when none is named so).
// "" when the file has none (callers fall back to a built-in format per architecture).
#pragma once

#include <string>

#include "llmkit/io/gguf.h"

namespace llmkit::models {

std::string chat_template_from_gguf(const io::GgufFile& gguf);
// Throws Error(kCorruptData) naming the file when tokenizer_config.json is not valid JSON or its
// chat_template has the wrong type.
std::string chat_template_from_folder(const std::string& folder);

}  // namespace llmkit::models
