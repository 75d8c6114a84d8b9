#include "llmkit/chain/react_protocol.h"

#include <algorithm>
#include <cctype>

namespace llmkit::chain {

namespace {

std::string trim(const std::string& s) {
  const size_t b = s.find_first_not_of(" \t\r\n");
  if (b == std::string::npos) return "";
  const size_t e = s.find_last_not_of(" \t\r\n");
  return s.substr(b, e - b + 1);
}

enum class Keyword { kNone, kThought, kAction, kActionInput, kObservation, kFinalAnswer };

// The keyword a line starts with (ignoring case, leading spaces and '*'/'#' emphasis), and the
// text after its colon.
Keyword line_keyword(const std::string& line, std::string* rest) {
  size_t i = 0;
  while (i < line.size() &&
         (line[i] == ' ' || line[i] == '\t' || line[i] == '*' || line[i] == '#')) {
    ++i;
  }
  static const std::pair<const char*, Keyword> kWords[] = {{"final answer", Keyword::kFinalAnswer},
                                                           {"action input", Keyword::kActionInput},
                                                           {"action", Keyword::kAction},
                                                           {"thought", Keyword::kThought},
                                                           {"observation", Keyword::kObservation}};
  for (const auto& [word, kw] : kWords) {
    const size_t n = std::char_traits<char>::length(word);
    if (line.size() - i < n) continue;
    bool same = true;
    for (size_t k = 0; k < n && same; ++k) {
      same = std::tolower(static_cast<unsigned char>(line[i + k])) == word[k];
    }
    if (!same) continue;
    size_t j = i + n;
    while (j < line.size() && (line[j] == ' ' || line[j] == '*')) ++j;
    if (j < line.size() && line[j] == ':') {
      size_t k = j + 1;
      while (k < line.size() && line[k] == '*') ++k;
      *rest = line.substr(k);
      return kw;
    }
  }
  return Keyword::kNone;
}

// The text inside a ``` fence, or the text itself.
std::string strip_fence(const std::string& text) {
  std::string t = trim(text);
  if (t.rfind("```", 0) != 0) return t;
  size_t nl = t.find('\n');
  if (nl == std::string::npos) return trim(t.substr(3, t.size() > 6 ? t.size() - 6 : 0));
  std::string body = t.substr(nl + 1);
  size_t close = body.rfind("```");
  if (close != std::string::npos) body = body.substr(0, close);
  return trim(body);
}

// The name of the only parameter of a tool when it is a string, else "".
std::string single_string_parameter(const ToolPtr& tool) {
  if (!tool) return "";
  const nlohmann::json p = tool->parameters();
  if (!p.contains("properties") || !p["properties"].is_object() || p["properties"].size() != 1) {
    return "";
  }
  const auto it = p["properties"].begin();
  return it->is_object() && it->contains("type") && (*it)["type"] == "string" ? it.key() : "";
}

std::string tool_names(const std::vector<ToolPtr>& tools) {
  std::string out;
  for (const auto& t : tools) out += (out.empty() ? "" : ", ") + t->name();
  return out;
}

constexpr const char* kFormatReminder =
    "Reply either with\nThought: ...\nAction: <tool name>\nAction Input: <JSON object>\nor "
    "with\nThought: ...\nFinal Answer: <answer>";

}  // namespace

AgentDecision parse_react_reply(const std::string& text, const std::vector<ToolPtr>& tools) {
  AgentDecision d;
  std::string thought, action, input, final_answer;
  bool has_action = false, has_input = false, has_final = false;
  Keyword current = Keyword::kThought;  // text before any keyword is reasoning
  size_t pos = 0;
  while (pos <= text.size()) {
    size_t nl = text.find('\n', pos);
    if (nl == std::string::npos) nl = text.size();
    const std::string line = text.substr(pos, nl - pos);
    pos = nl + 1;
    std::string rest;
    Keyword kw = line_keyword(line, &rest);
    if (kw == Keyword::kObservation && (has_action || has_final)) break;
    if (kw == Keyword::kNone) {
      std::string* target = current == Keyword::kThought       ? &thought
                            : current == Keyword::kActionInput ? &input
                            : current == Keyword::kFinalAnswer ? &final_answer
                                                               : nullptr;
      if (target) *target += "\n" + line;
      continue;
    }
    // A second Thought/Action after a complete action starts the model's next step: stop.
    if (has_input && (kw == Keyword::kThought || kw == Keyword::kAction)) break;
    if (has_final && kw != Keyword::kNone) {
      // Keep the keyword line as part of the answer only when it is not another step.
      break;
    }
    current = kw;
    switch (kw) {
      case Keyword::kThought:
        thought += "\n" + rest;
        break;
      case Keyword::kAction:
        if (!has_action) {
          has_action = true;
          action = rest;
        }
        break;
      case Keyword::kActionInput:
        has_input = true;
        input = rest;
        break;
      case Keyword::kFinalAnswer:
        if (!has_action) {
          has_final = true;
          final_answer = rest;
        }
        break;
      default:
        break;
    }
  }
  d.thought = trim(thought);
  if (has_action) {
    std::string name = trim(action);
    // Models sometimes decorate the name: `calculator`, [calculator], "calculator".
    name.erase(std::remove_if(name.begin(), name.end(),
                              [](char c) {
                                return c == '`' || c == '"' || c == '\'' || c == '[' || c == ']';
                              }),
               name.end());
    name = trim(name);
    if (name.empty()) {
      d.parse_error = "the 'Action:' line names no tool (tools: " + tool_names(tools) + ")";
      return d;
    }
    if (!has_input) {
      d.parse_error = "'Action: " + name + "' is not followed by an 'Action Input:' line";
      return d;
    }
    AgentAction a;
    a.tool = name;
    const std::string raw = strip_fence(input);
    try {
      a.arguments = raw.empty() ? nlohmann::json::object() : nlohmann::json::parse(raw);
    } catch (const nlohmann::json::exception& e) {
      const std::string param = single_string_parameter(find_tool(tools, name));
      if (param.empty()) {
        d.parse_error = "the Action Input of '" + name + "' is not a JSON object (" +
                        std::string(e.what()) + ")";
        return d;
      }
      // An unquoted string for a one-string-parameter tool.
      std::string value = raw;
      if (value.size() >= 2 && value.front() == '"' && value.back() == '"') {
        value = value.substr(1, value.size() - 2);
      }
      a.arguments = {{param, value}};
    }
    d.actions.push_back(std::move(a));
    return d;
  }
  if (has_final) {
    d.final_answer = trim(final_answer);
    return d;
  }
  d.parse_error = "no 'Action:' or 'Final Answer:' line was found";
  return d;
}

ChatModelPtr ReactProtocol::prepare_model(const ChatModelPtr& model,
                                          const std::vector<ToolPtr>&) const {
  ChatOptions options = model->options();
  for (const auto& s : options_.stop) {
    if (std::find(options.stop.begin(), options.stop.end(), s) == options.stop.end()) {
      options.stop.push_back(s);
    }
  }
  return model->with_options(options);
}

std::string ReactProtocol::instructions(const std::vector<ToolPtr>& tools) const {
  std::string out = options_.preamble + "\n\nYou have access to the following tools:\n\n";
  for (const auto& t : tools) {
    out += "- " + t->name() + ": " + t->description() +
           "\n  Arguments (JSON schema): " + t->parameters().dump() + "\n";
  }
  out +=
      "\nUse this format:\n\n"
      "Thought: think about what to do next\n"
      "Action: the tool to use, one of [" +
      tool_names(tools) +
      "]\n"
      "Action Input: the tool's arguments as one JSON object matching its schema\n"
      "Observation: the tool's result (given to you; never write it yourself)\n"
      "... (Thought / Action / Action Input / Observation may repeat)\n"
      "Thought: I now know the final answer\n"
      "Final Answer: the answer to the user's question\n\n"
      "Write one Action at a time and stop after its Action Input.";
  return out;
}

Messages ReactProtocol::start(const Messages& input, const std::vector<ToolPtr>& tools) const {
  Messages out = input;
  const std::string text = instructions(tools);
  if (!out.empty() && out.front().role == "system") {
    out.front().content += "\n\n" + text;
  } else {
    out.insert(out.begin(), system_message(text));
  }
  return out;
}

AgentDecision ReactProtocol::parse(const ChatMessage& reply,
                                   const std::vector<ToolPtr>& tools) const {
  return parse_react_reply(reply.content, tools);
}

void ReactProtocol::add_observations(Messages& conversation, const ChatMessage& reply,
                                     const AgentDecision&,
                                     const std::vector<std::string>& observations) const {
  // The reply up to (not including) an Observation the model wrote itself.
  std::string text = reply.content;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t nl = text.find('\n', pos);
    if (nl == std::string::npos) nl = text.size();
    std::string rest;
    if (pos > 0 && line_keyword(text.substr(pos, nl - pos), &rest) == Keyword::kObservation) {
      text = text.substr(0, pos);
      break;
    }
    pos = nl + 1;
  }
  conversation.push_back(assistant_message(trim(text)));
  std::string obs;
  for (const auto& o : observations) obs += (obs.empty() ? "" : "\n") + o;
  conversation.push_back(user_message("Observation: " + obs));
}

void ReactProtocol::add_parse_error(Messages& conversation, const ChatMessage& reply,
                                    const std::string& error) const {
  conversation.push_back(assistant_message(reply.content));
  conversation.push_back(
      user_message("Observation: Invalid format: " + error + ". " + kFormatReminder));
}

}  // namespace llmkit::chain
