// GBNF text -> Grammar::RuleDef list (the syntax; grammar.cpp does the analysis). The accepted
// syntax follows llama.cpp's parser: spaces, tabs and # comments separate items; newlines do so
// only inside parentheses, after `|` and after `::=`; a rule ends at the next newline otherwise.
#include <algorithm>
#include <cstdint>
#include <limits>
#include <map>
#include <string>
#include <unordered_map>

#include "llmkit/base/error.h"
#include "llmkit/infer/grammar.h"

namespace llmkit::infer {
namespace {

constexpr uint32_t kMaxCodePoint = 0x10FFFF;
constexpr uint64_t kMaxRepetition = 10000;
constexpr size_t kMaxSymbols = size_t{1} << 22;
constexpr uint64_t kUnbounded = std::numeric_limits<uint64_t>::max();

bool is_word_char(int c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-';
}
bool is_digit(int c) {
  return c >= '0' && c <= '9';
}

// Sorts and merges ranges into the canonical CharRanges form.
CharRanges normalize(CharRanges r) {
  std::sort(r.begin(), r.end());
  CharRanges out;
  for (const auto& [lo, hi] : r) {
    if (!out.empty() && lo <= out.back().second + 1) {
      out.back().second = std::max(out.back().second, hi);
    } else {
      out.emplace_back(lo, hi);
    }
  }
  return out;
}

CharRanges complement(const CharRanges& r) {
  CharRanges out;
  uint32_t next = 0;
  for (const auto& [lo, hi] : r) {
    if (lo > next) out.emplace_back(next, lo - 1);
    next = hi + 1;
  }
  if (next <= kMaxCodePoint) out.emplace_back(next, kMaxCodePoint);
  return out;
}

class Parser {
 public:
  explicit Parser(std::string_view src) : src_(src) {}

  std::shared_ptr<const Grammar> run(std::string_view root) {
    skip_space(true);
    while (!at_end()) parse_rule();
    for (size_t r = 0; r < rules_.size(); ++r) {
      if (!defined_[r]) fail(first_use_[r], str_cat("undefined rule '", rules_[r].name, "'"));
    }
    auto it = ids_.find(std::string(root));
    LLMKIT_CHECK(it != ids_.end(), "grammar line 1, column 1: no rule named '", root,
                 "' (the start rule); define `", root, " ::= ...`");
    return std::make_shared<const Grammar>(std::move(rules_), std::move(sets_), it->second);
  }

 private:
  using Seq = std::vector<GrammarSymbol>;

  bool at_end() const { return pos_ >= src_.size(); }
  // The byte at pos_ + k, or -1 past the end.
  int peek(size_t k = 0) const {
    return pos_ + k < src_.size() ? static_cast<unsigned char>(src_[pos_ + k]) : -1;
  }

  // "line L, column C" of byte offset at; columns count code points. Amortized O(1) for offsets
  // that only grow (the cursor resumes from the last one asked for).
  std::string where(size_t at) const {
    if (at < cursor_.at) cursor_ = {};
    for (; cursor_.at < at && cursor_.at < src_.size(); ++cursor_.at) {
      const auto c = static_cast<unsigned char>(src_[cursor_.at]);
      if (c == '\n') {
        ++cursor_.line;
        cursor_.column = 1;
      } else if ((c & 0xC0) != 0x80) {
        ++cursor_.column;
      }
    }
    return str_cat("line ", cursor_.line, ", column ", cursor_.column);
  }

  [[noreturn]] void fail(size_t at, const std::string& what) const {
    throw_error(ErrorCode::kInvalidArgument, str_cat("grammar ", where(at), ": ", what));
  }

  // Names the byte at pos_ for messages.
  std::string found() const {
    if (at_end()) return "the end of the text";
    const int c = peek();
    if (c == '\n' || c == '\r') return "a newline";
    if (c < 0x20 || c >= 0x7F) return str_cat("byte 0x", std::hex, c);
    return str_cat("'", static_cast<char>(c), "'");
  }

