// AgentProtocol: how an agent talks to its model about tools. Two implementations:
// native_protocol.h (the model's own tool calling: ChatMessage::tool_calls out, "tool" messages
// back) and react_protocol.h (a ReAct text format: Thought / Action / Action Input /
// Observation / Final Answer). The loop itself is in agent.h.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "llmkit/chain/chat_model.h"
#include "llmkit/chain/tool.h"

namespace llmkit::chain {

// One tool call the model asked for.
struct AgentAction {
  std::string id;  // pairs the observation with the call (native); "" for ReAct
  std::string tool;
  nlohmann::json arguments = nlohmann::json::object();
  // Set when the call itself is malformed (arguments that are not JSON, no tool name): the
  // loop does not run the tool and reports this error as the call's observation.
  std::string error;
};

// What one model reply means. Exactly one of: parse_error non-empty (the reply did not follow
// the protocol), final_answer set, actions non-empty.
struct AgentDecision {
  std::string thought;  // the model's reasoning text, if the protocol has one
  std::vector<AgentAction> actions;
  std::optional<std::string> final_answer;
  std::string parse_error;
};

class AgentProtocol {
 public:
  virtual ~AgentProtocol() = default;
  virtual std::string name() const = 0;
  // The model as the loop calls it (tools offered, stop sequences set, ...).
  virtual ChatModelPtr prepare_model(const ChatModelPtr& model,
                                     const std::vector<ToolPtr>& tools) const = 0;
  // The opening conversation: the input with the protocol's instructions added.
  virtual Messages start(const Messages& input, const std::vector<ToolPtr>& tools) const = 0;
  // Reads one reply of the model.
  virtual AgentDecision parse(const ChatMessage& reply,
                              const std::vector<ToolPtr>& tools) const = 0;
  // Appends the reply and the observations of decision.actions (one per action, in order).
  virtual void add_observations(Messages& conversation, const ChatMessage& reply,
                                const AgentDecision& decision,
                                const std::vector<std::string>& observations) const = 0;
  // Appends the reply and a message telling the model what was wrong and how to reply.
  virtual void add_parse_error(Messages& conversation, const ChatMessage& reply,
                               const std::string& error) const = 0;
};

using AgentProtocolPtr = std::shared_ptr<const AgentProtocol>;

}  // namespace llmkit::chain
