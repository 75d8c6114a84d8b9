// One chat message as prompt templates produce it: a role ("system", "user", "assistant", or any
// other role string a chat format knows, such as "tool") and its text.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace llmkit::prompt {

struct Message {
  std::string role;
  std::string content;

  bool operator==(const Message&) const = default;
};

// [{"role": ..., "content": ...}, ...] in order: the form a chat template's `messages` takes
// (ChatInputs::messages in chat_template.h).
inline nlohmann::ordered_json messages_to_json(const std::vector<Message>& messages) {
  nlohmann::ordered_json out = nlohmann::ordered_json::array();
  for (const auto& m : messages) out.push_back({{"role", m.role}, {"content", m.content}});
  return out;
}

}  // namespace llmkit::prompt
