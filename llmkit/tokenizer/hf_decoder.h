// tokenizer.json decoders: they turn the pieces of a list of token ids back into text.
// Implemented: Sequence, ByteLevel, Replace, ByteFallback, Fuse, Strip, Metaspace. Byte
// sequences that are not valid UTF-8 decode to U+FFFD (as TextDecoder does).
#pragma once

#include <memory>
#include <string>
#include <unordered_set>
#include <vector>

#include <nlohmann/json.hpp>

namespace llmkit::tokenizer::hf {

class Decoder {
 public:
  virtual ~Decoder() = default;
  // One step of the chain: pieces in, pieces out (the final text is their concatenation).
  virtual std::vector<std::string> decode_chain(std::vector<std::string> pieces) const = 0;
  // True when the chain maps GPT-2's byte alphabet back to bytes (a ByteLevel step).
  virtual bool byte_level() const { return false; }
};

// added: the contents of the added tokens (ByteLevel passes them through unchanged). Throws
// Error(kUnsupported) for a type llmkit does not implement, naming path.
std::unique_ptr<Decoder> make_decoder(const nlohmann::json& config, const std::string& path,
                                      const std::unordered_set<std::string>* added);

}  // namespace llmkit::tokenizer::hf
