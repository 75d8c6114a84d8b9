#include "llmkit/prompt/jinja_lexer.h"

#include "llmkit/tokenizer/hf_text.h"

#include <algorithm>
#include <cstdlib>
#include <cstring>

#include "llmkit/base/error.h"

namespace llmkit::prompt::jinja {
namespace {

bool is_space(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}
bool is_digit(char c) {
  return c >= '0' && c <= '9';
}
bool is_name_start(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' ||
         static_cast<unsigned char>(c) >= 0x80;
}
bool is_name_char(char c) {
  return is_name_start(c) || is_digit(c);
}

class Lexer {
 public:
  Lexer(std::string source, const std::string& name, const LexOptions& options)
      : src_(std::move(source)), name_(name), opt_(options) {
    line_starts_.push_back(0);
    for (size_t i = 0; i < src_.size(); ++i) {
      if (src_[i] == '\n') line_starts_.push_back(i + 1);
    }
  }

  std::vector<Token> run() {
    size_t pos = 0;
    bool line_starting = true;
    while (pos < src_.size()) {
      // The next tag opener: "{{", "{%" or "{#".
      size_t tag = pos;
      while (true) {
        tag = src_.find('{', tag);
        if (tag == std::string::npos || tag + 1 >= src_.size()) {
          tag = std::string::npos;
          break;
        }
        char c = src_[tag + 1];
        if (c == '{' || c == '%' || c == '#') break;
        ++tag;
      }
      if (tag == std::string::npos) {
        push_data(pos, src_.substr(pos));
        break;
      }
      const char type = src_[tag + 1];
      const char sign = tag + 2 < src_.size() ? src_[tag + 2] : '\0';
      std::string text = src_.substr(pos, tag - pos);
      if (sign == '-') {
        size_t end = text.size();
        while (end > 0 && is_space(text[end - 1])) --end;
        text.resize(end);
      } else if (sign != '+' && opt_.lstrip_blocks && type != '{') {
        text = lstrip_tail(text, line_starting);
      }
      push_data(pos, text);
      size_t body = tag + 2 + ((sign == '-' || sign == '+') ? 1 : 0);
      if (type == '#') {
        pos = skip_comment(tag, body, line_starting);
      } else if (type == '%' && is_raw_begin(body, &pos)) {
        pos = lex_raw(tag, pos, line_starting);
      } else {
        pos = lex_tag(type == '{', tag, body, line_starting);
      }
    }
    Token eof;
    eof.kind = TokenKind::kEof;
    position(src_.size(), &eof);
    tokens_.push_back(eof);
    return std::move(tokens_);
  }

 private:
  // lstrip_blocks: drops the spaces and tabs between the last line start and a block tag.
  static std::string lstrip_tail(const std::string& text, bool line_starting) {
    size_t l_pos = text.rfind('\n');
    l_pos = l_pos == std::string::npos ? 0 : l_pos + 1;
    if (l_pos == 0 && !line_starting) return text;
    if (l_pos == text.size()) return text;
    for (size_t i = l_pos; i < text.size(); ++i) {
      if (!is_space(text[i])) return text;
    }
    return text.substr(0, l_pos);
  }

  void position(size_t offset, Token* t) const {
    auto it = std::upper_bound(line_starts_.begin(), line_starts_.end(), offset);
    size_t start = *(it - 1);
    t->line = static_cast<int>(it - line_starts_.begin());
    int col = 1;
    for (size_t i = start; i < offset && i < src_.size(); ++i) {
      if ((static_cast<unsigned char>(src_[i]) & 0xC0) != 0x80) ++col;
    }
    t->column = col;
  }

  [[noreturn]] void fail(size_t offset, const std::string& what) const {
    Token t;
    position(offset, &t);
    fail_at(name_, t.line, t.column, what);
  }

  void push(TokenKind kind, size_t offset, std::string value) {
    Token t;
    t.kind = kind;
    t.value = std::move(value);
    position(offset, &t);
    tokens_.push_back(std::move(t));
  }

  void push_data(size_t offset, std::string text) {
    if (!text.empty()) push(TokenKind::kData, offset, std::move(text));
  }

  bool starts_with(size_t pos, const char* s) const {
    return src_.compare(pos, std::strlen(s), s) == 0;
  }

  // After an end marker: "-" strips all following whitespace; a plain end of a block tag or
  // comment eats one newline under trim_blocks; "+" keeps everything.
  size_t after_end(size_t pos, char sign, bool trims, bool* line_starting) {
    size_t start = pos;
    if (sign == '-') {
      while (pos < src_.size() && is_space(src_[pos])) ++pos;
    } else if (sign != '+' && trims && opt_.trim_blocks && pos < src_.size() && src_[pos] == '\n') {
      ++pos;
    }
    *line_starting = pos > start ? src_[pos - 1] == '\n' : false;
    return pos;
  }

