#include "llmkit/infer/gbnf_emit.h"

#include "llmkit/tokenizer/hf_text.h"

#include <algorithm>
#include <cstdio>

#include "llmkit/base/error.h"

namespace llmkit::infer::gbnf {

CodepointSet CodepointSet::range(uint32_t lo, uint32_t hi) {
  CodepointSet s;
  s.add(lo, hi);
  return s;
}

void CodepointSet::add(uint32_t lo, uint32_t hi) {
  if (lo > hi) return;
  std::vector<std::pair<uint32_t, uint32_t>> out;
  out.reserve(ranges_.size() + 1);
  bool placed = false;
  for (const auto& r : ranges_) {
    // Ranges that touch or overlap [lo, hi] are merged into it.
    if (r.second + 1 < lo) {
      out.push_back(r);
    } else if (hi + 1 < r.first) {
      if (!placed) out.emplace_back(lo, hi), placed = true;
      out.push_back(r);
    } else {
      lo = std::min(lo, r.first);
      hi = std::max(hi, r.second);
    }
  }
  if (!placed) out.emplace_back(lo, hi);
  ranges_ = std::move(out);
}

void CodepointSet::add(const CodepointSet& other) {
  for (const auto& r : other.ranges_) add(r.first, r.second);
}

CodepointSet CodepointSet::complement() const {
  CodepointSet out;
  uint32_t next = 0;
  for (const auto& r : ranges_) {
    if (r.first > next) out.ranges_.emplace_back(next, r.first - 1);
    next = r.second + 1;
  }
  if (next <= kMaxCodepoint) out.ranges_.emplace_back(next, kMaxCodepoint);
  return out;
}

CodepointSet CodepointSet::intersect(const CodepointSet& other) const {
  return minus(other.complement());
}

CodepointSet CodepointSet::minus(const CodepointSet& other) const {
  CodepointSet out;
  CodepointSet keep = other.complement();
  // Intersection of this with keep, range by range.
  for (const auto& a : ranges_) {
    for (const auto& b : keep.ranges_) {
      uint32_t lo = std::max(a.first, b.first), hi = std::min(a.second, b.second);
      if (lo <= hi) out.ranges_.emplace_back(lo, hi);
    }
  }
  return out;
}

bool CodepointSet::contains(uint32_t c) const {
  for (const auto& r : ranges_) {
    if (c >= r.first && c <= r.second) return true;
  }
  return false;
}

bool CodepointSet::is_single(uint32_t* c) const {
  if (ranges_.size() != 1 || ranges_[0].first != ranges_[0].second) return false;
  *c = ranges_[0].first;
  return true;
}

bool decode_utf8(std::string_view text, size_t* pos, uint32_t* c) {
  size_t i = *pos;
  if (i >= text.size()) return false;
  const auto b0 = static_cast<unsigned char>(text[i]);
  int len = b0 < 0x80 ? 1 : (b0 >> 5) == 0x6 ? 2 : (b0 >> 4) == 0xE ? 3 : (b0 >> 3) == 0x1E ? 4 : 0;
  if (len == 0 || i + len > text.size()) return false;
  uint32_t cp = len == 1 ? b0 : len == 2 ? (b0 & 0x1F) : len == 3 ? (b0 & 0x0F) : (b0 & 0x07);
  for (int k = 1; k < len; ++k) {
    const auto b = static_cast<unsigned char>(text[i + k]);
    if ((b >> 6) != 0x2) return false;
    cp = (cp << 6) | (b & 0x3F);
  }
  static constexpr uint32_t kMin[5] = {0, 0, 0x80, 0x800, 0x10000};
  if (cp < kMin[len] || cp > kMaxCodepoint || (cp >= 0xD800 && cp <= 0xDFFF)) return false;
  *c = cp;
  *pos = i + len;
  return true;
}

std::string repeat(const std::string& atom, int64_t lo, int64_t hi) {
  if (hi == 0) return "";
  if (lo == 1 && hi == 1) return atom;
  if (lo == 0 && hi == -1) return atom + "*";
  if (lo == 1 && hi == -1) return atom + "+";
  if (lo == 0 && hi == 1) return atom + "?";
  if (hi == -1) return str_cat(atom, "{", lo, ",}");
  if (lo == hi) return str_cat(atom, "{", lo, "}");
  return str_cat(atom, "{", lo, ",", hi, "}");
}

void append_utf8(std::string* out, uint32_t c) {
  tokenizer::hf::append_utf8(*out, static_cast<char32_t>(c));
}

namespace {

// One code point inside a GBNF literal or class: alphanumerics and harmless punctuation as
// themselves, everything else escaped so no GBNF metacharacter (" \ [ ] - ^) appears raw.
void append_char(std::string* out, uint32_t c) {
  const bool plain = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                     c == ' ' || c == '_' || c == '.' || c == ',' || c == ':' || c == '{' ||
                     c == '}' || c == '(' || c == ')' || c == '+' || c == '*' || c == '/' ||
                     c == '<' || c == '>' || c == '=' || c == '@' || c == '#' || c == '!';
  char buf[16];
  if (plain) {
    out->push_back(static_cast<char>(c));
    return;
  }
  if (c < 0x100) {
    std::snprintf(buf, sizeof(buf), "\\x%02X", c);
  } else if (c < 0x10000) {
    std::snprintf(buf, sizeof(buf), "\\u%04X", c);
  } else {
    std::snprintf(buf, sizeof(buf), "\\U%08X", c);
  }
  out->append(buf);
}

std::string class_body(const CodepointSet& set) {
  std::string body;
  for (const auto& r : set.ranges()) {
    append_char(&body, r.first);
    if (r.second == r.first) continue;
    if (r.second > r.first + 1) body.push_back('-');
    append_char(&body, r.second);
  }
  return body;
}

}  // namespace

std::string literal(std::string_view utf8) {
  std::string out = "\"";
  size_t pos = 0;
  while (pos < utf8.size()) {
    uint32_t c = 0;
    LLMKIT_CHECK(decode_utf8(utf8, &pos, &c), "grammar literal: malformed UTF-8 at byte ", pos,
                 "; pass valid UTF-8 text");
    if (c == '"' || c == '\\') out.push_back('\\');  // readable: \" and \\ inside literals
    if (c == '"' || c == '\\' || c == '[' || c == ']' || c == '-' || c == '^') {
      out.push_back(static_cast<char>(c));
      continue;
    }
    append_char(&out, c);
  }
  out.push_back('"');
  return out;
}

std::string char_class(const CodepointSet& set) {
  LLMKIT_CHECK_CODE(!set.empty(), ErrorCode::kInternal, "char_class of an empty set");
  const CodepointSet neg = set.complement();
  // The negated form is used only when it is strictly shorter and not empty ([^] is not GBNF).
  if (!neg.empty() && neg.ranges().size() < set.ranges().size()) {
    return "[^" + class_body(neg) + "]";
  }
  return "[" + class_body(set) + "]";
}

std::string one_of(const CodepointSet& set) {
  uint32_t c = 0;
  if (set.is_single(&c)) {
    std::string s;
    append_utf8(&s, c);
    return literal(s);
  }
  return char_class(set);
}

namespace {

std::string hex_digit_class(const CodepointSet& nibbles) {
  // Nibble values 0-15 as the hex digits that spell them, both cases for a-f.
  CodepointSet digits;
  for (const auto& r : nibbles.ranges()) {
    for (uint32_t v = r.first; v <= r.second; ++v) {
      if (v < 10) {
        digits.add('0' + v, '0' + v);
      } else {
        digits.add('a' + v - 10, 'a' + v - 10);
        digits.add('A' + v - 10, 'A' + v - 10);
      }
    }
  }
  return one_of(digits);
}

}  // namespace

std::string json_chars(const CodepointSet& set) {
  std::vector<std::string> alts;
  const CodepointSet raw = set.minus([] {
    CodepointSet s = CodepointSet::range(0, 0x1F);
    s.add('"', '"');
    s.add('\\', '\\');
    return s;
  }());
  if (!raw.empty()) alts.push_back(one_of(raw));
  static constexpr std::pair<uint32_t, const char*> kShort[] = {
      {'"', "\\\""}, {'\\', "\\\\"}, {0x08, "\\b"}, {0x0C, "\\f"},
      {0x0A, "\\n"}, {0x0D, "\\r"},  {0x09, "\\t"}};
  for (const auto& [c, esc] : kShort) {
    if (set.contains(c)) alts.push_back(literal(esc));
  }
  for (uint32_t hi = 0; hi < 2; ++hi) {
    const CodepointSet ctl = set.intersect(CodepointSet::range(hi * 16, hi * 16 + 15));
    if (ctl.empty()) continue;
    CodepointSet nibbles;
    for (const auto& r : ctl.ranges()) nibbles.add(r.first - hi * 16, r.second - hi * 16);
    alts.push_back(literal(hi == 0 ? "\\u000" : "\\u001") + " " + hex_digit_class(nibbles));
  }
  if (alts.empty()) return "";
  if (alts.size() == 1 && alts[0].find(' ') == std::string::npos) return alts[0];
  std::string out = "(";
  for (size_t i = 0; i < alts.size(); ++i) {
    if (i > 0) out += " | ";
    out += alts[i];
  }
  return out + ")";
}

std::string json_any_char() {
  // \uXXXX without the surrogate range D800-DFFF: first digit not d/D, or d/D then 0-7.
  return "([^\"\\\\\\x00-\\x1F] | \"\\\\\" [\"\\\\/bfnrt] | \"\\\\u\" ([0-9a-cA-Ce-fE-F] "
         "[0-9a-fA-F]{3} | [dD] [0-7] [0-9a-fA-F]{2}))";
}

}  // namespace llmkit::infer::gbnf
