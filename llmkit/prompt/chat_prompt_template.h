// A chat prompt: a sequence of message templates (role + PromptTemplate) and named history slots
// that a conversation so far is spliced into (LangChain's ChatPromptTemplate with a
// MessagesPlaceholder):
//   ChatPromptTemplate chat;
//   chat.system("You are a {persona}.").history("history").user("{question}");
//   chat.format_messages({{"persona", "pirate"}, {"question", "Why?"}},
//                        {{"history", {{"user", "Hi"}, {"assistant", "Ahoy"}}}});
//   -> system "You are a pirate.", user "Hi", assistant "Ahoy", user "Why?"
//
// Variables and history names live in one namespace: a name cannot be both.
// Thread safety: a built ChatPromptTemplate is immutable in use; format_messages may run
// concurrently.
#pragma once

#include <map>
#include <string>
#include <variant>
#include <vector>

#include "llmkit/prompt/message.h"
#include "llmkit/prompt/prompt_template.h"

namespace llmkit::prompt {

using Histories = std::map<std::string, std::vector<Message>>;

class ChatPromptTemplate {
 public:
  struct MessageTemplate {
    std::string role;
    PromptTemplate content;
  };
  struct HistorySlot {
    std::string name;
    bool optional = false;  // an optional slot may be left out of format_messages' histories
  };
  using Part = std::variant<MessageTemplate, HistorySlot>;

  ChatPromptTemplate() = default;
  // From (role, template text) pairs, e.g. {{"system", "..."}, {"user", "{question}"}}.
  static ChatPromptTemplate from_messages(
      const std::vector<std::pair<std::string, std::string>>& messages);

  // Appends a message template. role is any non-empty string. Throws Error(kInvalidArgument) for
  // an empty role, a malformed template (see PromptTemplate) or a variable that is already a
  // history name.
  ChatPromptTemplate& message(const std::string& role, const std::string& template_text);
  ChatPromptTemplate& system(const std::string& t) { return message("system", t); }
  ChatPromptTemplate& user(const std::string& t) { return message("user", t); }
  ChatPromptTemplate& assistant(const std::string& t) { return message("assistant", t); }
  // Appends a history slot. Throws Error(kInvalidArgument) when name is not an identifier, or is
  // already a history name or a variable.
  ChatPromptTemplate& history(const std::string& name, bool optional = false);

  const std::vector<Part>& parts() const { return parts_; }
  // The union of the messages' input variables, in order of first appearance.
  std::vector<std::string> input_variables() const;
  // History slot names, in order.
  std::vector<std::string> history_names() const;

  // A copy with variables bound in every message that has them (see PromptTemplate::partial).
  // Throws Error(kInvalidArgument) naming names that no message has.
  ChatPromptTemplate partial(const PartialValues& values) const;

  // The messages: each template formatted with values, each history slot replaced by its
  // messages (in order; an absent optional slot contributes none). Throws Error(kInvalidArgument)
  // naming missing or unknown variables, missing required histories and unknown history names,
  // and any history message with an empty role.
  std::vector<Message> format_messages(const Values& values, const Histories& histories = {}) const;

 private:
  bool has_variable(const std::string& name) const;
  std::vector<Part> parts_;
};

}  // namespace llmkit::prompt
