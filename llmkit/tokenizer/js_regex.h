// A regular expression with JavaScript's semantics (the "gu" flags transformers.js compiles
// tokenizer.json patterns with), run by PCRE2 in UTF mode. The pattern is translated so that PCRE2
// matches what JavaScript would: \s is JavaScript's whitespace set, \d is [0-9], \w is
// [A-Za-z0-9_], and the case-insensitive contraction group "(?i:'s|'t|...)" of the GPT-2 / Llama 3
// patterns becomes the explicit [sS]-style group transformers.js substitutes for it.
//
// Thread safety: a compiled JsRegex is immutable; find_all may run concurrently.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace llmkit::tokenizer::hf {

class JsRegex {
 public:
  // Throws Error(kInvalidArgument) naming the pattern and PCRE2's message when it does not
  // compile.
  explicit JsRegex(const std::string& pattern);
  // A regex matching the literal string s.
  static JsRegex literal(std::string_view s);
  ~JsRegex();
  JsRegex(JsRegex&&) noexcept;
  JsRegex& operator=(JsRegex&&) noexcept;

  // Every non-overlapping match in valid UTF-8 text, left to right, as [begin, end) byte offsets
  // (like String.prototype.matchAll; after an empty match the search moves one character on).
  std::vector<std::pair<size_t, size_t>> find_all(std::string_view text) const;

  // The PCRE2 pattern after translation (for tests and error messages).
  const std::string& translated() const { return translated_; }

 private:
  struct Code;
  std::unique_ptr<Code> code_;
  std::string translated_;
};

// Translates a JavaScript-flavoured tokenizer.json pattern to PCRE2 syntax (see above).
std::string translate_js_pattern(std::string_view pattern);

}  // namespace llmkit::tokenizer::hf
