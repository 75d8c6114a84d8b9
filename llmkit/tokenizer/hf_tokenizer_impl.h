// HfTokenizer's state (internal to hf_tokenizer*.cpp): the parsed tokenizer.json components and
// the added-token matcher.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "llmkit/tokenizer/bpe_model.h"
#include "llmkit/tokenizer/hf_decoder.h"
#include "llmkit/tokenizer/hf_tokenizer.h"
#include "llmkit/tokenizer/normalizer.h"
#include "llmkit/tokenizer/pretokenizer.h"

namespace llmkit::tokenizer {

struct HfAddedToken {
  std::string content;
  int32_t id = -1;
  bool special = false;
  bool lstrip = false;
  bool rstrip = false;
};

// A byte trie over the added tokens' contents, for longest-match splitting of the input text.
class AddedTokenTrie {
 public:
  void insert(std::string_view content, int32_t token_index);
  // The longest token starting at text[pos] (special tokens only when allow_special), as its
  // index into the added-token list; -1 when none. *len receives its byte length.
  int32_t longest_match(std::string_view text, size_t pos, bool allow_special,
                        const std::vector<HfAddedToken>& tokens, size_t* len) const;

 private:
  std::unordered_map<uint64_t, int32_t> edges_;  // (node << 8 | byte) -> child node
  std::vector<int32_t> terminal_{-1};            // node -> token index or -1
};

struct HfTokenizer::Impl {
  std::string source;  // file name for messages
  uint64_t fingerprint = 0;
  std::unique_ptr<hf::BpeModel> model;
  std::unique_ptr<hf::Normalizer> normalizer;
  std::unique_ptr<hf::PreTokenizer> pre_tokenizer;
  std::unique_ptr<hf::Decoder> decoder;

  std::vector<std::string> pieces;  // id -> piece ("" for holes)
  std::vector<uint8_t> special;     // id -> special added token
  std::vector<HfAddedToken> added;
  std::unordered_set<std::string> added_contents;
  std::unordered_map<std::string, int32_t> added_by_content;  // content -> index into added
  AddedTokenTrie trie;

  std::vector<int32_t> bos_ids;  // what the post-processor puts before the text
  int32_t bos = -1, eos = -1, pad = -1, unk = -1;

  std::vector<int32_t> encode(std::string_view text, bool add_bos, bool parse_special) const;
  std::string decode(const std::vector<int32_t>& ids) const;
};

// Parses tokenizer.json text into impl (hf_tokenizer_load.cpp).
void load_hf_tokenizer(std::string_view json_text, HfTokenizer::Impl& impl);

}  // namespace llmkit::tokenizer
