#include "llmkit/prompt/few_shot.h"

#include <algorithm>

#include "llmkit/base/error.h"

namespace llmkit::prompt {
namespace {

bool contains(const std::vector<std::string>& v, const std::string& s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}

// The examples formatted with example_prompt, or an error naming the example.
std::string format_example(const PromptTemplate& example_prompt, const Example& e, size_t index) {
  try {
    return example_prompt.format_with(e, ExtraValues::kIgnore);
  } catch (const Error& err) {
    throw_error(ErrorCode::kInvalidArgument, str_cat("few-shot example ", index, ": ", err.what()));
  }
}

void check_chat_example_prompt(const ChatPromptTemplate& p) {
  LLMKIT_CHECK(!p.parts().empty(), "few-shot chat template: the example prompt has no messages");
  for (const auto& part : p.parts()) {
    LLMKIT_CHECK(std::holds_alternative<ChatPromptTemplate::MessageTemplate>(part),
                 "few-shot chat template: the example prompt may not have a history slot ('",
                 std::get<ChatPromptTemplate::HistorySlot>(part).name, "')");
  }
}

}  // namespace

FewShotPromptTemplate::FewShotPromptTemplate(PromptTemplate example_prompt,
                                             std::vector<Example> examples,
                                             const std::string& suffix, const std::string& prefix,
                                             std::string separator)
    : example_prompt_(std::move(example_prompt)),
      examples_(std::move(examples)),
      prefix_(prefix),
      suffix_(suffix),
      separator_(std::move(separator)) {}

FewShotPromptTemplate::FewShotPromptTemplate(PromptTemplate example_prompt,
                                             std::shared_ptr<const ExampleSelector> selector,
                                             const std::string& suffix, const std::string& prefix,
                                             std::string separator)
    : example_prompt_(std::move(example_prompt)),
      selector_(std::move(selector)),
      prefix_(prefix),
      suffix_(suffix),
      separator_(std::move(separator)) {
  LLMKIT_CHECK(selector_, "few-shot template: the example selector is null");
}

std::vector<std::string> FewShotPromptTemplate::input_variables() const {
  auto out = prefix_.input_variables();
  for (const auto& v : suffix_.input_variables()) {
    if (!contains(out, v)) out.push_back(v);
  }
  return out;
}

std::string FewShotPromptTemplate::format(const Values& values) const {
  const auto inputs = input_variables();
  std::vector<std::string> missing, unknown;
  for (const auto& v : inputs) {
    if (!values.count(v)) missing.push_back(v);
  }
  for (const auto& [name, value] : values) {
    if (!contains(prefix_.variables(), name) && !contains(suffix_.variables(), name)) {
      unknown.push_back(name);
    }
  }
  if (!missing.empty() || !unknown.empty()) {
    std::string msg = "few-shot template: ";
    if (!missing.empty()) msg += "missing values for " + join_names(missing);
    if (!missing.empty() && !unknown.empty()) msg += "; ";
    if (!unknown.empty()) msg += "values for unknown variables " + join_names(unknown);
    msg += " (input variables: " + join_names(inputs) + ")";
    throw_error(ErrorCode::kInvalidArgument, msg);
  }
  std::vector<std::string> pieces;
  if (!prefix_.text().empty()) pieces.push_back(prefix_.format_with(values, ExtraValues::kIgnore));
  const std::vector<Example> shown = selector_ ? selector_->select(values) : examples_;
  for (size_t i = 0; i < shown.size(); ++i) {
    pieces.push_back(format_example(example_prompt_, shown[i], i));
  }
  if (!suffix_.text().empty()) pieces.push_back(suffix_.format_with(values, ExtraValues::kIgnore));
  std::string out;
  for (size_t i = 0; i < pieces.size(); ++i) out += (i ? separator_ : "") + pieces[i];
  return out;
}

FewShotPromptTemplate FewShotPromptTemplate::partial(const PartialValues& values) const {
  PartialValues for_prefix, for_suffix;
  std::vector<std::string> unknown;
  for (const auto& [name, value] : values) {
    const bool in_prefix = contains(prefix_.variables(), name);
    const bool in_suffix = contains(suffix_.variables(), name);
    if (in_prefix) for_prefix[name] = value;
    if (in_suffix) for_suffix[name] = value;
    if (!in_prefix && !in_suffix) unknown.push_back(name);
  }
  LLMKIT_CHECK(unknown.empty(), "few-shot template: partial() of unknown variables ",
               join_names(unknown), " (input variables: ", join_names(input_variables()), ")");
  FewShotPromptTemplate out = *this;
  out.prefix_ = prefix_.partial(for_prefix);
  out.suffix_ = suffix_.partial(for_suffix);
  return out;
}

FewShotChatPromptTemplate::FewShotChatPromptTemplate(ChatPromptTemplate example_prompt,
                                                     std::vector<Example> examples)
    : example_prompt_(std::move(example_prompt)), examples_(std::move(examples)) {
  check_chat_example_prompt(example_prompt_);
}

FewShotChatPromptTemplate::FewShotChatPromptTemplate(
    ChatPromptTemplate example_prompt, std::shared_ptr<const ExampleSelector> selector)
    : example_prompt_(std::move(example_prompt)), selector_(std::move(selector)) {
  check_chat_example_prompt(example_prompt_);
  LLMKIT_CHECK(selector_, "few-shot chat template: the example selector is null");
}

ChatPromptTemplate FewShotChatPromptTemplate::user_assistant(
    const std::string& user_template, const std::string& assistant_template) {
  ChatPromptTemplate p;
  p.user(user_template).assistant(assistant_template);
  return p;
}

std::vector<Message> FewShotChatPromptTemplate::format_messages(const Values& values) const {
  const std::vector<Example> shown = selector_ ? selector_->select(values) : examples_;
  std::vector<Message> out;
  for (size_t i = 0; i < shown.size(); ++i) {
    for (const auto& part : example_prompt_.parts()) {
      const auto& m = std::get<ChatPromptTemplate::MessageTemplate>(part);
      out.push_back({m.role, format_example(m.content, shown[i], i)});
    }
  }
  return out;
}

}  // namespace llmkit::prompt
