#include "llmkit/prompt/chat_prompt_template.h"

#include <algorithm>

#include "llmkit/base/error.h"

namespace llmkit::prompt {
namespace {

bool is_identifier(const std::string& s) {
  auto start = [](char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; };
  if (s.empty() || !start(s[0])) return false;
  return std::all_of(s.begin(), s.end(),
                     [&](char c) { return start(c) || (c >= '0' && c <= '9'); });
}

}  // namespace

ChatPromptTemplate ChatPromptTemplate::from_messages(
    const std::vector<std::pair<std::string, std::string>>& messages) {
  ChatPromptTemplate out;
  for (const auto& [role, text] : messages) out.message(role, text);
  return out;
}

bool ChatPromptTemplate::has_variable(const std::string& name) const {
  for (const auto& part : parts_) {
    if (const auto* m = std::get_if<MessageTemplate>(&part)) {
      const auto& vars = m->content.variables();
      if (std::find(vars.begin(), vars.end(), name) != vars.end()) return true;
    }
  }
  return false;
}

ChatPromptTemplate& ChatPromptTemplate::message(const std::string& role,
                                                const std::string& template_text) {
  LLMKIT_CHECK(!role.empty(), "chat prompt template: a message needs a role (system, user, ...)");
  PromptTemplate content(template_text);
  const auto names = history_names();
  for (const auto& v : content.variables()) {
    LLMKIT_CHECK(std::find(names.begin(), names.end(), v) == names.end(),
                 "chat prompt template: variable '", v,
                 "' is already a history name; rename one of them");
  }
  parts_.push_back(MessageTemplate{role, std::move(content)});
  return *this;
}

ChatPromptTemplate& ChatPromptTemplate::history(const std::string& name, bool optional) {
  LLMKIT_CHECK(is_identifier(name), "chat prompt template: history name '", name,
               "' must be letters, digits and '_', not starting with a digit");
  const auto names = history_names();
  LLMKIT_CHECK(std::find(names.begin(), names.end(), name) == names.end(),
               "chat prompt template: history '", name, "' appears twice");
  LLMKIT_CHECK(!has_variable(name), "chat prompt template: history name '", name,
               "' is already a variable; rename one of them");
  parts_.push_back(HistorySlot{name, optional});
  return *this;
}

std::vector<std::string> ChatPromptTemplate::input_variables() const {
  std::vector<std::string> out;
  for (const auto& part : parts_) {
    if (const auto* m = std::get_if<MessageTemplate>(&part)) {
      for (const auto& v : m->content.input_variables()) {
        if (std::find(out.begin(), out.end(), v) == out.end()) out.push_back(v);
      }
    }
  }
  return out;
}

std::vector<std::string> ChatPromptTemplate::history_names() const {
  std::vector<std::string> out;
  for (const auto& part : parts_) {
    if (const auto* h = std::get_if<HistorySlot>(&part)) out.push_back(h->name);
  }
  return out;
}

ChatPromptTemplate ChatPromptTemplate::partial(const PartialValues& values) const {
  std::vector<std::string> unknown;
  for (const auto& [name, value] : values) {
    if (!has_variable(name)) unknown.push_back(name);
  }
  LLMKIT_CHECK(unknown.empty(), "chat prompt template: partial() of unknown variables ",
               join_names(unknown), " (the template's variables: ", join_names(input_variables()),
               ")");
  ChatPromptTemplate out = *this;
  for (auto& part : out.parts_) {
    auto* m = std::get_if<MessageTemplate>(&part);
    if (!m) continue;
    PartialValues mine;
    for (const auto& [name, value] : values) {
      const auto& vars = m->content.variables();
      if (std::find(vars.begin(), vars.end(), name) != vars.end()) mine[name] = value;
    }
    if (!mine.empty()) m->content = m->content.partial(mine);
  }
  return out;
}

std::vector<Message> ChatPromptTemplate::format_messages(const Values& values,
                                                         const Histories& histories) const {
  // Validate everything first so one message names every problem.
  std::vector<std::string> missing, unknown, missing_hist, unknown_hist;
  const auto inputs = input_variables();
  for (const auto& v : inputs) {
    if (!values.count(v)) missing.push_back(v);
  }
  for (const auto& [name, value] : values) {
    if (!has_variable(name)) unknown.push_back(name);
  }
  const auto names = history_names();
  for (const auto& part : parts_) {
    const auto* h = std::get_if<HistorySlot>(&part);
    if (h && !h->optional && !histories.count(h->name)) missing_hist.push_back(h->name);
  }
  for (const auto& [name, msgs] : histories) {
    if (std::find(names.begin(), names.end(), name) == names.end()) unknown_hist.push_back(name);
  }
  std::vector<std::string> problems;
  if (!missing.empty()) problems.push_back("missing values for " + join_names(missing));
  if (!unknown.empty()) problems.push_back("values for unknown variables " + join_names(unknown));
  if (!missing_hist.empty()) {
    problems.push_back("missing required histories " + join_names(missing_hist));
  }
  if (!unknown_hist.empty()) problems.push_back("unknown histories " + join_names(unknown_hist));
  if (!problems.empty()) {
    std::string msg = "chat prompt template: ";
    for (size_t i = 0; i < problems.size(); ++i) msg += (i ? "; " : "") + problems[i];
    msg += " (input variables: " + join_names(inputs) + "; histories: " + join_names(names) + ")";
    throw_error(ErrorCode::kInvalidArgument, msg);
  }

  std::vector<Message> out;
  for (const auto& part : parts_) {
    if (const auto* m = std::get_if<MessageTemplate>(&part)) {
      out.push_back({m->role, m->content.format_with(values, ExtraValues::kIgnore)});
      continue;
    }
    const auto& slot = std::get<HistorySlot>(part);
    auto it = histories.find(slot.name);
    if (it == histories.end()) continue;
    for (size_t i = 0; i < it->second.size(); ++i) {
      LLMKIT_CHECK(!it->second[i].role.empty(), "chat prompt template: message ", i,
                   " of history '", slot.name, "' has an empty role");
      out.push_back(it->second[i]);
    }
  }
  return out;
}

}  // namespace llmkit::prompt
