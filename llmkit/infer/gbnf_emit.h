// Helpers that write GBNF text (llama.cpp's grammar format) for the grammar converters
// (regex_grammar, json_schema_grammar): sets of Unicode code points, quoted literals, character
// classes, and the JSON-string encodings of a set of characters.
//
// Everything written is plain ASCII: characters outside [A-Za-z0-9] and a few safe punctuation
// marks are written as \xHH, \uHHHH or \UHHHHHHHH escapes, which GBNF reads as code points
// (inside literals, " and \ are written \" and \\, and [ ] - ^ as themselves).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace llmkit::infer::gbnf {

constexpr uint32_t kMaxCodepoint = 0x10FFFF;

// A set of code points as sorted, disjoint, non-adjacent closed ranges [first, second].
class CodepointSet {
 public:
  CodepointSet() = default;
  static CodepointSet single(uint32_t c) { return range(c, c); }
  static CodepointSet range(uint32_t lo, uint32_t hi);
  static CodepointSet all() { return range(0, kMaxCodepoint); }

  void add(uint32_t lo, uint32_t hi);
  void add(const CodepointSet& other);
  CodepointSet complement() const;
  CodepointSet minus(const CodepointSet& other) const;
  CodepointSet intersect(const CodepointSet& other) const;
  bool contains(uint32_t c) const;
  bool empty() const { return ranges_.empty(); }
  // True when the set holds exactly one code point (written to *c).
  bool is_single(uint32_t* c) const;
  const std::vector<std::pair<uint32_t, uint32_t>>& ranges() const { return ranges_; }

 private:
  std::vector<std::pair<uint32_t, uint32_t>> ranges_;
};

// Decodes one UTF-8 code point of `text` at *pos and advances *pos. Returns false (and leaves
// *pos) on malformed UTF-8.
bool decode_utf8(std::string_view text, size_t* pos, uint32_t* c);
// Appends the UTF-8 encoding of c.
void append_utf8(std::string* out, uint32_t c);

// `atom` repeated lo..hi times (hi -1: unbounded) with the shortest GBNF operator (* + ? {m}
// {m,} {m,n}); "" when hi is 0. atom must be a single GBNF atom (a literal, class, rule name or
// parenthesised group).
std::string repeat(const std::string& atom, int64_t lo, int64_t hi);

// A GBNF string literal matching exactly `utf8` ("" for the empty string). Throws
// Error(kInvalidArgument) on malformed UTF-8.
std::string literal(std::string_view utf8);
// A GBNF character class matching one code point of `set` (the negated form when shorter). The set
// must not be empty.
std::string char_class(const CodepointSet& set);
// One code point of `set` as a GBNF element: a literal for a single code point, else a class.
std::string one_of(const CodepointSet& set);

// A GBNF expression matching the JSON string-body encodings (between the quotes) of exactly one
// character of `set`: the raw character where JSON allows it (not '"', '\\' or a control
// character), the short escapes \" \\ \b \f \n \r \t, and \u00XX (either hex case) for control
// characters. Other \uXXXX spellings of non-control characters are not produced. Returns "" when
// no encoding exists (empty set).
std::string json_chars(const CodepointSet& set);

// JSON's string body character: any raw character JSON allows or any escape, with \uXXXX limited
// to non-surrogates, so each matched unit decodes to exactly one code point (lengths count right).
std::string json_any_char();

}  // namespace llmkit::infer::gbnf