  void skip_space(bool newline_ok) {
    while (!at_end()) {
      const int c = peek();
      if (c == '#') {
        while (!at_end() && peek() != '\n' && peek() != '\r') ++pos_;
      } else if (c == ' ' || c == '\t' || (newline_ok && (c == '\n' || c == '\r'))) {
        ++pos_;
      } else {
        break;
      }
    }
  }

  uint32_t rule_id(const std::string& name, size_t at) {
    auto [it, added] = ids_.emplace(name, static_cast<uint32_t>(rules_.size()));
    if (added) {
      rules_.push_back({name, {}, where(at), it->second});
      defined_.push_back(false);
      first_use_.push_back(at);
    }
    return it->second;
  }

  uint32_t generated_rule(size_t at) {
    const auto id = static_cast<uint32_t>(rules_.size());
    rules_.push_back({str_cat(rules_[owner_].name, "_", id), {}, where(at), owner_});
    defined_.push_back(true);
    first_use_.push_back(at);
    return id;
  }

  GrammarSymbol chars(CharRanges ranges) {
    ranges = normalize(std::move(ranges));
    auto [it, added] = set_ids_.emplace(ranges, static_cast<uint32_t>(sets_.size()));
    if (added) sets_.push_back(std::move(ranges));
    return {GrammarSymbol::kChars, it->second};
  }

  void count_symbols(size_t n, size_t at) {
    n_symbols_ += n;
    if (n_symbols_ > kMaxSymbols) {
      fail(at, "the grammar is too large once repetitions are expanded; use smaller {m,n} bounds");
    }
  }

  void parse_rule() {
    const size_t start = pos_;
    std::string name = parse_name();
    const uint32_t id = rule_id(name, start);
    if (defined_[id]) fail(start, str_cat("rule '", name, "' is defined twice"));
    defined_[id] = true;
    rules_[id].where = where(start);
    skip_space(false);
    if (src_.substr(pos_, 3) != "::=") fail(pos_, str_cat("expected '::=' after '", name, "'"));
    pos_ += 3;
    skip_space(true);
    owner_ = id;
    auto alts = parse_alternates(false);
    rules_[id].alternatives = std::move(alts);
    if (peek() == '\r') {
      pos_ += peek(1) == '\n' ? 2 : 1;
    } else if (peek() == '\n') {
      ++pos_;
    } else if (!at_end()) {
      if (peek() == ')') fail(pos_, "')' without a matching '('");
      fail(pos_, str_cat("expected a newline at the end of rule '", name, "', found ", found()));
    }
    skip_space(true);
  }

  std::string parse_name() {
    const size_t start = pos_;
    while (is_word_char(peek())) ++pos_;
    if (pos_ == start) fail(pos_, str_cat("expected a rule name, found ", found()));
    return std::string(src_.substr(start, pos_ - start));
  }

  std::vector<Seq> parse_alternates(bool nested) {
    std::vector<Seq> alts;
    alts.push_back(parse_sequence(nested));
    while (peek() == '|') {
      ++pos_;
      skip_space(true);
      alts.push_back(parse_sequence(nested));
    }
    return alts;
  }

  uint64_t parse_int() {
    const size_t start = pos_;
    uint64_t v = 0;
    while (is_digit(peek())) {
      v = std::min<uint64_t>(v * 10 + static_cast<uint64_t>(peek() - '0'), kUnbounded / 20);
      ++pos_;
    }
    if (pos_ == start) fail(pos_, str_cat("expected a number, found ", found()));
    return v;
  }

