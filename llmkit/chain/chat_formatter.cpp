#include "llmkit/chain/chat_formatter.h"

#include <algorithm>

#include "llmkit/base/error.h"
#include "llmkit/chain/openai_json.h"
#include "llmkit/chain/tool_call_parser.h"
#include "llmkit/infer/generator.h"

namespace llmkit::chain {
namespace {

std::string piece_or_empty(const tokenizer::Tokenizer& tok, int32_t id) {
  return id >= 0 ? tok.id_to_piece(id) : std::string();
}

nlohmann::ordered_json message_json(const ChatMessage& m) {
  nlohmann::ordered_json j = {{"role", m.role}, {"content", m.content}};
  if (!m.tool_calls.empty()) {
    nlohmann::ordered_json calls = nlohmann::ordered_json::array();
    for (const ToolCall& c : m.tool_calls) {
      calls.push_back({{"id", c.id},
                       {"type", "function"},
                       {"function", {{"name", c.name}, {"arguments", c.arguments}}}});
    }
    j["tool_calls"] = calls;
  }
  if (!m.tool_call_id.empty()) j["tool_call_id"] = m.tool_call_id;
  if (!m.name.empty()) j["name"] = m.name;
  return j;
}

std::string tools_system_text(const std::vector<ToolSpec>& tools) {
  std::string text =
      "You can call functions (tools). Their signatures are in <tools></tools>:\n<tools>\n";
  for (const auto& t : openai::tools_json(tools)) text += t.dump() + "\n";
  text +=
      "</tools>\nTo call a function, answer with one <tool_call></tool_call> block per call:\n"
      "<tool_call>\n{\"name\": <function-name>, \"arguments\": <args-json-object>}\n</tool_call>";
  return text;
}

}  // namespace

ChatFormatter::ChatFormatter(std::shared_ptr<const infer::Model> model,
                             const std::string& template_source, const std::string& template_name)
    : model_(std::move(model)), tokenizer_(model_->require_tokenizer()) {
  std::string source;
  if (!template_source.empty()) {
    const std::string name = template_name.empty() ? "given chat template" : template_name;
    template_ = std::make_unique<prompt::ChatTemplate>(template_source, name);
    description_ = template_name.empty() ? "template (given)" : "template " + template_name;
    source = template_source;
  } else if (!model_->chat_template().empty()) {
    template_ = std::make_unique<prompt::ChatTemplate>(model_->chat_template(),
                                                       "chat template of " + model_->path());
    description_ = "template of " + model_->path();
    source = model_->chat_template();
  } else {
    builtin_ = std::make_unique<infer::ChatFormat>(model_->config().arch, tokenizer_);
    description_ = std::string("built-in ") + infer::chat_style_name(builtin_->style());
  }
  native_tools_ = template_ && source.find("tools") != std::string::npos;
}

Messages ChatFormatter::inline_tools(const Messages& messages, const std::vector<ToolSpec>& tools) {
  Messages out;
  if (!tools.empty()) {
    const std::string text = tools_system_text(tools);
    if (!messages.empty() && messages.front().role == "system") {
      out.push_back(system_message(messages.front().content + "\n\n" + text));
    } else {
      out.push_back(system_message(text));
    }
  }
  for (size_t k = 0; k < messages.size(); ++k) {
    const ChatMessage& m = messages[k];
    if (k == 0 && !tools.empty() && m.role == "system") continue;
    if (m.role == "tool") {
      std::string body = m.name.empty() ? m.content : m.name + ": " + m.content;
      out.push_back(user_message("<tool_response>\n" + body + "\n</tool_response>"));
    } else if (m.role == "assistant" && !m.tool_calls.empty()) {
      std::string text = m.content;
      for (const ToolCall& c : m.tool_calls) {
        if (!text.empty()) text += "\n";
        text += format_tool_call_text(c);
      }
      out.push_back(assistant_message(text));
    } else {
      out.push_back(ChatMessage{m.role, m.content, {}, {}, {}});
    }
  }
  return out;
}

std::string ChatFormatter::render(const Messages& messages, const std::vector<ToolSpec>& tools,
                                  bool add_generation_prompt) const {
  const Messages rewritten = native_tools_ ? messages : inline_tools(messages, tools);
  if (builtin_) {
    std::vector<infer::ChatMessage> plain;
    for (const ChatMessage& m : rewritten) plain.push_back({m.role, m.content});
    return builtin_->render(plain, /*add_bos=*/true, add_generation_prompt);
  }
  prompt::ChatInputs inputs;
  for (const ChatMessage& m : rewritten) inputs.messages.push_back(message_json(m));
  if (native_tools_ && !tools.empty()) {
    inputs.tools = nlohmann::ordered_json::parse(openai::tools_json(tools).dump());
  }
  inputs.add_generation_prompt = add_generation_prompt;
  inputs.bos_token = piece_or_empty(tokenizer_, tokenizer_.bos_id());
  inputs.eos_token = piece_or_empty(tokenizer_, tokenizer_.eos_id());
  return template_->render(inputs);
}

std::vector<int32_t> ChatFormatter::encode(const Messages& messages,
                                           const std::vector<ToolSpec>& tools,
                                           bool add_generation_prompt) const {
  if (builtin_) {
    std::vector<infer::ChatMessage> plain;
    for (const ChatMessage& m : inline_tools(messages, tools)) plain.push_back({m.role, m.content});
    return builtin_->encode(plain, /*add_bos=*/true, add_generation_prompt);
  }
  return tokenizer_.encode(render(messages, tools, add_generation_prompt), /*add_bos=*/true,
                           /*parse_special=*/true);
}

std::vector<int32_t> ChatFormatter::stop_tokens() const {
  std::vector<int32_t> ids = builtin_ ? builtin_->stop_tokens() : std::vector<int32_t>{};
  auto add = [&](const std::vector<int32_t>& more) {
    for (int32_t id : more) {
      if (std::find(ids.begin(), ids.end(), id) == ids.end()) ids.push_back(id);
    }
  };
  add(tokenizer_.end_ids());
  add(infer::default_stop_tokens(*model_));
  return ids;
}

std::vector<std::string> ChatFormatter::stop_strings() const {
  return builtin_ ? builtin_->stop_strings() : std::vector<std::string>{};
}

}  // namespace llmkit::chain
