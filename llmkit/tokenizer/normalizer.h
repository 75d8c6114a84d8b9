// tokenizer.json normalizers: Sequence, Replace (string or regex pattern), Prepend, NFC / NFD /
// NFKC / NFKD (utf8proc), Lowercase, Strip. They map valid UTF-8 text to valid UTF-8 text.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace llmkit::tokenizer::hf {

class Normalizer {
 public:
  virtual ~Normalizer() = default;
  virtual std::string normalize(std::string_view text) const = 0;
};

// Builds the normalizer described by config (null -> nullptr). path names config's place in the
// file for error messages ("normalizer", "normalizer.normalizers[1]"). Throws
// Error(kUnsupported) for a type llmkit does not implement, Error(kCorruptData) for a malformed
// entry.
std::unique_ptr<Normalizer> make_normalizer(const nlohmann::json& config, const std::string& path);

// Unicode normalization of valid UTF-8 text; form is "NFC", "NFD", "NFKC" or "NFKD".
std::string unicode_normalize(std::string_view text, std::string_view form);

}  // namespace llmkit::tokenizer::hf