  Seq parse_sequence(bool nested) {
    Seq seq;
    size_t last_start = 0;  // where the last item starts in seq (== seq.size(): none)
    bool have_item = false;
    while (!at_end()) {
      const size_t at = pos_;
      const int c = peek();
      if (c == '"') {
        ++pos_;
        last_start = seq.size();
        have_item = true;
        while (peek() != '"') {
          if (at_end()) fail(at, "unterminated string literal");
          const uint32_t cp = parse_char();
          seq.push_back(chars({{cp, cp}}));
        }
        ++pos_;
        count_symbols(seq.size() - last_start, at);
      } else if (c == '[') {
        ++pos_;
        const bool negated = peek() == '^';
        if (negated) ++pos_;
        CharRanges ranges;
        while (peek() != ']') {
          if (at_end()) fail(at, "unterminated character class");
          const size_t char_at = pos_;
          const uint32_t lo = parse_char();
          uint32_t hi = lo;
          if (peek() == '-' && peek(1) != ']' && peek(1) != -1) {
            ++pos_;
            hi = parse_char();
            if (hi < lo) fail(char_at, "character range with its end before its start");
          }
          ranges.emplace_back(lo, hi);
        }
        ++pos_;
        if (negated) ranges = complement(normalize(std::move(ranges)));
        last_start = seq.size();
        have_item = true;
        seq.push_back(chars(std::move(ranges)));
        count_symbols(1, at);
      } else if (c == '.') {
        ++pos_;
        last_start = seq.size();
        have_item = true;
        seq.push_back(chars({{0, kMaxCodePoint}}));
        count_symbols(1, at);
      } else if (is_word_char(c)) {
        const std::string name = parse_name();
        last_start = seq.size();
        have_item = true;
        seq.push_back({GrammarSymbol::kRule, rule_id(name, at)});
        count_symbols(1, at);
      } else if (c == '(') {
        ++pos_;
        skip_space(true);
        const uint32_t id = generated_rule(at);
        auto alts = parse_alternates(true);
        rules_[id].alternatives = std::move(alts);
        if (peek() != ')') fail(at, str_cat("'(' is not closed: expected ')', found ", found()));
        ++pos_;
        last_start = seq.size();
        have_item = true;
        seq.push_back({GrammarSymbol::kRule, id});
        count_symbols(1, at);
      } else if (c == '*' || c == '+' || c == '?' || c == '{') {
        if (!have_item) fail(at, str_cat("'", static_cast<char>(c), "' must follow an item"));
        ++pos_;
        uint64_t lo = 0, hi = kUnbounded;
        if (c == '+') lo = 1;
        if (c == '?') hi = 1;
        if (c == '{') {
          skip_space(nested);
          lo = parse_int();
          skip_space(nested);
          if (peek() == '}') {
            hi = lo;
          } else if (peek() == ',') {
            ++pos_;
            skip_space(nested);
            if (is_digit(peek())) {
              hi = parse_int();
              skip_space(nested);
            }
            if (peek() != '}') fail(pos_, str_cat("expected '}' in {m,n}, found ", found()));
          } else {
            fail(pos_, str_cat("expected ',' or '}' in {m,n}, found ", found()));
          }
          ++pos_;
          if (lo > kMaxRepetition || (hi != kUnbounded && hi > kMaxRepetition)) {
            fail(at, str_cat("repetition bound above ", kMaxRepetition));
          }
          if (hi < lo) fail(at, "repetition {m,n} with n < m");
        }
        repeat(seq, last_start, lo, hi, at);
      } else if (c == '<' || c == '!') {
        fail(at, "token references (<...>, !<...>) are not supported");
      } else {
        break;
      }
      skip_space(nested);
    }
    return seq;
  }

  // Rewrites seq[last_start..] (the last item S) as S{lo,hi} (hi == kUnbounded: no maximum).
  void repeat(Seq& seq, size_t last_start, uint64_t lo, uint64_t hi, size_t at) {
    const Seq item(seq.begin() + static_cast<std::ptrdiff_t>(last_start), seq.end());
    const uint64_t copies = hi == kUnbounded ? std::max<uint64_t>(lo, 1) : std::max(lo, hi);
    count_symbols(item.size() * copies, at);
    seq.resize(last_start);
    for (uint64_t i = 0; i < lo; ++i) seq.insert(seq.end(), item.begin(), item.end());
    if (hi == kUnbounded) {
      const uint32_t r = generated_rule(at);  // r ::= S r |
      Seq loop = item;
      loop.push_back({GrammarSymbol::kRule, r});
      rules_[r].alternatives = {std::move(loop), {}};
      seq.push_back({GrammarSymbol::kRule, r});
    } else if (hi > lo) {
      uint32_t inner = 0;  // r_k ::= S r_(k-1) | ; r_1 ::= S |
      for (uint64_t k = 0; k < hi - lo; ++k) {
        const uint32_t r = generated_rule(at);
        Seq alt = item;
        if (k > 0) alt.push_back({GrammarSymbol::kRule, inner});
        rules_[r].alternatives = {std::move(alt), {}};
        inner = r;
      }
      seq.push_back({GrammarSymbol::kRule, inner});
    }
  }

