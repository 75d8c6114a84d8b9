// ChatPrompt: a conversation -> the token ids a model reads, for `chat` and `generate --chat`.
//
// Source of the format, first found:
//   1. --chat-template FILE (Jinja source);
//   2. the model file's own chat template (GGUF tokenizer.chat_template, a folder's
//      chat_template.jinja or tokenizer_config.json), rendered by prompt::ChatTemplate as Hugging
//      Face transformers renders it (bos_token / eos_token = the vocabulary's BOS / EOS pieces);
//   3. the built-in format of the architecture (infer::ChatFormat: gemma, llama3, plain).
//
// BOS policy (one for every source): the rendered text is tokenized with special tokens parsed,
// and BOS is put first when the tokenizer asks for one (Tokenizer::uses_bos) and the text does
// not already begin with it; so a template that writes {{ bos_token }} never gets two.
// End of an answer: every end id of the vocabulary (Tokenizer::end_ids: EOS, <end_of_turn>,
// <|eot_id|>, <|im_end|>, ...) plus the model's configured EOS, and the format's stop strings.
//
// Holds a reference to the model, which must outlive it.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "llmkit/infer/chat_format.h"
#include "llmkit/infer/model.h"
#include "llmkit/prompt/chat_template.h"

namespace llmkit::cli {

class ChatPrompt {
 public:
  // template_file: "" or a Jinja file that overrides the model's template. Throws Error naming
  // the template (and line:column) when it does not parse.
  ChatPrompt(const infer::Model& model, const std::string& template_file = "");

  // "template of MODEL", "template FILE" or "built-in gemma" (for the chat banner).
  const std::string& description() const { return description_; }
  // The conversation as text and as ids (see the BOS policy above). Messages: role + content.
  std::string render(const std::vector<infer::ChatMessage>& messages,
                     bool add_generation_prompt) const;
  std::vector<int32_t> encode(const std::vector<infer::ChatMessage>& messages,
                              bool add_generation_prompt) const;
  std::vector<int32_t> stop_tokens() const;
  std::vector<std::string> stop_strings() const;

 private:
  const infer::Model& model_;
  const tokenizer::Tokenizer& tokenizer_;
  std::unique_ptr<prompt::ChatTemplate> template_;  // null: the built-in format
  std::unique_ptr<infer::ChatFormat> builtin_;
  std::string description_;
};

}  // namespace llmkit::cli
