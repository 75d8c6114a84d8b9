// The ReAct text protocol: a system prompt lists the tools (name, description, JSON schema of the
// arguments) and the reply format; the model writes
//
//   Thought: <reasoning>
//   Action: <tool name>
//   Action Input: <the arguments as one JSON object>
//
// and gets back a user message "Observation: <result>", until it writes
//
//   Thought: <reasoning>
//   Final Answer: <answer>
//
// Parsing (parse_react_reply): keywords are matched at the start of a line, ignoring case and
// leading spaces/markdown emphasis; whichever of "Action:" and "Final Answer:" comes first
// decides; text after an "Observation:" line the model wrote itself is ignored (it cannot have
// seen the result). The Action Input may span lines and sit in a ``` fence; when it is not JSON
// and the tool has exactly one parameter, of type string, the text is taken as that parameter.
// Anything else that does not follow the format is a parse error; the loop re-prompts with it.
#pragma once

#include "llmkit/chain/agent_protocol.h"

namespace llmkit::chain {

struct ReactProtocolOptions {
  // Text before the tool list in the system prompt.
  std::string preamble =
      "Answer the user's question as well as you can, using tools when they help.";
  // Stop sequences added to the model's options, so it does not invent observations.
  std::vector<std::string> stop = {"\nObservation:"};
};

class ReactProtocol : public AgentProtocol {
 public:
  explicit ReactProtocol(ReactProtocolOptions options = {}) : options_(std::move(options)) {}
  std::string name() const override { return "react"; }
  ChatModelPtr prepare_model(const ChatModelPtr& model,
                             const std::vector<ToolPtr>& tools) const override;
  // Merges the instructions into a leading system message (or adds one).
  Messages start(const Messages& input, const std::vector<ToolPtr>& tools) const override;
  AgentDecision parse(const ChatMessage& reply, const std::vector<ToolPtr>& tools) const override;
  void add_observations(Messages& conversation, const ChatMessage& reply,
                        const AgentDecision& decision,
                        const std::vector<std::string>& observations) const override;
  void add_parse_error(Messages& conversation, const ChatMessage& reply,
                       const std::string& error) const override;

  // The system prompt text for tools.
  std::string instructions(const std::vector<ToolPtr>& tools) const;

 private:
  ReactProtocolOptions options_;
};

// Parses one ReAct reply (see above); tools resolve the single-string-parameter fallback.
AgentDecision parse_react_reply(const std::string& text, const std::vector<ToolPtr>& tools);

}  // namespace llmkit::chain
