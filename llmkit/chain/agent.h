// Agent: a model that calls tools in a loop until it gives a final answer, as a Runnable from the
// user's question (or messages) to the answer and a trace of every step.
//
// Loop (invoke): start from [memory messages] + input, with the protocol's instructions; then up
// to max_iterations times: call the model (a child run of this one), parse its reply with the
// protocol, and
//   - final answer: stop;
//   - parse error: record it, re-prompt with the error (protocol.add_parse_error), go on;
//   - tool calls: run each (validated arguments, a child run named after the tool), record one
//     step per call, give the observations back (protocol.add_observations), go on.
// Unknown tools, invalid arguments, malformed calls and tool exceptions become "Error: ..."
// observations the model sees (and steps with `error` set), never exceptions. Observations are
// cut to max_observation_chars bytes (at a UTF-8 character boundary) with a note saying so.
// When the iterations run out the result has finished = false and stop_reason
// "max_iterations" (or Error(kOutOfRange) when throw_on_max_iterations). Cancellation and the
// timeout of the RunConfig are checked before each model call and each tool call. Errors of the
// model itself propagate.
//
// Memory (optional): its messages() come before the input, and after a final answer the input's
// non-system messages and the answer are added to it. An agent with memory holds one
// conversation: invoke it from one thread at a time. Without memory it may be invoked from
// several threads at once.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "llmkit/chain/agent_protocol.h"
#include "llmkit/chain/chat_model.h"
#include "llmkit/chain/memory.h"
#include "llmkit/chain/tool.h"

namespace llmkit::chain {

// The question as one user message, or whole messages.
struct AgentInput {
  Messages messages;
  AgentInput() = default;
  AgentInput(std::string question) : messages{user_message(std::move(question))} {}
  AgentInput(const char* question) : AgentInput(std::string(question)) {}
  AgentInput(Messages m) : messages(std::move(m)) {}
};

struct AgentStep {
  enum class Kind { kToolCall, kParseError, kFinalAnswer };
  Kind kind = Kind::kToolCall;
  int iteration = 0;         // the model call (1-based) that produced this step
  std::string model_output;  // the reply's text (its content)
  std::string thought;       // reasoning text the protocol separated out
  std::string tool;          // kToolCall: the tool asked for
  nlohmann::json arguments;  // kToolCall: its arguments
  std::string tool_call_id;  // kToolCall: the call's id (native protocol)
  std::string observation;   // kToolCall: what the model was told (after truncation);
                             // kFinalAnswer: the answer
  std::string error;         // parse error, unknown tool, invalid arguments, tool exception
  bool truncated = false;    // the observation was cut to max_observation_chars
};

const char* agent_step_kind_name(
    AgentStep::Kind kind);  // "tool_call", "parse_error", "final_answer"

struct AgentResult {
  std::string answer;            // the final answer ("" when not finished)
  bool finished = false;         // the model gave a final answer
  std::string stop_reason;       // "final_answer" or "max_iterations"
  int iterations = 0;            // model calls made
  std::vector<AgentStep> steps;  // in order
  Messages messages;             // the whole conversation, ending with the final reply
};

// JSON forms (traces, logs).
void to_json(nlohmann::json& j, const AgentStep& step);
void to_json(nlohmann::json& j, const AgentResult& result);
void to_json(nlohmann::json& j, const AgentInput& input);

struct AgentOptions {
  int max_iterations = 10;              // model calls at most (>= 1)
  size_t max_observation_chars = 4000;  // longer observations are cut (bytes, >= 16)
  bool throw_on_max_iterations = false;
  MemoryPtr memory;  // optional conversation memory
};

class Agent : public Runnable<AgentInput, AgentResult> {
 public:
  // Throws Error when model or protocol is null, two tools share a name, or options are invalid.
  Agent(ChatModelPtr model, std::vector<ToolPtr> tools, AgentProtocolPtr protocol,
        AgentOptions options = {});
  std::string name() const override { return "Agent(" + protocol_->name() + ")"; }
  const std::vector<ToolPtr>& tools() const { return tools_; }
  const AgentOptions& options() const { return options_; }

 protected:
  AgentResult invoke_impl(const AgentInput& input, RunContext& ctx) const override;

 private:
  // Runs one action; returns its step (observation truncated).
  AgentStep run_action(const AgentAction& action, RunContext& ctx) const;

  ChatModelPtr model_;  // as prepared by the protocol
  std::vector<ToolPtr> tools_;
  AgentProtocolPtr protocol_;
  AgentOptions options_;
};

// Agents with the two protocols and their default options.
std::shared_ptr<Agent> make_native_agent(ChatModelPtr model, std::vector<ToolPtr> tools,
                                         AgentOptions options = {});
std::shared_ptr<Agent> make_react_agent(ChatModelPtr model, std::vector<ToolPtr> tools,
                                        AgentOptions options = {});

// text cut to at most max_bytes bytes at a UTF-8 boundary, with "\n[observation truncated: N of
// M bytes shown]" appended; text itself when it fits.
std::string truncate_observation(const std::string& text, size_t max_bytes, bool* truncated);

}  // namespace llmkit::chain
