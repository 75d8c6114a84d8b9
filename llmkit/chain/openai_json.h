// The JSON of the OpenAI chat completions and embeddings APIs (the subset llama.cpp's server,
// Ollama, vLLM and hosted APIs share): request bodies from messages and options, replies and
// streamed chunks back into ChatMessage.
#pragma once

#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "llmkit/chain/chat_model.h"

namespace llmkit::chain::openai {

// [{"role", "content", ["tool_calls"], ["tool_call_id"], ["name"]}, ...]. Assistant tool calls
// become {"id", "type": "function", "function": {"name", "arguments": JSON text}}; an assistant
// message with tool calls and no text has "content": null.
nlohmann::json messages_json(const Messages& messages);

// The body of POST /v1/chat/completions: model, messages, and each set option (temperature,
// max_tokens, seed, stop, tools as [{"type":"function","function":{name,description,parameters}}],
// response_format {"type":"json_schema","json_schema":{"name":"response","schema":...,
// "strict":true}}), "stream" and, when streaming, "stream_options": {"include_usage": true}.
nlohmann::json chat_request(const std::string& model, const Messages& messages,
                            const ChatOptions& options, bool stream);

// The tools in the HF / OpenAI form above (also what chat templates read as `tools`).
nlohmann::json tools_json(const std::vector<ToolSpec>& tools);

struct Usage {
  int64_t prompt_tokens = 0;
  int64_t completion_tokens = 0;
};

// choices[0].message of a non-streamed reply. Throws Error(kCorruptData) naming what is
// missing. Tool call arguments are decoded from their JSON text (kept as a JSON string when the
// text is not JSON).
ChatMessage parse_chat_response(const nlohmann::json& reply, Usage* usage = nullptr);

// Assembles streamed chunks: content deltas in order, tool calls by their "index" (id, name and
// argument text arrive in pieces).
class StreamAssembler {
 public:
  // One parsed "data:" chunk; returns its content delta ("" when none). Records usage if present.
  std::string add(const nlohmann::json& chunk);
  // The whole message (tool call arguments decoded).
  ChatMessage finish() const;
  const Usage& usage() const { return usage_; }
  bool has_usage() const { return has_usage_; }

 private:
  struct PartialCall {
    std::string id, name, arguments;
  };
  std::string content_;
  std::map<int, PartialCall> calls_;
  Usage usage_;
  bool has_usage_ = false;
};

// Body of POST /v1/embeddings and the vectors of its reply (ordered by "index"; Error when the
// count differs from expected).
nlohmann::json embeddings_request(const std::string& model, const std::vector<std::string>& texts);
std::vector<std::vector<float>> parse_embeddings_response(const nlohmann::json& reply,
                                                          size_t expected);

}  // namespace llmkit::chain::openai
