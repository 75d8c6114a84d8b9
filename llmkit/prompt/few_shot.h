// Few-shot prompts: examples formatted with an example template, between a prefix and a suffix
// (text), or as user/assistant message pairs (chat).
//
//   FewShotPromptTemplate fs(PromptTemplate("Q: {q}\nA: {a}"), examples,
//                            /*suffix=*/"Q: {question}\nA:", /*prefix=*/"Answer briefly.");
//   fs.format({{"question", "2+2?"}})
//   -> "Answer briefly.\n\nQ: 1+1?\nA: 2\n\nQ: 2+3?\nA: 5\n\nQ: 2+4?\nA:"
//
// The pieces (prefix when its text is not empty, each formatted example, suffix when its text is
// not empty) are joined with the separator. Prefix and suffix are templates over the prompt's
// input variables; examples are formatted with the example template and inserted literally
// (braces in examples are never interpreted). Examples may have fields the example template does
// not use; a field it uses but an example lacks is an error naming it.
//
// Thread safety: immutable once built; format() may run concurrently when the selector allows.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "llmkit/prompt/chat_prompt_template.h"
#include "llmkit/prompt/example_selector.h"
#include "llmkit/prompt/message.h"
#include "llmkit/prompt/prompt_template.h"

namespace llmkit::prompt {

class FewShotPromptTemplate {
 public:
  // Fixed examples, all shown in order.
  FewShotPromptTemplate(PromptTemplate example_prompt, std::vector<Example> examples,
                        const std::string& suffix, const std::string& prefix = "",
                        std::string separator = "\n\n");
  // Examples chosen by selector for each format() call, from the values formatted. Throws
  // Error(kInvalidArgument) for a null selector.
  FewShotPromptTemplate(PromptTemplate example_prompt,
                        std::shared_ptr<const ExampleSelector> selector, const std::string& suffix,
                        const std::string& prefix = "", std::string separator = "\n\n");

  // The input variables of prefix then suffix, each once, in order of first appearance.
  std::vector<std::string> input_variables() const;

  // The prompt text. values must hold exactly input_variables() (plus optionally partially bound
  // names); throws Error(kInvalidArgument) naming missing and unknown names.
  std::string format(const Values& values) const;

  // A copy with variables of the prefix or suffix bound (see PromptTemplate::partial). Throws
  // Error(kInvalidArgument) naming names neither has.
  FewShotPromptTemplate partial(const PartialValues& values) const;

 private:
  PromptTemplate example_prompt_;
  std::vector<Example> examples_;
  std::shared_ptr<const ExampleSelector> selector_;
  PromptTemplate prefix_, suffix_;
  std::string separator_;
};

// Examples as chat messages: each example becomes the messages of example_prompt (a
// ChatPromptTemplate of message templates only, typically user "{input}" then assistant
// "{output}"), formatted with the example's fields. Splice the result into a ChatPromptTemplate
// through a history slot:
//   chat.system("...").history("examples").user("{input}");
//   chat.format_messages(values, {{"examples", few_shot.format_messages(values)}});
class FewShotChatPromptTemplate {
 public:
  // Throws Error(kInvalidArgument) when example_prompt has a history slot or no messages.
  FewShotChatPromptTemplate(ChatPromptTemplate example_prompt, std::vector<Example> examples);
  FewShotChatPromptTemplate(ChatPromptTemplate example_prompt,
                            std::shared_ptr<const ExampleSelector> selector);
  // The common case: user message user_template, assistant message assistant_template.
  static ChatPromptTemplate user_assistant(const std::string& user_template,
                                           const std::string& assistant_template);

  // The messages of every selected example, in order. values only feed the selector (fixed
  // examples ignore them).
  std::vector<Message> format_messages(const Values& values = {}) const;

 private:
  ChatPromptTemplate example_prompt_;
  std::vector<Example> examples_;
  std::shared_ptr<const ExampleSelector> selector_;
};

}  // namespace llmkit::prompt
