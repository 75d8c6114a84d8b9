// BERT's WordPiece tokenizer (the original BasicTokenizer + WordpieceTokenizer, as Hugging Face's
// BertNormalizer + BertPreTokenizer + WordPiece model run it).
//
// encode(text):
//   1. invalid UTF-8 is read as U+FFFD; clean_text drops U+0000, U+FFFD and control characters
//      (general category C*, except \t \n \r) and turns whitespace (\t \n \r, Zs, U+2028/2029)
//      into spaces;
//   2. handle_chinese_chars puts spaces around CJK ideographs (BERT's code point ranges);
//   3. lowercase (full lower-casing per code point, with Greek final sigma) and, when
//      strip_accents (default: = lowercase), NFD followed by dropping nonspacing marks (Mn);
//   4. words = runs between spaces, each punctuation character (P* or the ASCII symbols
//      !"#$%&'()*+,-./:;<=>?@[\]^_`{|}~) a word of its own;
//   5. each word greedily longest-match-first: the first piece is a word-initial vocabulary entry,
//      the following ones continuation entries ("##ing"); a word of more than
//      max_input_chars_per_word code points or with no full match becomes [UNK].
// No [CLS] / [SEP] are added by encode(); encode(text, add_bos = true, ...) prepends [CLS] only
// (the Tokenizer contract); the encoder (infer/bert_encoder.h) adds [SEP].
// Known differences from transformers.js (the test reference): it keeps unassigned code points
// (Cn) and misses CJK ideographs outside the BMP; Python's and Rust's BERT drop and split them as
// here.
//
// Vocabularies: a vocab.txt (one piece per line, id = line number, continuation pieces "##x"),
// or a GGUF with tokenizer.ggml.model "bert", where llama.cpp's converter stores word-initial
// pieces as "\u2581x" (U+2581 + piece), continuation pieces as plain "x" (without "##") and control
// tokens ([CLS], [SEP], ...; token type 3) unchanged. id_to_piece / piece_to_id use the vocab.txt
// spelling ("the", "##ing", "[CLS]") whichever way the vocabulary was loaded.
//
// Thread safety: immutable after construction; every const member may run concurrently.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "llmkit/io/gguf.h"
#include "llmkit/tokenizer/tokenizer.h"

namespace llmkit::tokenizer {

struct WordPieceOptions {
  bool clean_text = true;
  bool handle_chinese_chars = true;
  bool lowercase = true;
  std::optional<bool> strip_accents;  // unset: same as lowercase (BERT's default)
  int max_input_chars_per_word = 100;
};

// Special ids; -1 when absent. from_vocab_file / from_gguf fill them from the vocabulary.
struct WordPieceSpecials {
  int32_t unk = -1, cls = -1, sep = -1, pad = -1, mask = -1;
};

class WordPieceTokenizer : public Tokenizer {
 public:
  // One entry per id in vocab.txt spelling (a piece listed twice matches as its last id).
  // specials: ids found by name when -1 ("[UNK]", "[CLS]", "[SEP]", "[PAD]", "[MASK]").
  // control_ids: further control tokens (GGUF token type 3). The specials and control tokens are
  // is_special(), decode to nothing and are what parse_special matches. Error(kInvalidArgument)
  // for an empty vocabulary, an empty piece or an id out of range; Error(kNotFound) without unk.
  WordPieceTokenizer(std::vector<std::string> pieces, WordPieceOptions options = {},
                     WordPieceSpecials specials = {}, const std::vector<int32_t>& control_ids = {});

  // vocab.txt (trailing "\r" and "\n" stripped; an empty line is an error naming its line).
  static std::shared_ptr<const WordPieceTokenizer> from_vocab_file(const std::string& path,
                                                                   WordPieceOptions options = {});
  // A GGUF "bert" vocabulary: tokenizer.ggml.tokens / .token_type as described above; lowercase
  // from tokenizer.ggml.normalizer.lowercase (default true), strip_accents from
  // .normalizer.strip_accents (default: lowercase); special ids from .unknown_token_id (default
  // 100), .cls_token_id or else .bos_token_id (101), .seperator_token_id (102),
  // .padding_token_id (0), .mask_token_id (103), the llama.cpp defaults, each ignored when out of
  // range. Error(kNotFound) without tokens, Error(kInvalidArgument) when tokenizer.ggml.model is
  // not "bert", Error(kCorruptData) naming the file for a vocabulary the constructor rejects.
  static std::shared_ptr<const WordPieceTokenizer> from_gguf(const io::GgufFile& file);

  // Steps 1-4 above: the words WordPiece sees, in order.
  std::vector<std::string> basic_tokenize(std::string_view text) const;

  std::vector<int32_t> encode(std::string_view text) const override;
  // add_bos: [CLS] first (never twice). parse_special: the text of a control token ("[SEP]",
  // "[MASK]", ...) written in the text becomes its id (longest match first, before normalisation,
  // as Hugging Face's special added tokens).
  std::vector<int32_t> encode(std::string_view text, bool add_bos,
                              bool parse_special) const override;
  // Word-initial pieces are separated by one space, continuation pieces glued on ("un", "##able"
  // -> "unable"); special tokens decode to nothing.
  std::string decode(const std::vector<int32_t>& ids) const override;
  std::string token_to_piece(int32_t id, bool with_special = false) const override;
  std::string id_to_piece(int32_t id) const override;
  int32_t piece_to_id(std::string_view piece) const override;
  int32_t n_vocab() const override { return static_cast<int32_t>(pieces_.size()); }
  int32_t bos_id() const override { return specials_.cls; }
  int32_t eos_id() const override { return specials_.sep; }
  int32_t pad_id() const override { return specials_.pad; }
  int32_t unk_id() const override { return specials_.unk; }
  bool is_special(int32_t id) const override;
  uint64_t fingerprint() const override { return fingerprint_; }

  int32_t cls_id() const { return specials_.cls; }
  int32_t sep_id() const { return specials_.sep; }
  int32_t mask_id() const { return specials_.mask; }
  const WordPieceOptions& options() const { return options_; }

 private:
  // Appends the WordPiece ids of one word (step 5).
  void encode_word(const std::string& word, std::vector<int32_t>& out) const;
  bool strip_accents() const { return options_.strip_accents.value_or(options_.lowercase); }

  std::vector<std::string> pieces_;  // vocab.txt spelling
  WordPieceOptions options_;
  WordPieceSpecials specials_;
  std::unordered_map<std::string, int32_t> initial_;       // "the" -> id
  std::unordered_map<std::string, int32_t> continuation_;  // "ing" (for "##ing") -> id
  std::unordered_map<std::string, int32_t> by_piece_;      // vocab.txt spelling -> id
  std::vector<bool> special_;                              // specials + control tokens
  std::vector<std::string> special_texts_;                 // their texts, longest first
  uint64_t fingerprint_ = 0;
};

}  // namespace llmkit::tokenizer
