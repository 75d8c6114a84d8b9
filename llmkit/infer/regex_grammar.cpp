#include "llmkit/infer/regex_grammar.h"

#include <vector>

#include "llmkit/base/error.h"
#include "llmkit/infer/gbnf_emit.h"
#include "llmkit/infer/regex_tree.h"

namespace llmkit::infer {
namespace {

using gbnf::CodepointSet;
using regex_detail::chars_node;
using regex_detail::list_node;
using regex_detail::Node;
using regex_detail::repeat_node;

// Repetition counts above this are rejected: GBNF engines expand {m,n} into m..n copies.
constexpr int kMaxRepeat = 1000;

CodepointSet digit_set() {
  return CodepointSet::range('0', '9');
}

CodepointSet word_set() {
  CodepointSet s = CodepointSet::range('0', '9');
  s.add('A', 'Z');
  s.add('a', 'z');
  s.add('_', '_');
  return s;
}

// ECMAScript's WhiteSpace and LineTerminator code points.
CodepointSet space_set() {
  CodepointSet s = CodepointSet::range(0x09, 0x0D);
  for (uint32_t c : {0x20u, 0xA0u, 0x1680u, 0x2028u, 0x2029u, 0x202Fu, 0x205Fu, 0x3000u, 0xFEFFu}) {
    s.add(c, c);
  }
  s.add(0x2000, 0x200A);
  return s;
}

CodepointSet dot_set() {
  CodepointSet s = CodepointSet::all();
  CodepointSet line;
  line.add('\n', '\n');
  line.add('\r', '\r');
  line.add(0x2028, 0x2029);
  return s.minus(line);
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

class RegexParser {
 public:
  RegexParser(std::string_view re, bool search, detail::RegexChars chars, std::string_view what)
      : re_(re), search_(search), json_(chars == detail::RegexChars::kJsonString), what_(what) {}

  Node parse() {
    std::vector<Node> alts;
    while (true) {
      bool start = false, end = false;
      Node seq = sequence(/*top=*/true, &start, &end);
      if (search_) {
        Node any;
        if (json_) {
          any.kind = Node::Kind::kRaw;
          any.raw = gbnf::json_any_char();
        } else {
          any = chars_node(CodepointSet::all());
        }
        std::vector<Node> parts;
        if (!start) parts.push_back(repeat_node(any, 0, -1));
        parts.push_back(std::move(seq));
        if (!end) parts.push_back(repeat_node(any, 0, -1));
        seq = list_node(Node::Kind::kSeq, std::move(parts));
      }
      alts.push_back(std::move(seq));
      if (pos_ >= re_.size()) break;
      if (re_[pos_] == ')') fail(pos_, "unmatched ')'");
      ++pos_;  // '|'
    }
    return list_node(Node::Kind::kAlt, std::move(alts));
  }

 private:
  [[noreturn]] void fail(size_t at, const std::string& msg) const {
    throw_error(ErrorCode::kInvalidArgument,
                str_cat(what_, ": ", msg, " at byte offset ", at, " of '", re_, "'"));
  }

  // Alternatives up to ')' or the end (not consumed).
  Node alternation() {
    std::vector<Node> alts;
    while (true) {
      alts.push_back(sequence(/*top=*/false, nullptr, nullptr));
      if (pos_ >= re_.size() || re_[pos_] == ')') break;
      ++pos_;  // '|'
    }
    return list_node(Node::Kind::kAlt, std::move(alts));
  }

  Node sequence(bool top, bool* anchored_start, bool* anchored_end) {
    std::vector<Node> items;
    const size_t begin = pos_;
    while (pos_ < re_.size() && re_[pos_] != '|' && re_[pos_] != ')') {
      const char ch = re_[pos_];
      if (ch == '^') {
        if (!top || pos_ != begin) fail(pos_, "'^' is supported only at the start of the regex");
        *anchored_start = true;
        ++pos_;
        continue;
      }
      if (ch == '$') {
        const bool last = pos_ + 1 == re_.size() || re_[pos_ + 1] == '|';
        if (!top || !last) fail(pos_, "'$' is supported only at the end of the regex");
        *anchored_end = true;
        ++pos_;
        continue;
      }
      Node item = atom();
      items.push_back(quantifier(std::move(item)));
    }
    return list_node(Node::Kind::kSeq, std::move(items));
  }

  Node atom() {
    const size_t at = pos_;
    const char ch = re_[pos_];
    if (ch == '*' || ch == '+' || ch == '?') fail(at, str_cat("'", ch, "' has nothing to repeat"));
    if (ch == '{') fail(at, "'{' has nothing to repeat (write \\{ for a literal brace)");
    if (ch == '(') {
      ++pos_;
      if (re_.substr(pos_, 2) == "?:") {
        pos_ += 2;
      } else if (re_.substr(pos_, 2) == "?<" && re_.substr(pos_, 3) != "?<=" &&
                 re_.substr(pos_, 3) != "?<!") {
        const size_t close = re_.find('>', pos_);
        if (close == std::string_view::npos) fail(at, "unterminated group name");
        pos_ = close + 1;
      } else if (pos_ < re_.size() && re_[pos_] == '?') {
        fail(at, "lookaround and other (? groups are not supported");
      }
      Node inner = alternation();
      if (pos_ >= re_.size()) fail(at, "unbalanced '('");
      ++pos_;  // ')'
      return inner;
    }
    if (ch == '[') return chars_node(char_class());
    if (ch == '.') {
      ++pos_;
      return chars_node(dot_set());
    }
    if (ch == '\\') return chars_node(escape(/*in_class=*/false));
    return chars_node(CodepointSet::single(next_codepoint()));
  }

  uint32_t next_codepoint() {
    uint32_t c = 0;
    if (!gbnf::decode_utf8(re_, &pos_, &c)) fail(pos_, "malformed UTF-8");
    return c;
  }

  bool parse_int(int* value) {
    const size_t start = pos_;
    long v = 0;
    while (pos_ < re_.size() && re_[pos_] >= '0' && re_[pos_] <= '9') {
      v = v * 10 + (re_[pos_++] - '0');
      if (v > kMaxRepeat) fail(start, str_cat("repetition count above ", kMaxRepeat));
    }
    *value = static_cast<int>(v);
    return pos_ > start;
  }

  Node quantifier(Node item) {
    if (pos_ >= re_.size()) return item;
    const size_t at = pos_;
    const char ch = re_[pos_];
    int lo = 0, hi = -1;  // hi -1: unbounded
    if (ch == '*') {
      ++pos_;
    } else if (ch == '+') {
      lo = 1, ++pos_;
    } else if (ch == '?') {
      hi = 1, ++pos_;
    } else if (ch == '{') {
      const char* bad = "malformed quantifier (expected {m}, {m,} or {m,n})";
      ++pos_;
      if (!parse_int(&lo)) fail(at, bad);
      hi = lo;
      if (pos_ < re_.size() && re_[pos_] == ',') {
        ++pos_;
        hi = -1;
        if (pos_ < re_.size() && re_[pos_] != '}' && !parse_int(&hi)) fail(at, bad);
      }
      if (pos_ >= re_.size() || re_[pos_] != '}') fail(at, bad);
      ++pos_;
      if (hi >= 0 && hi < lo) fail(at, "quantifier {m,n} with n < m");
    } else {
      return item;
    }
    if (pos_ < re_.size() && re_[pos_] == '?') ++pos_;  // lazy: same language
    if (pos_ < re_.size() &&
        (re_[pos_] == '*' || re_[pos_] == '+' || re_[pos_] == '?' || re_[pos_] == '{')) {
      fail(pos_, "nested quantifier has nothing to repeat");
    }
    return repeat_node(std::move(item), lo, hi);
  }

  // At '[': the class's set (negation applied); consumes through the closing ']'.
  CodepointSet char_class() {
    const size_t at = pos_++;
    bool negate = false;
    if (pos_ < re_.size() && re_[pos_] == '^') negate = true, ++pos_;
    CodepointSet set;
    bool first = true;
    while (true) {
      if (pos_ >= re_.size()) fail(at, "unterminated character class");
      if (re_[pos_] == ']') {
        if (first && !negate) fail(at, "empty character class [] matches nothing");
        ++pos_;
        break;
      }
      first = false;
      const size_t item_at = pos_;
      uint32_t lo = 0;
      const CodepointSet lo_set = class_atom(&lo);
      uint32_t dummy = 0;
      if (pos_ + 1 < re_.size() && re_[pos_] == '-' && re_[pos_ + 1] != ']') {
        ++pos_;
        uint32_t hi = 0;
        const CodepointSet hi_set = class_atom(&hi);
        if (!lo_set.is_single(&dummy) || !hi_set.is_single(&dummy)) {
          fail(item_at, "a class escape cannot bound a range");
        }
        if (hi < lo) fail(item_at, "range out of order in character class");
        set.add(lo, hi);
      } else {
        set.add(lo_set);
      }
    }
    if (negate) set = set.complement();
    if (set.empty()) fail(at, "character class matches nothing");
    return set;
  }

  CodepointSet class_atom(uint32_t* single) {
    CodepointSet set =
        re_[pos_] == '\\' ? escape(/*in_class=*/true) : CodepointSet::single(next_codepoint());
    set.is_single(single);
    return set;
  }

  uint32_t hex_digits(size_t at, int n) {
    uint32_t v = 0;
    for (int i = 0; i < n; ++i) {
      const int d = pos_ < re_.size() ? hex_value(re_[pos_]) : -1;
      if (d < 0) fail(at, str_cat("escape needs ", n, " hex digits"));
      v = v * 16 + d;
      ++pos_;
    }
    return v;
  }

  // At '\\': the set the escape stands for; consumes it.
  CodepointSet escape(bool in_class) {
    const size_t at = pos_++;
    if (pos_ >= re_.size()) fail(at, "regex ends with '\\'");
    const char e = re_[pos_];
    switch (e) {
      case 'd':
        return ++pos_, digit_set();
      case 'D':
        return ++pos_, digit_set().complement();
      case 'w':
        return ++pos_, word_set();
      case 'W':
        return ++pos_, word_set().complement();
      case 's':
        return ++pos_, space_set();
      case 'S':
        return ++pos_, space_set().complement();
      case 'n':
        return ++pos_, CodepointSet::single('\n');
      case 'r':
        return ++pos_, CodepointSet::single('\r');
      case 't':
        return ++pos_, CodepointSet::single('\t');
      case 'f':
        return ++pos_, CodepointSet::single('\f');
      case 'v':
        return ++pos_, CodepointSet::single('\v');
      case 'b':
        if (!in_class) fail(at, "word boundary \\b is not supported");
        return ++pos_, CodepointSet::single(0x08);
      case 'B':
        fail(at, "word boundary \\B is not supported");
      case 'c':
        fail(at, "control escape \\c is not supported");
      case 'p':
      case 'P':
        fail(at, "Unicode property escapes are not supported");
      case 'k':
        fail(at, "named back-references are not supported");
      case '0':
        ++pos_;
        if (pos_ < re_.size() && re_[pos_] >= '0' && re_[pos_] <= '9') {
          fail(at, "octal escapes are not supported");
        }
        return CodepointSet::single(0);
      case 'x':
        ++pos_;
        return CodepointSet::single(hex_digits(at, 2));
      case 'u':
        return ++pos_, CodepointSet::single(unicode_escape(at));
      default:
        break;
    }
    if (e >= '1' && e <= '9') fail(at, "back-references are not supported");
    if ((e >= 'a' && e <= 'z') || (e >= 'A' && e <= 'Z')) {
      fail(at, str_cat("unknown escape \\", e));
    }
    return CodepointSet::single(next_codepoint());
  }

  // After "\\u": four hex digits, or a surrogate pair written as two \\u escapes.
  uint32_t unicode_escape(size_t at) {
    if (pos_ < re_.size() && re_[pos_] == '{') fail(at, "\\u{...} escapes are not supported");
    uint32_t c = hex_digits(at, 4);
    if (c >= 0xD800 && c <= 0xDBFF && re_.substr(pos_, 2) == "\\u") {
      pos_ += 2;
      const uint32_t low = hex_digits(at, 4);
      if (low < 0xDC00 || low > 0xDFFF) fail(at, "unpaired surrogate in \\u escape");
      return 0x10000 + ((c - 0xD800) << 10) + (low - 0xDC00);
    }
    if (c >= 0xD800 && c <= 0xDFFF) fail(at, "unpaired surrogate in \\u escape");
    return c;
  }

  std::string_view re_;
  bool search_;
  bool json_;
  std::string_view what_;
  size_t pos_ = 0;
};

}  // namespace

namespace detail {

std::string regex_expression(std::string_view regex, bool search, RegexChars chars,
                             std::string_view what) {
  const Node tree = RegexParser(regex, search, chars, what).parse();
  return regex_detail::emit_gbnf(tree, chars == RegexChars::kJsonString);
}

}  // namespace detail

std::string regex_to_gbnf(std::string_view regex) {
  return "root ::= " +
         detail::regex_expression(regex, /*search=*/false, detail::RegexChars::kPlain, "regex") +
         "\n";
}

}  // namespace llmkit::infer
