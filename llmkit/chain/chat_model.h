// The chat model and embeddings interfaces every model backend implements (local engine,
// OpenAI-compatible HTTP client, scripted fakes in tests).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "llmkit/chain/message.h"
#include "llmkit/chain/runnable.h"

namespace llmkit::chain {

// Generation options. Unset fields mean "the backend's default".
struct ChatOptions {
  std::optional<float> temperature;
  std::optional<int64_t> max_tokens;
  std::optional<uint64_t> seed;
  std::vector<std::string> stop;
  std::vector<ToolSpec> tools;                // offered to the model (native tool calling)
  std::optional<nlohmann::json> json_schema;  // structured output: constrained locally,
                                              // response_format remotely
};

// A chat model is a Runnable from messages to one assistant message; stream chunks are
// assistant messages carrying a content delta (tool calls arrive complete, in the last chunk).
class ChatModel : public Runnable<Messages, ChatMessage> {
 public:
  // Options bound for every call (a copy with other options).
  virtual std::shared_ptr<const ChatModel> with_options(const ChatOptions& options) const = 0;
  virtual const ChatOptions& options() const = 0;
};

// Stream chunks of a chat model combine by concatenating content and appending tool calls (the
// first chunk's role is kept).
template <>
struct ChunkTraits<ChatMessage> {
  static void append(ChatMessage& acc, const ChatMessage& chunk) {
    acc.content += chunk.content;
    acc.tool_calls.insert(acc.tool_calls.end(), chunk.tool_calls.begin(), chunk.tool_calls.end());
    if (acc.role.empty()) acc.role = chunk.role;
  }
};

using ChatModelPtr = std::shared_ptr<const ChatModel>;

// Text embeddings: one vector of dim() floats per text, in input order.
class Embeddings {
 public:
  virtual ~Embeddings() = default;
  virtual std::vector<std::vector<float>> embed(const std::vector<std::string>& texts) const = 0;
  virtual int dim() const = 0;
};

}  // namespace llmkit::chain
