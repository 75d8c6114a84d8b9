// Regular expression → GBNF grammar (llama.cpp's grammar format), for `generate --regex` and for
// the `pattern` keyword of JSON Schema strings.
//
// Supported: an ECMAScript-like subset, over Unicode code points:
//   literals; escapes \n \r \t \f \v \0 \xHH \uHHHH and \ before any punctuation; .  (any code
//   point except \n \r U+2028 U+2029, as ECMAScript); classes [a-z] [^...] with ranges and the
//   class escapes \d \w \s \D \W \S (also outside classes; \s is ECMAScript's Unicode set);
//   groups (...) (?:...) (?<name>...); alternation |; quantifiers * + ? {m} {m,} {m,n}, each
//   optionally lazy (a trailing ?, which does not change what matches).
//   Anchors: ^ only at the start and $ only at the end of a top-level alternative.
// Rejected with Error(kInvalidArgument) naming the byte offset: back-references, lookaround, word
// boundaries \b \B, \cX, \p{..}, unknown letter escapes, empty classes [], unbalanced
// parentheses, quantifiers with nothing to repeat, malformed {…}, malformed UTF-8.
#pragma once

#include <string>
#include <string_view>

namespace llmkit::infer {

// A complete grammar whose `root` rule matches exactly the strings the regex matches in full
// (as std::regex_match / an ECMAScript regex anchored at both ends; ^ and $ are then no-ops).
std::string regex_to_gbnf(std::string_view regex);

namespace detail {

// How the regex's characters are written in the grammar.
enum class RegexChars {
  kPlain,       // each character as itself
  kJsonString,  // each character as its JSON string-body encodings (see gbnf::json_chars)
};

// One GBNF expression (no rule definitions) for the regex. With `search`, the regex is matched as
// ECMAScript's RegExp.test does (JSON Schema's `pattern`): a top-level alternative without ^ may be
// preceded by any text, one without $ followed by any text. Without `search`, the whole text must
// match. Errors name `what` (e.g. "regex" or "pattern at /properties/x") and the byte offset.
std::string regex_expression(std::string_view regex, bool search, RegexChars chars,
                             std::string_view what);

}  // namespace detail
}  // namespace llmkit::infer
