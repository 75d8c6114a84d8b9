#include "llmkit/chain/native_protocol.h"

#include "llmkit/chain/tool_call_parser.h"

namespace llmkit::chain {

ChatModelPtr NativeToolProtocol::prepare_model(const ChatModelPtr& model,
                                               const std::vector<ToolPtr>& tools) const {
  ChatOptions options = model->options();
  options.tools = tool_specs(tools);
  return model->with_options(options);
}

Messages NativeToolProtocol::start(const Messages& input, const std::vector<ToolPtr>&) const {
  if (options_.system_prompt.empty()) return input;
  Messages out = {system_message(options_.system_prompt)};
  out.insert(out.end(), input.begin(), input.end());
  return out;
}

AgentDecision NativeToolProtocol::parse(const ChatMessage& reply,
                                        const std::vector<ToolPtr>&) const {
  AgentDecision d;
  std::vector<ToolCall> calls = reply.tool_calls;
  std::string content = reply.content;
  if (calls.empty() && options_.parse_text_tool_calls) {
    ParsedToolCalls parsed = parse_tool_calls(reply.content);
    if (!parsed.calls.empty()) {
      calls = std::move(parsed.calls);
      content = parsed.content;
    }
  }
  if (calls.empty()) {
    if (reply.content.find_first_not_of(" \t\r\n") == std::string::npos) {
      d.parse_error = "the reply was empty: answer the question, or call one of the tools";
    } else {
      d.final_answer = reply.content;
    }
    return d;
  }
  d.thought = content;
  for (size_t k = 0; k < calls.size(); ++k) {
    AgentAction a;
    a.id = calls[k].id.empty() ? "call_" + std::to_string(k) : calls[k].id;
    a.tool = calls[k].name;
    a.arguments = calls[k].arguments;
    if (a.tool.empty()) a.error = "the tool call has no tool name";
    if (a.arguments.is_string()) {
      // Some servers pass the arguments through as the JSON text the model wrote.
      try {
        a.arguments = nlohmann::json::parse(a.arguments.get<std::string>());
      } catch (const nlohmann::json::exception& e) {
        a.error = "the arguments of the call to '" + a.tool + "' are not valid JSON (" +
                  std::string(e.what()) + "); call the tool again with a JSON object";
      }
    } else if (a.arguments.is_null()) {
      a.arguments = nlohmann::json::object();
    }
    d.actions.push_back(std::move(a));
  }
  return d;
}

void NativeToolProtocol::add_observations(Messages& conversation, const ChatMessage& reply,
                                          const AgentDecision& decision,
                                          const std::vector<std::string>& observations) const {
  // The assistant message as the model meant it, with the ids the tool messages answer.
  ChatMessage call = assistant_message(decision.thought);
  for (const auto& a : decision.actions) call.tool_calls.push_back({a.id, a.tool, a.arguments});
  (void)reply;
  conversation.push_back(std::move(call));
  for (size_t i = 0; i < decision.actions.size(); ++i) {
    conversation.push_back(
        tool_message(observations[i], decision.actions[i].id, decision.actions[i].tool));
  }
}

void NativeToolProtocol::add_parse_error(Messages& conversation, const ChatMessage& reply,
                                         const std::string& error) const {
  conversation.push_back(reply);
  conversation.push_back(user_message("Your last reply could not be used: " + error + "."));
}

}  // namespace llmkit::chain
