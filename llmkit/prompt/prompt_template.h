// A text template with {name} variables, in the style of Python's str.format / LangChain's
// PromptTemplate:
//   PromptTemplate t("Translate {text} into {language}.");
//   t.input_variables()                                  -> {"text", "language"}
//   t.format({{"text", "hello"}, {"language", "French"}}) -> "Translate hello into French."
//
// Syntax: "{name}" is a variable, name = [A-Za-z_][A-Za-z0-9_]*; "{{" is a literal "{" and "}}" a
// literal "}". Anything else with a brace ("{", "{}", "{ x }", "{a.b}", a lone "}") is an error
// naming its line and column (1-based, counted in UTF-8 characters). Values are inserted as they
// are: braces inside values are never interpreted.
//
// Thread safety: a PromptTemplate is immutable; format() may run concurrently (partial values
// that are functions are called concurrently then, so they must be thread-safe themselves).
#pragma once

#include <functional>
#include <map>
#include <string>
#include <variant>
#include <vector>

namespace llmkit::prompt {

// A value bound by partial(): a fixed string, or a function called at every format() (a date, a
// counter, text read from elsewhere), as LangChain's partial with a callable.
using PartialValue = std::variant<std::string, std::function<std::string()>>;
using PartialValues = std::map<std::string, PartialValue>;
using Values = std::map<std::string, std::string>;

// What format_with() does with values for names the template does not have.
enum class ExtraValues { kReject, kIgnore };

class PromptTemplate {
 public:
  // An empty template (no variables, formats to "").
  PromptTemplate() = default;
  // Parses text. Throws Error(kInvalidArgument) naming the line and column of an unclosed "{",
  // a malformed "{...}" or an unmatched "}".
  explicit PromptTemplate(std::string text);

  const std::string& text() const { return text_; }

  // Every variable of the text, in order of first appearance, bound by partial() or not.
  const std::vector<std::string>& variables() const { return variables_; }
  // The variables format() needs: variables() minus those bound by partial(), in the same order.
  std::vector<std::string> input_variables() const;
  // The names bound by partial().
  std::vector<std::string> partial_variables() const;

  // The text with every variable replaced. values must hold exactly input_variables(); it may
  // also hold a partially bound name, whose value then replaces the binding for this call.
  // Throws Error(kInvalidArgument) listing every missing and every unknown name.
  std::string format(const Values& values) const {
    return format_with(values, ExtraValues::kReject);
  }
  // format() with a choice about unknown names (kIgnore: values may hold names the template does
  // not use, as when formatting an example that has more fields than its template shows).
  std::string format_with(const Values& values, ExtraValues extra) const;

  // A copy with the given variables bound. Binding a name that is bound already replaces the
  // binding. Throws Error(kInvalidArgument) naming any name that is not a variable of the text.
  PromptTemplate partial(const PartialValues& values) const;

 private:
  // The parsed text: literal pieces and variables alternate; piece i is literal text when
  // is_var_[i] is false (escapes already resolved) and a variable name otherwise.
  std::string text_;
  std::vector<std::string> pieces_;
  std::vector<bool> is_var_;
  std::vector<std::string> variables_;
  PartialValues partials_;
};

// "a, b, c": names joined for error messages.
std::string join_names(const std::vector<std::string>& names);

}  // namespace llmkit::prompt
