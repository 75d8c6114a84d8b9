#include "llmkit/chain/prompt_runnables.h"

#include "llmkit/base/error.h"

namespace llmkit::chain {

prompt::Values template_values(const nlohmann::json& input) {
  LLMKIT_CHECK(input.is_object(), "prompt input must be a JSON object of variable values, got ",
               input.type_name());
  prompt::Values values;
  for (const auto& [key, value] : input.items()) {
    if (value.is_array()) continue;
    values[key] = value.is_string() ? value.get<std::string>() : value.dump();
  }
  return values;
}

Messages ChatPromptRunnable::invoke_impl(const nlohmann::json& input, RunContext&) const {
  const prompt::Values values = template_values(input);
  prompt::Histories histories;
  for (const std::string& slot : prompt_.history_names()) {
    if (!input.contains(slot)) continue;
    const nlohmann::json& history = input.at(slot);
    LLMKIT_CHECK(history.is_array(), "history '", slot,
                 "' must be an array of {\"role\", \"content\"} messages");
    std::vector<prompt::Message>& out = histories[slot];
    for (const nlohmann::json& m : history) {
      LLMKIT_CHECK(m.is_object() && m.contains("role") && m.contains("content"), "history '", slot,
                   "': each message needs \"role\" and \"content\"");
      out.push_back({m.at("role").get<std::string>(), m.at("content").get<std::string>()});
    }
  }
  Messages messages;
  for (const prompt::Message& m : prompt_.format_messages(values, histories)) {
    messages.push_back({m.role, m.content, {}, {}, {}});
  }
  return messages;
}

std::string TextPromptRunnable::invoke_impl(const nlohmann::json& input, RunContext&) const {
  return prompt_.format(template_values(input));
}

nlohmann::json JsonOutputRunnable::invoke_impl(const std::string& input, RunContext&) const {
  return parser_.parse(input);
}

}  // namespace llmkit::chain
