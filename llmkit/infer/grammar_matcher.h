// GrammarMatcher: incremental recognition of a Grammar's sentences over UTF-8 bytes.
//
// The state is a set of parse stacks (as in llama.cpp): each stack lists grammar positions, the
// top (back) being the character class the next code point must match and the entries below it
// the positions to return to when the rules above complete; an empty stack means a complete
// sentence. Because Grammar drops alternatives that can never complete, "some stack survives" is
// exactly "the text so far is a prefix of a sentence". Bytes of an unfinished multi-byte character
// are kept aside (Utf8Partial) and accepted when some stack's class contains a code point that
// they can still become; invalid UTF-8 (overlong forms, surrogates, > U+10FFFF) is never accepted.
#pragma once

#include <cstdint>
#include <memory>
#include <string_view>
#include <vector>

#include "llmkit/infer/grammar.h"

namespace llmkit::infer {

// The bytes seen so far of an unfinished multi-byte UTF-8 character. When every stack that can
// still match has a class containing every code point the bytes can still become (`uniform`), the
// bytes no longer matter and are cleared (all but a lone lead byte, which decides the range of the
// next byte), so that equivalent states compare equal (GrammarAutomaton merges them).
struct Utf8Partial {
  uint8_t bytes[3] = {0, 0, 0};
  uint8_t n = 0;        // bytes seen (0: none pending)
  uint8_t need = 0;     // the character's full length, 2..4 (when n > 0)
  uint8_t uniform = 0;  // 1: the stacks accept any completion (see above)
  // A value that identifies the partial (0 when none is pending).
  uint32_t key() const {
    return n == 0
               ? 0u
               : (uint32_t{n} | uint32_t{uniform} << 3 | uint32_t{need} << 4) |
                     uint32_t{bytes[0]} << 8 | uint32_t{bytes[1]} << 16 | uint32_t{bytes[2]} << 24;
  }
  static Utf8Partial from_key(uint32_t key);
  bool operator==(const Utf8Partial& o) const { return key() == o.key(); }
};

// One parse state: distinct stacks (positions into Grammar::symbols(), top at the back; every
// non-empty stack's top is a kChars symbol) and the pending partial character. While a character
// is pending, only stacks whose class intersects its possible code points are kept.
struct GrammarState {
  std::vector<std::vector<uint32_t>> stacks;
  Utf8Partial partial;

  // The state before any text.
  static GrammarState initial(const Grammar& g);
  // The state after one more byte b, into out; false (out unspecified) when no sentence has the
  // text so far followed by b as a prefix.
  static bool step(const Grammar& g, const GrammarState& in, uint8_t b, GrammarState& out);
  // A complete sentence: an empty stack and no pending partial character.
  bool can_end() const;
  // Some non-empty continuation exists.
  bool can_continue() const;
};

class GrammarMatcher {
 public:
  explicit GrammarMatcher(std::shared_ptr<const Grammar> grammar);

  // Appends UTF-8 bytes (a multi-byte character may be split across calls). Returns false, leaving
  // the state unchanged, when the text would stop being a prefix of some sentence.
  bool accept_bytes(std::string_view bytes);
  // Whether accept_bytes(bytes) would succeed; changes nothing.
  bool accepts(std::string_view bytes) const;
  // The text so far is a complete sentence.
  bool can_end() const { return state_.can_end(); }
  // Some non-empty continuation exists.
  bool can_continue() const { return state_.can_continue(); }
  // Back to the empty text.
  void reset();

  const Grammar& grammar() const { return *grammar_; }
  const std::shared_ptr<const Grammar>& grammar_ptr() const { return grammar_; }
  const GrammarState& state() const { return state_; }

 private:
  std::shared_ptr<const Grammar> grammar_;
  GrammarState state_;
};

// True when text is a complete sentence of g.
bool grammar_matches(const Grammar& g, std::string_view text);

}  // namespace llmkit::infer
