#include "llmkit/prompt/chat_template.h"

#include "llmkit/base/error.h"

namespace llmkit::prompt {
namespace {

JinjaOptions hugging_face_options(std::function<std::chrono::system_clock::time_point()> now) {
  JinjaOptions options;
  options.trim_blocks = true;
  options.lstrip_blocks = true;
  options.now = std::move(now);
  return options;
}

}  // namespace

ChatTemplate::ChatTemplate(std::string source, std::string name,
                           std::function<std::chrono::system_clock::time_point()> now)
    : template_(std::move(source), std::move(name), hugging_face_options(std::move(now))) {}

std::string ChatTemplate::render(const ChatInputs& inputs) const {
  LLMKIT_CHECK(inputs.messages.is_array(), template_.name(),
               ": messages must be a JSON array of {role, content} objects");
  LLMKIT_CHECK(inputs.tools.is_null() || inputs.tools.is_array(), template_.name(),
               ": tools must be a JSON array of tool schemas or null");
  LLMKIT_CHECK(inputs.extra.is_object(), template_.name(),
               ": extra variables must be a JSON object");
  nlohmann::ordered_json context = nlohmann::ordered_json::object();
  context["messages"] = inputs.messages;
  context["tools"] = inputs.tools;
  context["documents"] = nullptr;
  context["add_generation_prompt"] = inputs.add_generation_prompt;
  if (!inputs.bos_token.empty()) context["bos_token"] = inputs.bos_token;
  if (!inputs.eos_token.empty()) context["eos_token"] = inputs.eos_token;
  for (auto it = inputs.extra.begin(); it != inputs.extra.end(); ++it)
    context[it.key()] = it.value();
  return template_.render(context);
}

std::optional<std::string> chat_template_from_tokenizer_config(const nlohmann::json& config,
                                                               std::string_view name) {
  if (!config.is_object() || !config.contains("chat_template")) return std::nullopt;
  const nlohmann::json& t = config["chat_template"];
  if (t.is_string()) {
    if (name == "default") return t.get<std::string>();
    return std::nullopt;
  }
  if (t.is_array()) {
    for (const auto& entry : t) {
      if (entry.is_object() && entry.value("name", "") == name && entry.contains("template") &&
          entry["template"].is_string()) {
        return entry["template"].get<std::string>();
      }
    }
    return std::nullopt;
  }
  if (t.is_object()) {
    auto it = t.find(std::string(name));
    if (it != t.end() && it->is_string()) return it->get<std::string>();
    return std::nullopt;
  }
  LLMKIT_CHECK(t.is_null(),
               "tokenizer_config.json: chat_template must be a string or a list of "
               "{name, template} objects, got ",
               t.type_name());
  return std::nullopt;
}

std::string special_token_from_tokenizer_config(const nlohmann::json& config,
                                                std::string_view key) {
  if (!config.is_object()) return "";
  auto it = config.find(std::string(key));
  if (it == config.end() || it->is_null()) return "";
  if (it->is_string()) return it->get<std::string>();
  if (it->is_object() && it->contains("content") && (*it)["content"].is_string()) {
    return (*it)["content"].get<std::string>();
  }
  throw_error(ErrorCode::kInvalidArgument,
              str_cat("tokenizer_config.json: ", key,
                      " must be a string or an AddedToken object with \"content\""));
}

}  // namespace llmkit::prompt
