#include "llmkit/prompt/output_parser.h"

#include <optional>

namespace llmkit::prompt {
namespace {

std::string_view trim(std::string_view s) {
  const char* ws = " \t\r\n\f\v";
  const size_t b = s.find_first_not_of(ws);
  if (b == std::string_view::npos) return {};
  return s.substr(b, s.find_last_not_of(ws) - b + 1);
}

// The end (one past the matching bracket) of the bracketed span starting at text[start] ('{' or
// '['), skipping brackets inside JSON strings; nullopt when it is never closed.
std::optional<size_t> balanced_end(std::string_view text, size_t start) {
  int depth = 0;
  for (size_t i = start; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '"') {
      for (++i; i < text.size() && text[i] != '"'; ++i) {
        if (text[i] == '\\') ++i;
      }
      if (i >= text.size()) return std::nullopt;
    } else if (c == '{' || c == '[') {
      ++depth;
    } else if (c == '}' || c == ']') {
      if (--depth == 0) return i + 1;
    }
  }
  return std::nullopt;
}

// Parses s as one JSON value; on failure stores the parser's message in error (first failure only).
std::optional<nlohmann::json> try_parse(std::string_view s, std::string& error) {
  try {
    return nlohmann::json::parse(s);
  } catch (const nlohmann::json::exception& e) {
    if (error.empty()) error = e.what();
    return std::nullopt;
  }
}

}  // namespace

OutputParseError::OutputParseError(const std::string& message, std::string raw)
    : Error(ErrorCode::kInvalidArgument, message), raw_(std::move(raw)) {}

FencedBlock first_fenced_block(std::string_view text) {
  FencedBlock out;
  const size_t open = text.find("```");
  if (open == std::string_view::npos) return out;
  out.found = true;
  size_t line_end = text.find('\n', open + 3);
  if (line_end == std::string_view::npos) line_end = text.size();
  out.language = std::string(trim(text.substr(open + 3, line_end - open - 3)));
  const size_t body = std::min(line_end + 1, text.size());
  const size_t close = text.find("```", body);
  out.content = std::string(
      text.substr(body, (close == std::string_view::npos ? text.size() : close) - body));
  return out;
}

nlohmann::json JsonOutputParser::parse(std::string_view text) const {
  std::string error;
  const FencedBlock fence = first_fenced_block(text);
  if (fence.found) {
    if (auto v = try_parse(trim(fence.content), error)) return *v;
  }
  const std::string_view whole = trim(text);
  if (!whole.empty()) {
    std::string ignored;  // prose around JSON fails here; the span search below reports better
    if (auto v = try_parse(whole, ignored)) return *v;
  }
  // The first balanced span that parses; a span that does not parse is skipped as a whole, so an
  // array nested in a broken object is not taken for the answer.
  size_t pos = text.find_first_of("{[");
  while (pos != std::string_view::npos) {
    const auto end = balanced_end(text, pos);
    if (!end) {
      if (error.empty()) {
        error =
            str_cat("the '", text[pos], "' at offset ", pos, " is never closed (output cut off?)");
      }
      break;
    }
    if (auto v = try_parse(text.substr(pos, *end - pos), error)) return *v;
    pos = text.find_first_of("{[", *end);
  }
  if (error.empty()) error = "no JSON value found";
  throw OutputParseError(str_cat("JSON output parser: ", error), std::string(text));
}

std::string JsonOutputParser::format_instructions() const {
  std::string out =
      "Answer with a single JSON value and nothing else: no explanation before or after it.";
  if (!schema_hint_.empty()) {
    out += " The JSON must follow this schema:\n```json\n" + schema_hint_ + "\n```";
  }
  return out;
}

