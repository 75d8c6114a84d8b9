// SentencePieceTokenizer: the Tokenizer interface over a SentencePiece model (.model file, the
// serialized sentencepiece.ModelProto used by Gemma, Llama and `llmkit tokenizer train`), backed
// by Debian's libsentencepiece.
//
// The object owns the model bytes it was built from: save() writes exactly those bytes and
// fingerprint() hashes them, so load -> save -> load keeps the fingerprint. Immutable after
// construction; const members are safe to call from several threads at once. Movable, not
// copyable.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "llmkit/tokenizer/tokenizer.h"

namespace sentencepiece {
class SentencePieceProcessor;
}

namespace llmkit::tokenizer {

class SentencePieceTokenizer final : public Tokenizer {
 public:
  // Reads a .model file. Throws Error(kNotFound) naming path when it does not exist and
  // Error(kCorruptData) naming path when it is not a valid SentencePiece model.
  static SentencePieceTokenizer load(const std::string& path);
  // Builds from the serialized model bytes (e.g. stored in a checkpoint); source names them in
  // error messages.
  static SentencePieceTokenizer from_serialized(std::string bytes,
                                                std::string_view source = "<memory>");

  SentencePieceTokenizer(SentencePieceTokenizer&&) noexcept;
  SentencePieceTokenizer& operator=(SentencePieceTokenizer&&) noexcept;
  ~SentencePieceTokenizer() override;

  // Writes the model bytes to path atomically (temporary file + rename); throws Error(kIo).
  void save(const std::string& path) const;
  // The serialized ModelProto.
  const std::string& serialized() const { return bytes_; }

  // The pieces of text, as encode() would produce their ids ("▁the", "<0xC3>").
  std::vector<std::string> encode_pieces(std::string_view text) const;

  std::vector<int32_t> encode(std::string_view text) const override;
  // parse_special matches the control pieces (<bos>, <eos>, <pad>, ...) in the text; each text
  // section between two matches is encoded on its own, so it gets the dummy-prefix space again
  // after a control token (as llama.cpp's SPM tokenizer does). User-defined symbols are always
  // matched by the model itself.
  std::vector<int32_t> encode(std::string_view text, bool add_bos,
                              bool parse_special) const override;
  bool uses_bos() const override { return uses_bos_ && bos_id_ >= 0; }
  std::string token_to_piece(int32_t id, bool with_special = false) const override;
  // Sets the BOS policy (default: true); for loaders such as GGUF's add_bos_token. Call before
  // the object is shared between threads.
  void set_uses_bos(bool uses_bos) { uses_bos_ = uses_bos; }
  std::string decode(const std::vector<int32_t>& ids) const override;
  std::string id_to_piece(int32_t id) const override;
  int32_t piece_to_id(std::string_view piece) const override;
  int32_t n_vocab() const override { return n_vocab_; }
  int32_t bos_id() const override { return bos_id_; }
  int32_t eos_id() const override { return eos_id_; }
  int32_t pad_id() const override { return pad_id_; }
  int32_t unk_id() const override { return unk_id_; }
  bool is_special(int32_t id) const override;
  uint64_t fingerprint() const override { return fingerprint_; }

  // True for byte-fallback pieces <0x00> .. <0xFF>.
  bool is_byte(int32_t id) const;

 private:
  SentencePieceTokenizer() = default;
  void check_id(int32_t id, const char* op) const;

  std::unique_ptr<sentencepiece::SentencePieceProcessor> sp_;
  std::string bytes_;
  std::string source_;
  uint64_t fingerprint_ = 0;
  int32_t n_vocab_ = 0;
  int32_t bos_id_ = -1, eos_id_ = -1, pad_id_ = -1, unk_id_ = -1;
  std::vector<uint8_t> special_;  // [V] 1 control or unknown, 2 user-defined, else 0
  std::vector<uint8_t> byte_;     // [V] 1 where is_byte
  std::vector<std::pair<std::string, int32_t>> control_;  // control pieces and their ids
  bool uses_bos_ = true;
};

}  // namespace llmkit::tokenizer
