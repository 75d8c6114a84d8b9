// Grammar: a context-free grammar in llama.cpp's GBNF format, parsed once and compiled into a flat
// form that GrammarMatcher (grammar_matcher.h) and TokenConstraint (token_constraint.h) walk.
//
// The format (llama.cpp grammars/README.md): rules `name ::= alternatives` (names: letters, digits,
// dashes); "literals" with escapes \n \t \r \\ \" \[ \] \- \xHH \uHHHH \UHHHHHHHH; [character
// classes] with ranges a-z and ^ negation; `.` any character; ( ) grouping; | alternation;
// * + ? {m} {m,} {m,n} repetition; # comments to the end of the line. A rule ends at a newline that
// is not inside parentheses and does not follow `|`. Terminals are Unicode code points; the text is
// UTF-8. Differences from llama.cpp: token references (<[id]>, <name>, !<...>) are not supported;
// \- is accepted as an escape; a rule defined twice, a reversed range [z-a] and invalid UTF-8 in
// the text are errors (llama.cpp keeps the last definition / matches nothing / reads on).
//
// Compiled form: every rule (named or generated for a group or a repetition) is a list of
// alternatives; each alternative is a run of symbols in symbols() ending with a kEnd symbol. A
// position is an index into symbols(). Repetitions are rewritten as in llama.cpp: S* -> R ::= S R |
// (empty), S{m,n} -> m copies of S then n-m nested optional rules. Alternatives that can never
// complete (referencing a rule that derives no finite text, or an empty character class) are
// dropped, so every position reachable from the root can be completed to a sentence.
//
// Thread safety: immutable after parse(); share it freely.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace llmkit::infer {

struct GrammarSymbol {
  enum Kind : uint8_t {
    kEnd,    // end of an alternative
    kChars,  // one code point from chars(index)
    kRule,   // a reference to rule index
  };
  Kind kind = kEnd;
  uint32_t index = 0;
};

// A set of code points: sorted, disjoint, non-adjacent inclusive ranges [first, second].
using CharRanges = std::vector<std::pair<uint32_t, uint32_t>>;

class Grammar {
 public:
  // Parses GBNF text; root names the start rule. Throws Error(kInvalidArgument) "grammar line L,
  // column C: <what>" (columns count code points from 1) for syntax errors, a reference to an
  // undefined rule (naming it), a rule defined twice, a missing root rule, left recursion (naming
  // the rule; a repetition of something that can be empty is left recursion too, as in llama.cpp),
  // and a root rule that can derive no finite text.
  static std::shared_ptr<const Grammar> parse(std::string_view gbnf,
                                              std::string_view root = "root");

  const std::vector<GrammarSymbol>& symbols() const { return symbols_; }
  // Start positions of the alternatives of rule r (each a run of symbols ending with kEnd).
  std::span<const uint32_t> alternatives(uint32_t r) const {
    return {alt_starts_.data() + rule_alt_begin_[r], rule_alt_begin_[r + 1] - rule_alt_begin_[r]};
  }
  uint32_t root_rule() const { return root_; }
  size_t n_rules() const { return rule_names_.size(); }
  // The rule's name; a generated rule is named after the rule it appears in ("value_3").
  const std::string& rule_name(uint32_t r) const { return rule_names_[r]; }
  const CharRanges& chars(uint32_t set) const { return char_sets_[set]; }
  // True when code point cp is in set.
  bool char_matches(uint32_t set, uint32_t cp) const;
  // True when some code point in [lo, hi] is in set.
  bool chars_intersect(uint32_t set, uint32_t lo, uint32_t hi) const;
  // True when every code point in [lo, hi] is in set.
  bool chars_contain(uint32_t set, uint32_t lo, uint32_t hi) const;

  // Builds a grammar from compiled parts (used by the parser). Validates and prunes as described
  // above; `where` gives each rule's "line L, column C" for error messages.
  struct RuleDef {
    std::string name;
    std::vector<std::vector<GrammarSymbol>> alternatives;  // symbols without the kEnd
    std::string where;                                     // "line L, column C" of its definition
    uint32_t owner = 0;                                    // the named rule it came from
  };
  Grammar(std::vector<RuleDef> rules, std::vector<CharRanges> char_sets, uint32_t root);

 private:
  std::vector<GrammarSymbol> symbols_;
  std::vector<uint32_t> alt_starts_;
  std::vector<uint32_t> rule_alt_begin_;  // [n_rules + 1] offsets into alt_starts_
  std::vector<std::string> rule_names_;
  std::vector<CharRanges> char_sets_;
  uint32_t root_ = 0;
};

}  // namespace llmkit::infer
