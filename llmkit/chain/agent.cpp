#include "llmkit/chain/agent.h"

#include <set>

#include "llmkit/base/error.h"
#include "llmkit/base/utf8.h"
#include "llmkit/chain/native_protocol.h"
#include "llmkit/chain/react_protocol.h"

namespace llmkit::chain {

const char* agent_step_kind_name(AgentStep::Kind kind) {
  switch (kind) {
    case AgentStep::Kind::kToolCall:
      return "tool_call";
    case AgentStep::Kind::kParseError:
      return "parse_error";
    case AgentStep::Kind::kFinalAnswer:
      return "final_answer";
  }
  return "?";
}

namespace {
nlohmann::json message_json(const ChatMessage& m) {
  nlohmann::json j = {{"role", m.role}, {"content", m.content}};
  if (!m.tool_calls.empty()) {
    j["tool_calls"] = nlohmann::json::array();
    for (const auto& c : m.tool_calls) {
      j["tool_calls"].push_back({{"id", c.id}, {"name", c.name}, {"arguments", c.arguments}});
    }
  }
  if (!m.tool_call_id.empty()) j["tool_call_id"] = m.tool_call_id;
  if (!m.name.empty()) j["name"] = m.name;
  return j;
}
}  // namespace

void to_json(nlohmann::json& j, const AgentStep& s) {
  j = {{"kind", agent_step_kind_name(s.kind)},
       {"iteration", s.iteration},
       {"model_output", s.model_output},
       {"thought", s.thought}};
  if (s.kind == AgentStep::Kind::kToolCall) {
    j["tool"] = s.tool;
    j["arguments"] = s.arguments;
    if (!s.tool_call_id.empty()) j["tool_call_id"] = s.tool_call_id;
    j["truncated"] = s.truncated;
  }
  j["observation"] = s.observation;
  if (!s.error.empty()) j["error"] = s.error;
}

void to_json(nlohmann::json& j, const AgentResult& r) {
  j = {{"answer", r.answer},
       {"finished", r.finished},
       {"stop_reason", r.stop_reason},
       {"iterations", r.iterations},
       {"steps", r.steps}};
}

void to_json(nlohmann::json& j, const AgentInput& input) {
  j = nlohmann::json::array();
  for (const auto& m : input.messages) j.push_back(message_json(m));
}

std::string truncate_observation(const std::string& text, size_t max_bytes, bool* truncated) {
  if (truncated) *truncated = text.size() > max_bytes;
  if (text.size() <= max_bytes) return text;
  const size_t cut = utf8_prefix_length(text, max_bytes);
  return text.substr(0, cut) +
         str_cat("\n[observation truncated: ", cut, " of ", text.size(), " bytes shown]");
}

Agent::Agent(ChatModelPtr model, std::vector<ToolPtr> tools, AgentProtocolPtr protocol,
             AgentOptions options)
    : tools_(std::move(tools)), protocol_(std::move(protocol)), options_(std::move(options)) {
  LLMKIT_CHECK(model != nullptr, "Agent: needs a chat model");
  LLMKIT_CHECK(protocol_ != nullptr,
               "Agent: needs a protocol (NativeToolProtocol or ReactProtocol)");
  LLMKIT_CHECK(options_.max_iterations >= 1, "Agent: max_iterations must be at least 1, got ",
               options_.max_iterations);
  LLMKIT_CHECK(options_.max_observation_chars >= 16,
               "Agent: max_observation_chars must be at least 16, got ",
               options_.max_observation_chars);
  tool_specs(tools_);  // checks for null tools and duplicate names
  model_ = protocol_->prepare_model(model, tools_);
}

AgentStep Agent::run_action(const AgentAction& action, RunContext& ctx) const {
  AgentStep step;
  step.kind = AgentStep::Kind::kToolCall;
  step.tool = action.tool;
  step.arguments = action.arguments;
  step.tool_call_id = action.id;
  std::string observation;
  if (!action.error.empty()) {
    step.error = action.error;
  } else if (ToolPtr tool = find_tool(tools_, action.tool)) {
    ctx.check_cancelled();
    const ToolResult r = tool_runnable(tool)->invoke(action.arguments, ctx.child_config());
    if (r.ok) {
      observation = r.observation;
    } else {
      step.error = r.error;
    }
  } else {
    std::string names;
    for (const auto& t : tools_) names += (names.empty() ? "" : ", ") + t->name();
    step.error = "unknown tool '" + action.tool + "'; the tools are: " + names;
  }
  if (!step.error.empty()) observation = "Error: " + step.error;
  step.observation =
      truncate_observation(observation, options_.max_observation_chars, &step.truncated);
  return step;
}

AgentResult Agent::invoke_impl(const AgentInput& input, RunContext& ctx) const {
  LLMKIT_CHECK(!input.messages.empty(), "Agent: the input has no message (give a question)");
  Messages opening;
  if (options_.memory) opening = options_.memory->messages();
  opening.insert(opening.end(), input.messages.begin(), input.messages.end());
  AgentResult result;
  Messages conversation = protocol_->start(opening, tools_);
  std::set<std::string> used_ids;
  for (int iteration = 1; iteration <= options_.max_iterations; ++iteration) {
    ctx.check_cancelled();
    ChatMessage reply = model_->invoke(conversation, ctx.child_config());
    result.iterations = iteration;
    AgentDecision decision = protocol_->parse(reply, tools_);
    if (!decision.parse_error.empty()) {
      AgentStep step;
      step.kind = AgentStep::Kind::kParseError;
      step.iteration = iteration;
      step.model_output = reply.content;
      step.thought = decision.thought;
      step.error = decision.parse_error;
      result.steps.push_back(std::move(step));
      protocol_->add_parse_error(conversation, reply, decision.parse_error);
      continue;
    }
    if (decision.final_answer) {
      AgentStep step;
      step.kind = AgentStep::Kind::kFinalAnswer;
      step.iteration = iteration;
      step.model_output = reply.content;
      step.thought = decision.thought;
      step.observation = *decision.final_answer;
      result.steps.push_back(std::move(step));
      conversation.push_back(reply);
      result.answer = *decision.final_answer;
      result.finished = true;
      result.stop_reason = "final_answer";
      break;
    }
    // Ids must pair each observation with its call across the whole conversation; models and
    // parsers that number calls per reply ("call_0") would repeat them.
    for (auto& action : decision.actions) {
      if (action.id.empty()) continue;
      while (!used_ids.insert(action.id).second) action.id += "_" + std::to_string(iteration);
    }
    std::vector<std::string> observations;
    for (const auto& action : decision.actions) {
      AgentStep step = run_action(action, ctx);
      step.iteration = iteration;
      step.model_output = reply.content;
      step.thought = decision.thought;
      observations.push_back(step.observation);
      result.steps.push_back(std::move(step));
    }
    protocol_->add_observations(conversation, reply, decision, observations);
  }
  result.messages = std::move(conversation);
  if (!result.finished) {
    result.stop_reason = "max_iterations";
    LLMKIT_CHECK_CODE(
        !options_.throw_on_max_iterations, ErrorCode::kOutOfRange,
        "the agent gave no final answer within max_iterations = ", options_.max_iterations,
        " model calls; raise max_iterations or simplify "
        "the task");
    return result;
  }
  if (options_.memory) {
    Messages turn;
    for (const auto& m : input.messages) {
      if (m.role != "system") turn.push_back(m);
    }
    turn.push_back(assistant_message(result.answer));
    options_.memory->add_all(turn);
  }
  return result;
}

std::shared_ptr<Agent> make_native_agent(ChatModelPtr model, std::vector<ToolPtr> tools,
                                         AgentOptions options) {
  return std::make_shared<Agent>(std::move(model), std::move(tools),
                                 std::make_shared<NativeToolProtocol>(), std::move(options));
}

std::shared_ptr<Agent> make_react_agent(ChatModelPtr model, std::vector<ToolPtr> tools,
                                        AgentOptions options) {
  return std::make_shared<Agent>(std::move(model), std::move(tools),
                                 std::make_shared<ReactProtocol>(), std::move(options));
}

}  // namespace llmkit::chain
