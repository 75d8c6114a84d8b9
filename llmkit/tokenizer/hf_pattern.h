// The "pattern" of tokenizer.json Split / Replace components: {"String": "..."} (a literal) or
// {"Regex": "..."} (JavaScript-flavoured, see js_regex.h).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "llmkit/tokenizer/js_regex.h"

namespace llmkit::tokenizer::hf {

class Pattern {
 public:
  static Pattern literal(std::string s);
  static Pattern regex(const std::string& pattern);
  // Throws Error(kCorruptData) naming path when config is neither form, or Error(kInvalidArgument)
  // for a regex that does not compile.
  static Pattern from_json(const nlohmann::json& config, const std::string& path);

  // Non-overlapping matches, left to right, as [begin, end) byte offsets of valid UTF-8 text.
  std::vector<std::pair<size_t, size_t>> find_all(std::string_view text) const;
  std::string replace_all(std::string_view text, std::string_view content) const;

 private:
  std::string literal_;
  std::optional<JsRegex> regex_;
};

}  // namespace llmkit::tokenizer::hf
