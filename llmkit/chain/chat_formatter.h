// ChatFormatter: chain messages (with tools, tool calls and tool results) -> the token ids a
// local model reads.
//
// Source of the format, first found: an explicit Jinja template source; the model file's own
// chat template (rendered by prompt::ChatTemplate as Hugging Face transformers renders it, with
// bos_token / eos_token = the vocabulary's BOS / EOS pieces); the built-in format of the
// architecture (infer::ChatFormat: gemma, llama3, plain).
//
// Tools, when the template renders them natively (its source uses `tools`): `tools` gets the
// HF list [{"type": "function", "function": {name, description, parameters}}], assistant
// messages carry "tool_calls": [{"id", "type": "function", "function": {"name", "arguments":
// object}}], and tool results are role "tool" messages with "tool_call_id" and "name".
// Otherwise (built-in formats, templates without tools) tools are described in the system
// message in the Hermes style (<tools>...</tools>, answer with <tool_call>{json}</tool_call>),
// assistant tool calls are written as <tool_call> blocks, and tool results become user messages
// "<tool_response>\n{name}: {content}\n</tool_response>".
//
// BOS policy: the rendered text is tokenized with special tokens parsed, BOS first when the
// tokenizer uses one and the text does not start with it. End of an answer: every end id of
// the vocabulary plus the model's EOS, and the format's stop strings. Immutable, thread-safe.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "llmkit/chain/message.h"
#include "llmkit/infer/chat_format.h"
#include "llmkit/infer/model.h"
#include "llmkit/prompt/chat_template.h"

namespace llmkit::chain {

class ChatFormatter {
 public:
  // template_source: "" or Jinja source overriding the model's template. Throws Error naming
  // the template (line:column) when it does not parse; Error(kNotFound) without a tokenizer.
  // template_name names the given template in errors and description() (e.g. its file).
  explicit ChatFormatter(std::shared_ptr<const infer::Model> model,
                         const std::string& template_source = "",
                         const std::string& template_name = "");

  // "template of MODEL", "template NAME" / "template (given)" or "built-in gemma".
  const std::string& description() const { return description_; }
  // True when the Jinja template renders `tools` itself.
  bool native_tools() const { return native_tools_; }

  std::string render(const Messages& messages, const std::vector<ToolSpec>& tools,
                     bool add_generation_prompt = true) const;
  std::vector<int32_t> encode(const Messages& messages, const std::vector<ToolSpec>& tools,
                              bool add_generation_prompt = true) const;
  std::vector<int32_t> stop_tokens() const;
  std::vector<std::string> stop_strings() const;

  // The messages as the non-native path rewrites them (tool descriptions in the system
  // message, tool calls and results as text); roles are then only system/user/assistant.
  static Messages inline_tools(const Messages& messages, const std::vector<ToolSpec>& tools);

 private:
  std::shared_ptr<const infer::Model> model_;
  const tokenizer::Tokenizer& tokenizer_;
  std::unique_ptr<prompt::ChatTemplate> template_;  // null: the built-in format
  std::unique_ptr<infer::ChatFormat> builtin_;
  std::string description_;
  bool native_tools_ = false;
};

}  // namespace llmkit::chain
