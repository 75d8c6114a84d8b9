// Chat messages and tool specifications exchanged between chains, chat models and agents.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace llmkit::chain {

// One call of a tool requested by an assistant message. `id` pairs it with the "tool" message
// answering it ("" when the model's format has no ids; implementations then invent one).
struct ToolCall {
  std::string id;
  std::string name;
  nlohmann::json arguments = nlohmann::json::object();

  bool operator==(const ToolCall&) const = default;
};

struct ChatMessage {
  std::string role;  // "system", "user", "assistant", "tool"
  std::string content;
  std::vector<ToolCall> tool_calls;  // assistant messages that call tools
  std::string tool_call_id;          // role "tool": the call answered
  std::string name;                  // role "tool": the tool's name

  bool operator==(const ChatMessage&) const = default;
};

using Messages = std::vector<ChatMessage>;

// A tool offered to a model: `parameters` is a JSON schema object describing the arguments.
struct ToolSpec {
  std::string name, description;
  nlohmann::json parameters;
};

// Convenience constructors.
inline ChatMessage system_message(std::string content) {
  return {"system", std::move(content), {}, {}, {}};
}
inline ChatMessage user_message(std::string content) {
  return {"user", std::move(content), {}, {}, {}};
}
inline ChatMessage assistant_message(std::string content, std::vector<ToolCall> calls = {}) {
  return {"assistant", std::move(content), std::move(calls), {}, {}};
}
inline ChatMessage tool_message(std::string content, std::string tool_call_id, std::string name) {
  return {"tool", std::move(content), {}, std::move(tool_call_id), std::move(name)};
}

// JSON form (traces, persistence): {"role", "content", ["tool_calls": [{"id", "name",
// "arguments"}]], ["tool_call_id"], ["name"]}; optional members are written only when set.
inline void to_json(nlohmann::json& j, const ToolCall& c) {
  j = {{"id", c.id}, {"name", c.name}, {"arguments", c.arguments}};
}
inline void from_json(const nlohmann::json& j, ToolCall& c) {
  c.id = j.value("id", "");
  c.name = j.at("name").get<std::string>();
  c.arguments = j.value("arguments", nlohmann::json::object());
}
inline void to_json(nlohmann::json& j, const ChatMessage& m) {
  j = {{"role", m.role}, {"content", m.content}};
  if (!m.tool_calls.empty()) j["tool_calls"] = m.tool_calls;
  if (!m.tool_call_id.empty()) j["tool_call_id"] = m.tool_call_id;
  if (!m.name.empty()) j["name"] = m.name;
}
inline void from_json(const nlohmann::json& j, ChatMessage& m) {
  m.role = j.at("role").get<std::string>();
  m.content =
      j.contains("content") && j["content"].is_string() ? j["content"].get<std::string>() : "";
  m.tool_calls = j.value("tool_calls", std::vector<ToolCall>{});
  m.tool_call_id = j.value("tool_call_id", "");
  m.name = j.value("name", "");
}

}  // namespace llmkit::chain
