// Chat templates: the Jinja template a model ships (GGUF `tokenizer.chat_template`, Hugging Face
// `tokenizer_config.json` "chat_template") that turns a conversation into the prompt text, rendered
// as Hugging Face transformers' apply_chat_template renders it: jinja2's
// ImmutableSandboxedEnvironment with trim_blocks and lstrip_blocks, loop controls, the globals
// raise_exception(message) and strftime_now(format), and a tojson that keeps non-ASCII text.
//
// The variables: messages, tools (None when not given, as transformers passes it), documents
// (None), add_generation_prompt, bos_token and eos_token (only when non-empty, as transformers
// passes only the special tokens a tokenizer has), then every member of `extra` (overriding the
// others; e.g. enable_thinking for Qwen 3).
#pragma once

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "llmkit/prompt/jinja_template.h"

namespace llmkit::prompt {

struct ChatInputs {
  // [{"role": ..., "content": ...}, ...] with any other fields a template reads (tool_calls,
  // reasoning_content, ...). ordered_json keeps members in their given order, which tojson shows.
  nlohmann::ordered_json messages = nlohmann::ordered_json::array();
  nlohmann::ordered_json tools = nullptr;  // list of tool (function) schemas, or null
  bool add_generation_prompt = true;
  std::string bos_token;
  std::string eos_token;
  nlohmann::ordered_json extra = nlohmann::ordered_json::object();
};

class ChatTemplate {
 public:
  // Parses the template; a syntax error throws llmkit::Error(kInvalidArgument)
  // "<name>:<line>:<column>: <what>". `now`: the clock of strftime_now (null: the system clock).
  explicit ChatTemplate(std::string source, std::string name = "chat template",
                        std::function<std::chrono::system_clock::time_point()> now = nullptr);

  // The prompt text. Runtime errors (including the template's own raise_exception) throw
  // llmkit::Error(kInvalidArgument) with the position. Thread-safe.
  std::string render(const ChatInputs& inputs) const;

  const std::string& source() const { return template_.source(); }

 private:
  JinjaTemplate template_;
};

// The chat template named `name` in a tokenizer_config.json: "chat_template" is either the
// template text (the "default" one) or a list of {"name", "template"} objects (or an object mapping
// names to templates). nullopt when there is none by that name.
std::optional<std::string> chat_template_from_tokenizer_config(const nlohmann::json& config,
                                                               std::string_view name = "default");

// A special token of a tokenizer_config.json ("bos_token", "eos_token"): a string, or an AddedToken
// object whose "content" is the text; "" when absent or null.
std::string special_token_from_tokenizer_config(const nlohmann::json& config, std::string_view key);

}  // namespace llmkit::prompt