std::vector<std::string> ListOutputParser::parse(std::string_view text) const {
  std::vector<std::string> items;
  if (style_ == Style::kComma) {
    size_t start = 0;
    while (start <= text.size()) {
      size_t comma = text.find(',', start);
      if (comma == std::string_view::npos) comma = text.size();
      const auto item = trim(text.substr(start, comma - start));
      if (!item.empty()) items.emplace_back(item);
      start = comma + 1;
    }
  } else {
    size_t start = 0;
    while (start < text.size()) {
      size_t nl = text.find('\n', start);
      if (nl == std::string_view::npos) nl = text.size();
      std::string_view line = trim(text.substr(start, nl - start));
      start = nl + 1;
      if (style_ == Style::kNewline) {
        for (std::string_view bullet : {"-", "*", "+", "\xE2\x80\xA2"}) {
          if (line.substr(0, bullet.size()) == bullet) {
            const std::string_view rest = line.substr(bullet.size());
            // "-x" is an item, not a bullet; "- x" and a lone "-" are bullets.
            if (rest.empty() || rest[0] == ' ' || rest[0] == '\t') line = trim(rest);
            break;
          }
        }
        if (!line.empty()) items.emplace_back(line);
        continue;
      }
      size_t digits = 0;
      while (digits < line.size() && line[digits] >= '0' && line[digits] <= '9') ++digits;
      if (digits == 0 || digits >= line.size() || (line[digits] != '.' && line[digits] != ')')) {
        continue;
      }
      const auto item = trim(line.substr(digits + 1));
      if (!item.empty()) items.emplace_back(item);
    }
  }
  if (items.empty()) {
    const char* what = style_ == Style::kComma     ? "no comma-separated items"
                       : style_ == Style::kNewline ? "no list items (one per line)"
                                                   : "no numbered items (\"1. item\")";
    throw OutputParseError(str_cat("list output parser: ", what, " found"), std::string(text));
  }
  return items;
}

std::string ListOutputParser::format_instructions() const {
  switch (style_) {
    case Style::kComma:
      return "Answer with a list of comma-separated values and nothing else, e.g. `foo, bar, baz`.";
    case Style::kNewline:
      return "Answer with a list of items, one per line, and nothing else.";
    case Style::kNumbered:
      return "Answer with a numbered list, one item per line, e.g.\n1. foo\n2. bar\n3. baz";
  }
  return {};
}

std::map<std::string, std::string> KeyValueOutputParser::parse(std::string_view text) const {
  LLMKIT_CHECK(!separator_.empty(), "key-value output parser: the separator is empty");
  std::map<std::string, std::string> out;
  size_t start = 0, line_no = 0;
  while (start < text.size()) {
    size_t nl = text.find('\n', start);
    if (nl == std::string_view::npos) nl = text.size();
    std::string_view line = trim(text.substr(start, nl - start));
    start = nl + 1;
    ++line_no;
    if (line.empty()) continue;
    if (line.size() >= 2 && (line[0] == '-' || line[0] == '*') && line[1] == ' ') {
      line = trim(line.substr(2));
    }
    const size_t sep = line.find(separator_);
    if (sep == std::string_view::npos || trim(line.substr(0, sep)).empty()) {
      throw OutputParseError(str_cat("key-value output parser: line ", line_no, " is not 'key",
                                     separator_, " value': '", line, "'"),
                             std::string(text));
    }
    std::string key(trim(line.substr(0, sep)));
    if (out.count(key)) {
      throw OutputParseError(
          str_cat("key-value output parser: key '", key, "' given twice (line ", line_no, ")"),
          std::string(text));
    }
    out[key] = std::string(trim(line.substr(sep + separator_.size())));
  }
  std::vector<std::string> missing;
  for (const auto& k : required_keys_) {
    if (!out.count(k)) missing.push_back(k);
  }
  if (!missing.empty()) {
    std::string names;
    for (size_t i = 0; i < missing.size(); ++i) names += (i ? ", " : "") + missing[i];
    throw OutputParseError(str_cat("key-value output parser: missing keys ", names),
                           std::string(text));
  }
  return out;
}

std::string KeyValueOutputParser::format_instructions() const {
  std::string out = str_cat("Answer with one `key", separator_, " value` pair per line");
  if (required_keys_.empty()) return out + " and nothing else.";
  out += ", with exactly these keys:";
  for (const auto& k : required_keys_) out += str_cat("\n", k, separator_, " ...");
  return out;
}

}  // namespace llmkit::prompt
