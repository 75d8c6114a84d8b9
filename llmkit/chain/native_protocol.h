// The native tool-calling protocol: the tools' specs go to the model in ChatOptions::tools (the
// chat template or the server renders them in the model's own format), the model answers with
// ChatMessage::tool_calls, and each observation goes back as a "tool" message carrying the
// call's id and the tool's name. A reply without tool calls is the final answer.
//
// Recovery: a call whose arguments are a string that is not JSON, or that has no name, is
// answered with an error observation in its tool message; an empty reply (no text, no calls)
// is a parse error answered with a user message asking for an answer or a tool call.
#pragma once

#include "llmkit/chain/agent_protocol.h"

namespace llmkit::chain {

struct NativeProtocolOptions {
  // Also read tool calls written as text in the reply's content (Qwen/Hermes <tool_call>,
  // Llama 3.1 JSON; tool_call_parser.h) when the model returned no structured tool_calls.
  bool parse_text_tool_calls = true;
  std::string system_prompt;  // added as a system message when not empty
};

class NativeToolProtocol : public AgentProtocol {
 public:
  explicit NativeToolProtocol(NativeProtocolOptions options = {}) : options_(std::move(options)) {}
  std::string name() const override { return "native"; }
  ChatModelPtr prepare_model(const ChatModelPtr& model,
                             const std::vector<ToolPtr>& tools) const override;
  Messages start(const Messages& input, const std::vector<ToolPtr>& tools) const override;
  AgentDecision parse(const ChatMessage& reply, const std::vector<ToolPtr>& tools) const override;
  void add_observations(Messages& conversation, const ChatMessage& reply,
                        const AgentDecision& decision,
                        const std::vector<std::string>& observations) const override;
  void add_parse_error(Messages& conversation, const ChatMessage& reply,
                       const std::string& error) const override;

 private:
  NativeProtocolOptions options_;
};

}  // namespace llmkit::chain
