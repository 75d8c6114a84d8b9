// Output parsers: turn a model's text answer into data, and say in format_instructions() what
// shape of answer to ask for in the prompt. Every failure throws OutputParseError, which carries
// the raw model output so a caller can log it, show it or ask the model to fix it.
//
//   JsonOutputParser       a JSON value: bare, inside a ``` / ```json fence, or the first
//                          balanced {...} / [...] that parses, surrounded by prose
//   ListOutputParser       comma-separated items, one item per line (bullets stripped), or a
//                          numbered list ("1. a", "2) b")
//   KeyValueOutputParser   "key: value" lines
//   RegexOutputParser      the groups of the first match of a regular expression (PCRE2)
//
// Thread safety: parsers are immutable; parse() may run concurrently.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "llmkit/base/error.h"

namespace llmkit::prompt {

// A model output that does not have the expected shape. code() is kInvalidArgument; what() says
// what was wrong (without the whole output); raw() is the model output exactly as given.
class OutputParseError : public Error {
 public:
  OutputParseError(const std::string& message, std::string raw);
  const std::string& raw() const { return raw_; }

 private:
  std::string raw_;
};

template <typename T>
class OutputParser {
 public:
  virtual ~OutputParser() = default;
  // The parsed value. Throws OutputParseError.
  virtual T parse(std::string_view text) const = 0;
  // Text to put in a prompt asking for output this parser accepts.
  virtual std::string format_instructions() const = 0;
};

// The first ``` fence of text: found = false when text has none; otherwise the language tag
// written after the opening ``` (e.g. "json", may be empty) and the lines between the fences (an
// unclosed fence runs to the end of text).
struct FencedBlock {
  bool found = false;
  std::string language;  // "json", "" ...
  std::string content;
};
FencedBlock first_fenced_block(std::string_view text);

class JsonOutputParser : public OutputParser<nlohmann::json> {
 public:
  // schema_hint: optional text describing the expected JSON (a JSON Schema or an example), quoted
  // in format_instructions().
  explicit JsonOutputParser(std::string schema_hint = "") : schema_hint_(std::move(schema_hint)) {}
  // Tries in order: the first fenced block, the whole text (trimmed), then each '{' or '[' from
  // left to right, taking the balanced span up to its matching bracket (brackets inside JSON
  // strings ignored) and returning the first span that parses. Throws OutputParseError when none
  // parses, with the parser's message for the most promising candidate.
  nlohmann::json parse(std::string_view text) const override;
  std::string format_instructions() const override;

 private:
  std::string schema_hint_;
};

class ListOutputParser : public OutputParser<std::vector<std::string>> {
 public:
  enum class Style {
    kComma,     // "a, b, c": split at commas, items trimmed, empty items dropped
    kNewline,   // one item per line; blank lines dropped; a leading "-", "*", "+" or "•" bullet
                // and surrounding whitespace trimmed
    kNumbered,  // lines "1. item" / "1) item" (leading whitespace allowed); other lines ignored
  };
  explicit ListOutputParser(Style style = Style::kComma) : style_(style) {}
  // Throws OutputParseError when no item is found.
  std::vector<std::string> parse(std::string_view text) const override;
  std::string format_instructions() const override;

 private:
  Style style_;
};

class KeyValueOutputParser : public OutputParser<std::map<std::string, std::string>> {
 public:
  // required_keys: keys the output must have (also listed in format_instructions()).
  // separator: between key and value (the first occurrence on a line splits it).
  explicit KeyValueOutputParser(std::vector<std::string> required_keys = {},
                                std::string separator = ":")
      : required_keys_(std::move(required_keys)), separator_(std::move(separator)) {}
  // Each non-blank line is "key<separator>value"; key and value are trimmed, a leading "-" / "*"
  // bullet is dropped. Throws OutputParseError naming the line of a line without the separator or
  // with an empty key, a key given twice, or missing required keys.
  std::map<std::string, std::string> parse(std::string_view text) const override;
  std::string format_instructions() const override;

 private:
  std::vector<std::string> required_keys_;
  std::string separator_;
};

class RegexOutputParser : public OutputParser<std::map<std::string, std::string>> {
 public:
  // pattern: a PCRE2 pattern (UTF mode with Unicode properties: \w, \d, \s and \b are
  // Unicode-aware, as in Python's re). Named groups give keys by name; unnamed groups give keys
  // "1", "2", ... by number, or output_keys[i] for group i+1 when output_keys is given (then
  // output_keys.size() must equal the number of groups). Throws Error(kInvalidArgument) naming
  // the pattern and the position of a compile error. instructions: format_instructions() text
  // (a default mentions the pattern).
  explicit RegexOutputParser(const std::string& pattern, std::vector<std::string> output_keys = {},
                             std::string instructions = "");
  ~RegexOutputParser() override;
  RegexOutputParser(RegexOutputParser&&) noexcept;
  RegexOutputParser& operator=(RegexOutputParser&&) noexcept;

  // The groups of the first match anywhere in text; groups that did not take part in the match
  // are left out. Throws OutputParseError when nothing matches or text is not valid UTF-8.
  std::map<std::string, std::string> parse(std::string_view text) const override;
  std::string format_instructions() const override;

 private:
  struct Code;
  std::unique_ptr<Code> code_;
  std::string pattern_;
  std::string instructions_;
  std::vector<std::string> group_keys_;  // key of group i+1
};

}  // namespace llmkit::prompt
