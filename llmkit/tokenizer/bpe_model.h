// The byte-pair-encoding merge engine behind tokenizer.json "BPE" models and GGUF "gpt2"
// vocabularies. A word (one pre-token) is split into characters, then the adjacent pair with the
// lowest merge rank is merged repeatedly (ties: the leftmost pair), as the `tokenizers` library
// and transformers.js do. O(n log n) per word with a linked list and a priority queue; results
// of short words are cached.
//
// Pieces left after merging that are not in the vocabulary become byte pieces "<0xXX>" when
// byte_fallback is on and all of them exist, else the unk token (or nothing when there is none).
// Merges may name pieces outside the vocabulary (intermediate pieces); such pieces, when left
// over, go through the same fallback.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

namespace llmkit::tokenizer::hf {

struct BpeConfig {
  // piece -> id (ids need not be dense)
  std::vector<std::pair<std::string, int32_t>> vocab;
  // merges in rank order (rank 0 first): (left, right)
  std::vector<std::pair<std::string, std::string>> merges;
  std::string unk_token;  // empty: no unk token
  bool byte_fallback = false;
  bool ignore_merges = false;  // a word that is itself in the vocabulary is kept whole
  bool fuse_unk = false;       // consecutive unk ids collapse into one
};

class BpeModel {
 public:
  explicit BpeModel(BpeConfig config);
  ~BpeModel();

  // Adds (or overrides) a piece -> id entry used when mapping pieces to ids (added tokens).
  void add_piece(const std::string& piece, int32_t id);

  // Appends the ids of one word.
  void encode_word(std::string_view word, std::vector<int32_t>& out) const;
  // Encodes words (the pre-tokens of one text section) and applies fuse_unk.
  std::vector<int32_t> encode_words(const std::vector<std::string>& words) const;

  // The merged pieces of word (before the vocabulary lookup); for tests.
  std::vector<std::string> merge_word(std::string_view word) const;

  int32_t piece_to_id(std::string_view piece) const;  // -1 when absent
  int32_t unk_id() const { return unk_id_; }

 private:
  struct PairHash {
    size_t operator()(uint64_t k) const { return std::hash<uint64_t>()(k * 0x9E3779B97F4A7C15ull); }
  };
  struct Merge {
    int32_t rank;
    int32_t result;  // symbol of the merged piece
  };
  // symbol ids of the merged pieces of word
  std::vector<int32_t> merge_symbols(std::string_view word) const;

  BpeConfig config_;
  std::unordered_map<std::string, int32_t> piece_ids_;  // piece -> token id (vocab + added)
  // Symbols: every string that takes part in a merge or is a vocabulary piece.
  std::unordered_map<std::string, int32_t> symbol_of_;
  std::vector<std::string> symbols_;
  std::vector<int32_t> symbol_ids_;  // symbol -> token id, -1 when the piece is no token
  std::unordered_map<uint64_t, Merge, PairHash> merges_;  // (left << 32 | right) -> merge
  int32_t unk_id_ = -1;
  int32_t byte_ids_[256];

  // Cache of merge_symbols for short words (guarded: encode may run on many threads).
  mutable std::mutex cache_mutex_;
  mutable std::unordered_map<std::string, std::vector<int32_t>> cache_;
};

}  // namespace llmkit::tokenizer::hf
