// Hugging Face tokenizer.json files (the `tokenizers` library's format), as shipped with Gemma 3,
// Llama 3 and Qwen models: model BPE (merges, byte fallback or byte-level alphabet), normalizers,
// pre-tokenizers (regex Split via PCRE2, ByteLevel, Metaspace, Digits, ...), decoders, added
// tokens (special or not, lstrip/rstrip/single_word/normalized) and the post-processor's BOS.
// The reference it must match token for token is @lenml/tokenizers (transformers.js) on the same
// file (tests/tokenizer).
//
// Errors: a missing file is Error(kNotFound); malformed JSON, a component type llmkit does not
// implement (named, with the path to it in the JSON, e.g. "pre_tokenizer.pretokenizers[1].type =
// 'Foo'") or an inconsistent vocabulary / merges list is Error(kCorruptData) or Error(kUnsupported)
// naming the file.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "llmkit/tokenizer/tokenizer.h"

namespace llmkit::tokenizer {

class HfTokenizer final : public Tokenizer {
 public:
  static std::shared_ptr<const HfTokenizer> load(const std::string& path);
  static std::shared_ptr<const HfTokenizer> from_json(std::string_view json_text,
                                                      std::string_view source = "<memory>");
  ~HfTokenizer() override;

  // Tokenizer: encode() = encode(text, /*add_bos=*/false, /*parse_special=*/false).
  std::vector<int32_t> encode(std::string_view text) const override;
  // add_bos: prepend BOS as the post-processor would (never twice: not when the text already
  // starts with the BOS token and parse_special turned it into that id). parse_special: special
  // added tokens written in the text become their ids; otherwise they are ordinary text.
  // Non-special added tokens are always matched (as the reference does).
  std::vector<int32_t> encode(std::string_view text, bool add_bos,
                              bool parse_special) const override;
  // True when the post-processor puts BOS before a text.
  bool uses_bos() const override;
  std::string token_to_piece(int32_t id, bool with_special = false) const override;
  std::string decode(const std::vector<int32_t>& ids) const override;
  std::string id_to_piece(int32_t id) const override;
  int32_t piece_to_id(std::string_view piece) const override;
  int32_t n_vocab() const override;
  int32_t bos_id() const override;
  int32_t eos_id() const override;
  int32_t pad_id() const override;
  int32_t unk_id() const override;
  bool is_special(int32_t id) const override;
  uint64_t fingerprint() const override;

  struct Impl;

 private:
  explicit HfTokenizer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace llmkit::tokenizer