  size_t skip_comment(size_t tag, size_t body, bool& line_starting) {
    for (size_t p = body; p + 1 < src_.size(); ++p) {
      if ((src_[p] == '+' || src_[p] == '-') && starts_with(p + 1, "#}")) {
        return after_end(p + 3, src_[p], true, &line_starting);
      }
      if (starts_with(p, "#}")) return after_end(p + 2, '\0', true, &line_starting);
    }
    fail(tag, "missing end of comment tag '#}'");
  }

  bool is_raw_begin(size_t body, size_t* end) const {
    size_t p = body;
    while (p < src_.size() && is_space(src_[p])) ++p;
    if (!starts_with(p, "raw")) return false;
    p += 3;
    size_t q = p;
    while (q < src_.size() && is_space(src_[q])) ++q;
    if (starts_with(q, "-%}")) {
      q += 3;
      while (q < src_.size() && is_space(src_[q])) ++q;
    } else if (starts_with(q, "%}")) {
      q += 2;
    } else {
      return false;
    }
    *end = q;
    return true;
  }

  size_t lex_raw(size_t tag, size_t pos, bool& line_starting) {
    for (size_t p = pos; p + 1 < src_.size(); ++p) {
      if (!starts_with(p, "{%")) continue;
      size_t q = p + 2;
      char sign = '\0';
      if (q < src_.size() && (src_[q] == '-' || src_[q] == '+')) sign = src_[q++];
      while (q < src_.size() && is_space(src_[q])) ++q;
      if (!starts_with(q, "endraw")) continue;
      q += 6;
      while (q < src_.size() && is_space(src_[q])) ++q;
      char end_sign = '\0';
      if (q < src_.size() && (src_[q] == '-' || src_[q] == '+')) end_sign = src_[q++];
      if (!starts_with(q, "%}")) continue;
      std::string text = src_.substr(pos, p - pos);
      if (sign == '-') {
        while (!text.empty() && is_space(text.back())) text.pop_back();
      } else if (sign != '+' && opt_.lstrip_blocks) {
        text = lstrip_tail(text, false);
      }
      push_data(pos, text);
      return after_end(q + 2, end_sign, true, &line_starting);
    }
    fail(tag, "missing end of raw directive '{% endraw %}'");
  }

  size_t lex_tag(bool variable, size_t tag, size_t pos, bool& line_starting) {
    push(variable ? TokenKind::kVarBegin : TokenKind::kBlockBegin, tag, variable ? "{{" : "{%");
    std::vector<char> balance;
    const char* close = variable ? "}}" : "%}";
    while (pos < src_.size()) {
      if (balance.empty()) {
        char sign = '\0';
        size_t p = pos;
        if ((src_[p] == '-' || (!variable && src_[p] == '+')) && starts_with(p + 1, close)) {
          sign = src_[p++];
        }
        if (starts_with(p, close)) {
          push(variable ? TokenKind::kVarEnd : TokenKind::kBlockEnd, pos, close);
          return after_end(p + 2, sign, !variable, &line_starting);
        }
      }
      char c = src_[pos];
      if (is_space(c)) {
        ++pos;
      } else if (is_digit(c)) {
        pos = lex_number(pos);
      } else if (is_name_start(c)) {
        size_t end = pos;
        while (end < src_.size() && is_name_char(src_[end])) ++end;
        push(TokenKind::kName, pos, src_.substr(pos, end - pos));
        pos = end;
      } else if (c == '\'' || c == '"') {
        pos = lex_string(pos);
      } else {
        static const char* const kOps[] = {"//", "**", "==", "!=", ">=", "<=", "+", "-", "/",
                                           "*",  "%",  "~",  "[",  "]",  "(",  ")", "{", "}",
                                           "==", ">",  "<",  "=",  ".",  ":",  "|", ",", ";"};
        const char* op = nullptr;
        for (const char* o : kOps) {
          if (starts_with(pos, o)) {
            op = o;
            break;
          }
        }
        if (op == nullptr) fail(pos, str_cat("unexpected character '", c, "' in tag"));
        std::string s = op;
        if (s == "(" || s == "[" || s == "{") {
          balance.push_back(s == "(" ? ')' : s == "[" ? ']' : '}');
        } else if (s == ")" || s == "]" || s == "}") {
          if (balance.empty()) fail(pos, str_cat("unexpected '", s, "'"));
          if (balance.back() != s[0]) {
            fail(pos, str_cat("unexpected '", s, "', expected '", balance.back(), "'"));
          }
          balance.pop_back();
        }
        push(TokenKind::kOp, pos, s);
        pos += s.size();
      }
    }
    return pos;  // the parser reports the missing end of the tag
  }

