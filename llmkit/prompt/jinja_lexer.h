// Tokenizer of the Jinja2 template language, following Python jinja2's lexer: data between tags,
// {{ }} variable tags, {% %} block tags, {# #} comments (dropped), {% raw %} blocks (kept as data),
// whitespace control ("-" strips all whitespace on that side, "+" keeps it) and the environment's
// trim_blocks / lstrip_blocks / keep_trailing_newline options. Newlines (\r\n, \r) are normalized
// to \n before lexing. Positions are 1-based line and column (column in code points) of the
// normalized source.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace llmkit::prompt::jinja {

struct LexOptions {
  bool trim_blocks = false;
  bool lstrip_blocks = false;
  bool keep_trailing_newline = false;
};

enum class TokenKind {
  kData,        // template text (value: the text)
  kVarBegin,    // {{
  kVarEnd,      // }}
  kBlockBegin,  // {%
  kBlockEnd,    // %}
  kName,        // identifier or keyword (value)
  kString,      // string literal (value: unescaped)
  kInt,         // integer literal (int_value)
  kFloat,       // float literal (float_value)
  kOp,          // operator or punctuation (value: "+", "//", "(", ...)
  kEof,
};

struct Token {
  TokenKind kind = TokenKind::kEof;
  std::string value;
  int64_t int_value = 0;
  double float_value = 0;
  int line = 1;
  int column = 1;
};

// Throws llmkit::Error(kInvalidArgument) "<name>:<line>:<column>: <what>" on a lexical error
// (unterminated comment or string, unexpected character, unbalanced brackets).
std::vector<Token> tokenize(const std::string& source, const std::string& name,
                            const LexOptions& options);

// "<name>:<line>:<column>: <what>", the form of every template error message.
[[noreturn]] void fail_at(const std::string& name, int line, int column, const std::string& what);

}  // namespace llmkit::prompt::jinja