  // One character of a literal or a class: an escape or a UTF-8 encoded code point.
  uint32_t parse_char() {
    const size_t at = pos_;
    const int c = peek();
    if (c == '\\') {
      const int e = peek(1);
      pos_ += 2;
      switch (e) {
        case 'x':
          return parse_hex(2, at);
        case 'u':
          return parse_hex(4, at);
        case 'U':
          return parse_hex(8, at);
        case 't':
          return '\t';
        case 'r':
          return '\r';
        case 'n':
          return '\n';
        case '\\':
        case '"':
        case '[':
        case ']':
        case '-':
          return static_cast<uint32_t>(e);
        default:
          if (e < 0x21 || e > 0x7E) fail(at, "unknown escape '\\' at the end of a character");
          fail(at, str_cat("unknown escape '\\", static_cast<char>(e), "'"));
      }
    }
    // UTF-8: the lead byte gives the length; continuation bytes are 10xxxxxx.
    int len = 0;
    uint32_t cp = 0;
    if (c < 0x80) {
      len = 1;
      cp = static_cast<uint32_t>(c);
    } else if ((c & 0xE0) == 0xC0) {
      len = 2;
      cp = static_cast<uint32_t>(c & 0x1F);
    } else if ((c & 0xF0) == 0xE0) {
      len = 3;
      cp = static_cast<uint32_t>(c & 0x0F);
    } else if ((c & 0xF8) == 0xF0) {
      len = 4;
      cp = static_cast<uint32_t>(c & 0x07);
    } else {
      fail(at, "invalid UTF-8 in the grammar text");
    }
    for (int i = 1; i < len; ++i) {
      const int b = peek(static_cast<size_t>(i));
      if (b < 0 || (b & 0xC0) != 0x80) fail(at, "invalid UTF-8 in the grammar text");
      cp = (cp << 6) | static_cast<uint32_t>(b & 0x3F);
    }
    pos_ += static_cast<size_t>(len);
    return cp;
  }

  uint32_t parse_hex(int digits, size_t at) {
    uint64_t v = 0;
    for (int i = 0; i < digits; ++i) {
      const int c = peek();
      int d = -1;
      if (c >= '0' && c <= '9') d = c - '0';
      if (c >= 'a' && c <= 'f') d = c - 'a' + 10;
      if (c >= 'A' && c <= 'F') d = c - 'A' + 10;
      if (d < 0) fail(at, str_cat("escape needs ", digits, " hex digits"));
      v = v * 16 + static_cast<uint64_t>(d);
      ++pos_;
    }
    if (v > kMaxCodePoint) fail(at, "escape beyond the last Unicode code point U+10FFFF");
    return static_cast<uint32_t>(v);
  }

  std::string_view src_;
  size_t pos_ = 0;
  std::vector<Grammar::RuleDef> rules_;
  std::vector<bool> defined_;
  std::vector<size_t> first_use_;
  std::unordered_map<std::string, uint32_t> ids_;
  std::vector<CharRanges> sets_;
  std::map<CharRanges, uint32_t> set_ids_;
  uint32_t owner_ = 0;
  size_t n_symbols_ = 0;
  struct Cursor {
    size_t at = 0, line = 1, column = 1;
  };
  mutable Cursor cursor_;
};

}  // namespace

std::shared_ptr<const Grammar> Grammar::parse(std::string_view gbnf, std::string_view root) {
  return Parser(gbnf).run(root);
}

}  // namespace llmkit::infer