  size_t lex_number(size_t pos) {
    auto digits = [&](size_t p) {
      while (p < src_.size() && (is_digit(src_[p]) || (src_[p] == '_' && p + 1 < src_.size() &&
                                                       is_digit(src_[p + 1])))) {
        ++p;
      }
      return p;
    };
    size_t end = digits(pos);
    bool is_float = false;
    if (end + 1 < src_.size() && src_[end] == '.' && is_digit(src_[end + 1])) {
      end = digits(end + 1);
      is_float = true;
    }
    if (end < src_.size() && (src_[end] == 'e' || src_[end] == 'E')) {
      size_t p = end + 1;
      if (p < src_.size() && (src_[p] == '+' || src_[p] == '-')) ++p;
      if (p < src_.size() && is_digit(src_[p])) {
        end = digits(p);
        is_float = true;
      }
    }
    std::string text;
    for (size_t i = pos; i < end; ++i) {
      if (src_[i] != '_') text += src_[i];
    }
    Token t;
    t.value = text;
    position(pos, &t);
    if (is_float) {
      t.kind = TokenKind::kFloat;
      t.float_value = std::strtod(text.c_str(), nullptr);  // no throw on underflow
    } else {
      t.kind = TokenKind::kInt;
      if (text.size() > 1 && text[0] == '0' && text.find_first_not_of('0') != std::string::npos) {
        fail(pos, str_cat("invalid integer literal '", text, "'"));
      }
      try {
        t.int_value = std::stoll(text);
      } catch (const std::exception&) {
        fail(pos, str_cat("integer literal '", text, "' is out of range"));
      }
    }
    tokens_.push_back(std::move(t));
    return end;
  }

  // Python "unicode-escape" decoding of the literal's body.
  size_t lex_string(size_t pos) {
    const char quote = src_[pos];
    std::string out;
    size_t p = pos + 1;
    while (true) {
      if (p >= src_.size()) fail(pos, "unterminated string literal");
      char c = src_[p];
      if (c == quote) break;
      if (c != '\\') {
        out += c;
        ++p;
        continue;
      }
      if (p + 1 >= src_.size()) fail(pos, "unterminated string literal");
      char e = src_[p + 1];
      p += 2;
      auto hex = [&](int n) {
        uint32_t v = 0;
        for (int i = 0; i < n; ++i, ++p) {
          char h = p < src_.size() ? src_[p] : '\0';
          int d = is_digit(h)              ? h - '0'
                  : (h >= 'a' && h <= 'f') ? h - 'a' + 10
                  : (h >= 'A' && h <= 'F') ? h - 'A' + 10
                                           : -1;
          if (d < 0) fail(pos, str_cat("truncated \\", e, " escape in string literal"));
          v = v * 16 + static_cast<uint32_t>(d);
        }
        return v;
      };
      switch (e) {
        case '\n':
          break;
        case '\\':
          out += '\\';
          break;
        case '\'':
          out += '\'';
          break;
        case '"':
          out += '"';
          break;
        case 'a':
          out += '\a';
          break;
        case 'b':
          out += '\b';
          break;
        case 'f':
          out += '\f';
          break;
        case 'n':
          out += '\n';
          break;
        case 'r':
          out += '\r';
          break;
        case 't':
          out += '\t';
          break;
        case 'v':
          out += '\v';
          break;
        case 'x':
          tokenizer::hf::append_utf8(out, hex(2));
          break;
        case 'u':
          tokenizer::hf::append_utf8(out, hex(4));
          break;
        case 'U':
          tokenizer::hf::append_utf8(out, hex(8));
          break;
        default:
          if (e >= '0' && e <= '7') {
            uint32_t v = static_cast<uint32_t>(e - '0');
            for (int i = 0; i < 2 && p < src_.size() && src_[p] >= '0' && src_[p] <= '7'; ++i) {
              v = v * 8 + static_cast<uint32_t>(src_[p++] - '0');
            }
            tokenizer::hf::append_utf8(out, v);
          } else {
            out += '\\';
            out += e;
          }
      }
    }
    push(TokenKind::kString, pos, std::move(out));
    return p + 1;
  }

  std::string src_;
  const std::string& name_;
  LexOptions opt_;
  std::vector<size_t> line_starts_;
  std::vector<Token> tokens_;
};

// Splits on \r\n, \r, \n and joins with \n; drops one trailing newline unless kept.
std::string normalize_newlines(const std::string& source, bool keep_trailing_newline) {
  std::string out;
  out.reserve(source.size());
  for (size_t i = 0; i < source.size(); ++i) {
    if (source[i] == '\r') {
      out += '\n';
      if (i + 1 < source.size() && source[i + 1] == '\n') ++i;
    } else {
      out += source[i];
    }
  }
  if (!keep_trailing_newline && !out.empty() && out.back() == '\n') out.pop_back();
  return out;
}

}  // namespace

void fail_at(const std::string& name, int line, int column, const std::string& what) {
  throw_error(ErrorCode::kInvalidArgument, str_cat(name, ":", line, ":", column, ": ", what));
}

std::vector<Token> tokenize(const std::string& source, const std::string& name,
                            const LexOptions& options) {
  Lexer lexer(normalize_newlines(source, options.keep_trailing_newline), name, options);
  return lexer.run();
}

}  // namespace llmkit::prompt::jinja
