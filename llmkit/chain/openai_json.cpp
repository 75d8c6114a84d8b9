#include "llmkit/chain/openai_json.h"

#include <algorithm>

#include "llmkit/base/error.h"

namespace llmkit::chain::openai {
namespace {

nlohmann::json decode_arguments(const std::string& text) {
  if (text.empty()) return nlohmann::json::object();
  nlohmann::json j = nlohmann::json::parse(text, nullptr, false);
  return j.is_discarded() ? nlohmann::json(text) : j;
}

std::string excerpt(const nlohmann::json& j) {
  std::string s = j.dump();
  return s.size() > 300 ? s.substr(0, 300) + "..." : s;
}

}  // namespace

nlohmann::json messages_json(const Messages& messages) {
  nlohmann::json out = nlohmann::json::array();
  for (const ChatMessage& m : messages) {
    nlohmann::json j = {{"role", m.role}, {"content", m.content}};
    if (!m.tool_calls.empty()) {
      nlohmann::json calls = nlohmann::json::array();
      for (const ToolCall& c : m.tool_calls) {
        calls.push_back({{"id", c.id},
                         {"type", "function"},
                         {"function", {{"name", c.name}, {"arguments", c.arguments.dump()}}}});
      }
      j["tool_calls"] = calls;
      if (m.content.empty()) j["content"] = nullptr;
    }
    if (!m.tool_call_id.empty()) j["tool_call_id"] = m.tool_call_id;
    if (!m.name.empty()) j["name"] = m.name;
    out.push_back(std::move(j));
  }
  return out;
}

nlohmann::json tools_json(const std::vector<ToolSpec>& tools) {
  nlohmann::json out = nlohmann::json::array();
  for (const ToolSpec& t : tools) {
    nlohmann::json params =
        t.parameters.is_null()
            ? nlohmann::json{{"type", "object"}, {"properties", nlohmann::json::object()}}
            : t.parameters;
    out.push_back(
        {{"type", "function"},
         {"function", {{"name", t.name}, {"description", t.description}, {"parameters", params}}}});
  }
  return out;
}

nlohmann::json chat_request(const std::string& model, const Messages& messages,
                            const ChatOptions& options, bool stream) {
  nlohmann::json body = {{"model", model}, {"messages", messages_json(messages)}};
  if (options.temperature) body["temperature"] = *options.temperature;
  if (options.max_tokens) body["max_tokens"] = *options.max_tokens;
  if (options.seed) body["seed"] = *options.seed;
  if (!options.stop.empty()) body["stop"] = options.stop;
  if (!options.tools.empty()) body["tools"] = tools_json(options.tools);
  if (options.json_schema) {
    body["response_format"] = {
        {"type", "json_schema"},
        {"json_schema",
         {{"name", "response"}, {"schema", *options.json_schema}, {"strict", true}}}};
  }
  body["stream"] = stream;
  if (stream) body["stream_options"] = {{"include_usage", true}};
  return body;
}

ChatMessage parse_chat_response(const nlohmann::json& reply, Usage* usage) {
  LLMKIT_CHECK_CODE(
      reply.is_object() && reply.contains("choices") && reply["choices"].is_array() &&
          !reply["choices"].empty() && reply["choices"][0].is_object() &&
          reply["choices"][0].contains("message") && reply["choices"][0]["message"].is_object(),
      ErrorCode::kCorruptData, "chat completion reply has no choices[0].message: ", excerpt(reply));
  const nlohmann::json& m = reply["choices"][0]["message"];
  ChatMessage out;
  out.role = m.value("role", "assistant");
  if (m.contains("content") && m["content"].is_string()) out.content = m["content"];
  if (m.contains("tool_calls") && m["tool_calls"].is_array()) {
    for (const auto& c : m["tool_calls"]) {
      LLMKIT_CHECK_CODE(c.is_object() && c.contains("function") && c["function"].is_object() &&
                            c["function"].contains("name") && c["function"]["name"].is_string(),
                        ErrorCode::kCorruptData,
                        "chat completion tool call without function.name: ", excerpt(c));
      ToolCall call;
      call.id = c.value("id", "");
      call.name = c["function"]["name"];
      const auto& args = c["function"].value("arguments", nlohmann::json());
      call.arguments = args.is_string() ? decode_arguments(args.get<std::string>())
                       : args.is_null() ? nlohmann::json::object()
                                        : args;
      out.tool_calls.push_back(std::move(call));
    }
  }
  if (usage && reply.contains("usage") && reply["usage"].is_object()) {
    usage->prompt_tokens = reply["usage"].value("prompt_tokens", int64_t{0});
    usage->completion_tokens = reply["usage"].value("completion_tokens", int64_t{0});
  }
  return out;
}

std::string StreamAssembler::add(const nlohmann::json& chunk) {
  LLMKIT_CHECK_CODE(chunk.is_object(), ErrorCode::kCorruptData,
                    "chat completion stream chunk is not a JSON object: ", excerpt(chunk));
  if (chunk.contains("usage") && chunk["usage"].is_object()) {
    usage_.prompt_tokens = chunk["usage"].value("prompt_tokens", int64_t{0});
    usage_.completion_tokens = chunk["usage"].value("completion_tokens", int64_t{0});
    has_usage_ = true;
  }
  if (chunk.contains("error")) {
    throw_error(ErrorCode::kIo, "chat completion stream reported an error: " + excerpt(chunk));
  }
  if (!chunk.contains("choices") || !chunk["choices"].is_array() || chunk["choices"].empty()) {
    return "";
  }
  const nlohmann::json& choice = chunk["choices"][0];
  if (!choice.contains("delta") || !choice["delta"].is_object()) return "";
  const nlohmann::json& delta = choice["delta"];
  std::string text;
  if (delta.contains("content") && delta["content"].is_string()) text = delta["content"];
  content_ += text;
  if (delta.contains("tool_calls") && delta["tool_calls"].is_array()) {
    for (const auto& c : delta["tool_calls"]) {
      int index = c.value("index", static_cast<int>(calls_.size()));
      PartialCall& p = calls_[index];
      if (c.contains("id") && c["id"].is_string()) p.id += c["id"].get<std::string>();
      if (c.contains("function") && c["function"].is_object()) {
        const auto& f = c["function"];
        if (f.contains("name") && f["name"].is_string()) p.name += f["name"].get<std::string>();
        if (f.contains("arguments") && f["arguments"].is_string())
          p.arguments += f["arguments"].get<std::string>();
      }
    }
  }
  return text;
}

ChatMessage StreamAssembler::finish() const {
  ChatMessage out{"assistant", content_, {}, {}, {}};
  for (const auto& [index, p] : calls_) {
    out.tool_calls.push_back({p.id, p.name, decode_arguments(p.arguments)});
  }
  return out;
}

nlohmann::json embeddings_request(const std::string& model, const std::vector<std::string>& texts) {
  return {{"model", model}, {"input", texts}, {"encoding_format", "float"}};
}

std::vector<std::vector<float>> parse_embeddings_response(const nlohmann::json& reply,
                                                          size_t expected) {
  LLMKIT_CHECK_CODE(reply.is_object() && reply.contains("data") && reply["data"].is_array(),
                    ErrorCode::kCorruptData,
                    "embeddings reply has no data array: ", excerpt(reply));
  const auto& data = reply["data"];
  LLMKIT_CHECK_CODE(data.size() == expected, ErrorCode::kCorruptData, "embeddings reply has ",
                    data.size(), " vectors for ", expected, " inputs");
  std::vector<std::vector<float>> out(expected);
  std::vector<bool> seen(expected, false);
  for (size_t k = 0; k < data.size(); ++k) {
    const auto& item = data[k];
    LLMKIT_CHECK_CODE(
        item.is_object() && item.contains("embedding") && item["embedding"].is_array(),
        ErrorCode::kCorruptData, "embeddings reply item ", k, " has no embedding");
    size_t index = item.value("index", k);
    LLMKIT_CHECK_CODE(index < expected && !seen[index], ErrorCode::kCorruptData,
                      "embeddings reply has a bad or repeated index ", index);
    seen[index] = true;
    out[index] = item["embedding"].get<std::vector<float>>();
  }
  return out;
}

}  // namespace llmkit::chain::openai
