#include "llmkit/prompt/prompt_template.h"

#include <algorithm>
#include <cstddef>
#include <string_view>

#include "llmkit/base/error.h"

namespace llmkit::prompt {
namespace {

// 1-based line and column (in UTF-8 characters) of byte offset pos of text.
std::string position(std::string_view text, size_t pos) {
  size_t line = 1, column = 1;
  for (size_t i = 0; i < pos && i < text.size(); ++i) {
    const unsigned char c = static_cast<unsigned char>(text[i]);
    if (c == '\n') {
      ++line;
      column = 1;
    } else if ((c & 0xC0) != 0x80) {  // not a UTF-8 continuation byte
      ++column;
    }
  }
  return str_cat("line ", line, ", column ", column);
}

bool is_name_start(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}
bool is_name_char(char c) {
  return is_name_start(c) || (c >= '0' && c <= '9');
}

bool is_identifier(std::string_view s) {
  return !s.empty() && is_name_start(s[0]) && std::all_of(s.begin(), s.end(), is_name_char);
}

// Up to 20 characters of s for a message.
std::string excerpt(std::string_view s) {
  return s.size() <= 20 ? std::string(s) : str_cat(s.substr(0, 20), "...");
}

}  // namespace

std::string join_names(const std::vector<std::string>& names) {
  std::string out;
  for (size_t i = 0; i < names.size(); ++i) out += (i ? ", " : "") + names[i];
  return out;
}

PromptTemplate::PromptTemplate(std::string text) : text_(std::move(text)) {
  const std::string_view t = text_;
  std::string literal;
  auto flush_literal = [&] {
    if (literal.empty()) return;
    pieces_.push_back(std::move(literal));
    is_var_.push_back(false);
    literal.clear();
  };
  size_t i = 0;
  while (i < t.size()) {
    const char c = t[i];
    if (c == '{' && i + 1 < t.size() && t[i + 1] == '{') {
      literal += '{';
      i += 2;
    } else if (c == '}' && i + 1 < t.size() && t[i + 1] == '}') {
      literal += '}';
      i += 2;
    } else if (c == '}') {
      throw_error(ErrorCode::kInvalidArgument,
                  str_cat("prompt template: unmatched '}' at ", position(t, i),
                          "; write '}}' for a literal '}'"));
    } else if (c == '{') {
      const size_t close = t.find_first_of("{}", i + 1);
      if (close == std::string_view::npos || t[close] == '{') {
        throw_error(ErrorCode::kInvalidArgument,
                    str_cat("prompt template: unclosed '{' at ", position(t, i),
                            "; close it with '}' or write '{{' for a literal '{'"));
      }
      const std::string_view name = t.substr(i + 1, close - i - 1);
      if (!is_identifier(name)) {
        throw_error(ErrorCode::kInvalidArgument,
                    str_cat("prompt template: malformed variable '{", excerpt(name), "}' at ",
                            position(t, i),
                            "; a variable name is letters, digits and '_', not starting with a "
                            "digit (write '{{' and '}}' for literal braces)"));
      }
      flush_literal();
      pieces_.emplace_back(name);
      is_var_.push_back(true);
      if (std::find(variables_.begin(), variables_.end(), name) == variables_.end()) {
        variables_.emplace_back(name);
      }
      i = close + 1;
    } else {
      literal += c;
      ++i;
    }
  }
  flush_literal();
}

std::vector<std::string> PromptTemplate::input_variables() const {
  std::vector<std::string> out;
  for (const auto& v : variables_) {
    if (!partials_.count(v)) out.push_back(v);
  }
  return out;
}

std::vector<std::string> PromptTemplate::partial_variables() const {
  std::vector<std::string> out;
  for (const auto& [name, value] : partials_) out.push_back(name);
  return out;
}

std::string PromptTemplate::format_with(const Values& values, ExtraValues extra) const {
  std::vector<std::string> missing, unknown;
  for (const auto& v : input_variables()) {
    if (!values.count(v)) missing.push_back(v);
  }
  if (extra == ExtraValues::kReject) {
    for (const auto& [name, value] : values) {
      if (std::find(variables_.begin(), variables_.end(), name) == variables_.end()) {
        unknown.push_back(name);
      }
    }
  }
  if (!missing.empty() || !unknown.empty()) {
    std::string msg = "prompt template: ";
    if (!missing.empty()) msg += "missing values for " + join_names(missing);
    if (!missing.empty() && !unknown.empty()) msg += "; ";
    if (!unknown.empty()) msg += "values for unknown variables " + join_names(unknown);
    msg += " (the template's input variables: " + join_names(input_variables()) + ")";
    throw_error(ErrorCode::kInvalidArgument, msg);
  }
  // Partial functions are called once per format, even when the variable appears several times.
  std::map<std::string, std::string> resolved;
  for (const auto& [name, value] : partials_) {
    if (values.count(name)) continue;
    if (const auto* s = std::get_if<std::string>(&value)) {
      resolved[name] = *s;
    } else {
      const auto& fn = std::get<std::function<std::string()>>(value);
      LLMKIT_CHECK(fn, "prompt template: partial value of '", name, "' is an empty function");
      resolved[name] = fn();
    }
  }
  std::string out;
  for (size_t i = 0; i < pieces_.size(); ++i) {
    if (!is_var_[i]) {
      out += pieces_[i];
    } else if (auto it = values.find(pieces_[i]); it != values.end()) {
      out += it->second;
    } else {
      out += resolved.at(pieces_[i]);
    }
  }
  return out;
}

PromptTemplate PromptTemplate::partial(const PartialValues& values) const {
  std::vector<std::string> unknown;
  for (const auto& [name, value] : values) {
    if (std::find(variables_.begin(), variables_.end(), name) == variables_.end()) {
      unknown.push_back(name);
    }
  }
  LLMKIT_CHECK(unknown.empty(), "prompt template: partial() of unknown variables ",
               join_names(unknown), " (the template's variables: ", join_names(variables_), ")");
  PromptTemplate out = *this;
  for (const auto& [name, value] : values) out.partials_[name] = value;
  return out;
}

}  // namespace llmkit::prompt
