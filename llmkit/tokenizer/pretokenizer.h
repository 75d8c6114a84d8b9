// tokenizer.json pre-tokenizers: they cut one normalized text section into words (pre-tokens)
// that the BPE model encodes independently. Implemented: Sequence, Split (regex or string pattern;
// behaviours Removed, Isolated, MergedWithPrevious, MergedWithNext, Contiguous; invert),
// ByteLevel (add_prefix_space, use_regex with the GPT-2 pattern; maps bytes to GPT-2's
// alphabet), Metaspace (replacement, prepend_scheme first/always/never, split), Digits,
// Whitespace, WhitespaceSplit, Punctuation.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace llmkit::tokenizer::hf {

class PreTokenizer {
 public:
  virtual ~PreTokenizer() = default;
  // Replaces each piece by its sub-pieces. section_index: the index of the text section (the
  // parts between added tokens) these pieces come from; Metaspace's prepend_scheme "first" only
  // prepends in section 0.
  virtual std::vector<std::string> split(const std::vector<std::string>& pieces,
                                         int section_index) const = 0;
};

// Builds the pre-tokenizer described by config (null -> nullptr). path names config's place in
// the file ("pre_tokenizer.pretokenizers[0]") for error messages. Throws Error(kUnsupported) for
// a type or behaviour llmkit does not implement, Error(kCorruptData) for a malformed entry.
std::unique_ptr<PreTokenizer> make_pre_tokenizer(const nlohmann::json& config,
                                                 const std::string& path);

}  // namespace llmkit::tokenizer::hf
