#include "llmkit/tokenizer/bpe_model.h"

#include <cstdio>
#include <queue>

#include "llmkit/base/error.h"
#include "llmkit/tokenizer/hf_text.h"

namespace llmkit::tokenizer::hf {

namespace {

constexpr size_t kMaxCachedWord = 256;  // bytes; longer words are rarely repeated
constexpr size_t kMaxCacheEntries = 65536;

uint64_t pair_key(int32_t a, int32_t b) {
  return (static_cast<uint64_t>(static_cast<uint32_t>(a)) << 32) | static_cast<uint32_t>(b);
}

}  // namespace

BpeModel::BpeModel(BpeConfig config) : config_(std::move(config)) {
  piece_ids_.reserve(config_.vocab.size());
  symbol_of_.reserve(config_.vocab.size() + config_.merges.size());
  symbols_.reserve(config_.vocab.size() + config_.merges.size());
  // find before emplace: emplace would allocate a node for every string already present
  const auto intern = [&](std::string s) {
    const auto it = symbol_of_.find(s);
    if (it != symbol_of_.end()) return it->second;
    const auto id = static_cast<int32_t>(symbols_.size());
    symbols_.push_back(s);
    symbol_of_.emplace(std::move(s), id);
    return id;
  };
  for (auto& [piece, id] : config_.vocab) {
    intern(piece);
    piece_ids_.emplace(std::move(piece), id);
  }
  merges_.reserve(config_.merges.size());
  for (size_t r = 0; r < config_.merges.size(); ++r) {
    const auto& [a, b] = config_.merges[r];
    const int32_t sa = intern(a), sb = intern(b);
    const int32_t merged = intern(a + b);
    // the first occurrence of a pair keeps its (lowest) rank
    merges_.emplace(pair_key(sa, sb), Merge{static_cast<int32_t>(r), merged});
  }
  symbol_ids_.resize(symbols_.size());
  for (size_t i = 0; i < symbols_.size(); ++i) symbol_ids_[i] = piece_to_id(symbols_[i]);
  if (!config_.unk_token.empty()) unk_id_ = piece_to_id(config_.unk_token);
  for (int b = 0; b < 256; ++b) {
    char name[8];
    std::snprintf(name, sizeof name, "<0x%02X>", b);
    byte_ids_[b] = piece_to_id(name);
  }
  config_.vocab.clear();
  config_.vocab.shrink_to_fit();
  config_.merges.clear();
  config_.merges.shrink_to_fit();
}

BpeModel::~BpeModel() = default;

void BpeModel::add_piece(const std::string& piece, int32_t id) {
  piece_ids_[piece] = id;
  const auto [it, inserted] = symbol_of_.emplace(piece, static_cast<int32_t>(symbols_.size()));
  if (inserted) {
    symbols_.push_back(piece);
    symbol_ids_.push_back(id);
  } else {
    symbol_ids_[static_cast<size_t>(it->second)] = id;
  }
  std::lock_guard<std::mutex> lock(cache_mutex_);
  cache_.clear();
}

int32_t BpeModel::piece_to_id(std::string_view piece) const {
  const auto it = piece_ids_.find(std::string(piece));
  return it == piece_ids_.end() ? -1 : it->second;
}

std::vector<int32_t> BpeModel::merge_symbols(std::string_view word) const {
  if (word.size() <= kMaxCachedWord) {
    std::lock_guard<std::mutex> lock(cache_mutex_);
    const auto it = cache_.find(std::string(word));
    if (it != cache_.end()) return it->second;
  }
  // Nodes of a doubly linked list, one per character at first; a node's index is the position
  // of its first character, which breaks ties between equal ranks (leftmost first).
  struct Node {
    int32_t symbol;  // -1: a character that is not a known symbol (never merges)
    int32_t prev, next;
    std::string text;  // only for unknown characters
  };
  std::vector<Node> nodes;
  size_t pos = 0;
  while (pos < word.size()) {
    size_t len = 0;
    decode_utf8(word, pos, &len);
    const std::string ch(word.substr(pos, len));
    const auto it = symbol_of_.find(ch);
    const int32_t n = static_cast<int32_t>(nodes.size());
    nodes.push_back(Node{it == symbol_of_.end() ? -1 : it->second, n - 1, n + 1,
                         it == symbol_of_.end() ? ch : std::string()});
    pos += len;
  }
  if (!nodes.empty()) nodes.back().next = -1;

  struct Candidate {
    int32_t rank, left, left_symbol, right_symbol;
    bool operator>(const Candidate& o) const {
      return rank != o.rank ? rank > o.rank : left > o.left;
    }
  };
  std::priority_queue<Candidate, std::vector<Candidate>, std::greater<Candidate>> queue;
  const auto consider = [&](int32_t left) {
    const int32_t right = nodes[left].next;
    if (right < 0 || nodes[left].symbol < 0 || nodes[right].symbol < 0) return;
    const auto it = merges_.find(pair_key(nodes[left].symbol, nodes[right].symbol));
    if (it != merges_.end()) {
      queue.push(Candidate{it->second.rank, left, nodes[left].symbol, nodes[right].symbol});
    }
  };
  const bool whole = config_.ignore_merges && piece_ids_.count(std::string(word)) > 0;
  if (!whole) {
    for (int32_t i = 0; i + 1 < static_cast<int32_t>(nodes.size()); ++i) consider(i);
  }
  while (!queue.empty()) {
    const Candidate c = queue.top();
    queue.pop();
    Node& left = nodes[c.left];
    // stale entry: the left node was merged away or one side changed since it was queued
    if (left.symbol != c.left_symbol || left.next < 0 ||
        nodes[left.next].symbol != c.right_symbol) {
      continue;
    }
    const int32_t right = left.next;
    left.symbol = merges_.at(pair_key(c.left_symbol, c.right_symbol)).result;
    left.next = nodes[right].next;
    if (left.next >= 0) nodes[left.next].prev = c.left;
    nodes[right].symbol = -2;  // dead
    if (left.prev >= 0) consider(left.prev);
    consider(c.left);
  }
  std::vector<int32_t> result;
  if (whole) {
    result.push_back(symbol_of_.at(std::string(word)));
  } else {
    for (int32_t i = nodes.empty() ? -1 : 0; i >= 0; i = nodes[i].next) {
      if (nodes[i].symbol >= 0) {
        result.push_back(nodes[i].symbol);
      } else {
        // an unknown character: intern-free marker -(index+3) into the word (resolved by caller)
        result.push_back(-3 - i);
      }
    }
  }
  if (word.size() <= kMaxCachedWord) {
    std::lock_guard<std::mutex> lock(cache_mutex_);
    if (cache_.size() >= kMaxCacheEntries) cache_.clear();
    cache_.emplace(std::string(word), result);
  }
  return result;
}

std::vector<std::string> BpeModel::merge_word(std::string_view word) const {
  const std::vector<int32_t> syms = merge_symbols(word);
  std::vector<std::string> chars;
  bool have_chars = false;
  std::vector<std::string> out;
  for (const int32_t s : syms) {
    if (s >= 0) {
      out.push_back(symbols_[static_cast<size_t>(s)]);
    } else {
      if (!have_chars) {
        chars = split_chars(word);
        have_chars = true;
      }
      out.push_back(chars[static_cast<size_t>(-3 - s)]);
    }
  }
  return out;
}

void BpeModel::encode_word(std::string_view word, std::vector<int32_t>& out) const {
  if (word.empty()) return;
  const std::vector<int32_t> syms = merge_symbols(word);
  std::vector<std::string> chars;  // split lazily, for characters that are no symbol
  for (const int32_t s : syms) {
    if (s >= 0 && symbol_ids_[static_cast<size_t>(s)] >= 0) {
      out.push_back(symbol_ids_[static_cast<size_t>(s)]);
      continue;
    }
    if (s < 0 && chars.empty()) chars = split_chars(word);
    const std::string& piece =
        s >= 0 ? symbols_[static_cast<size_t>(s)] : chars[static_cast<size_t>(-3 - s)];
    if (config_.byte_fallback) {
      bool all = true;
      for (const char c : piece) all = all && byte_ids_[static_cast<uint8_t>(c)] >= 0;
      if (all) {
        for (const char c : piece) out.push_back(byte_ids_[static_cast<uint8_t>(c)]);
        continue;
      }
    }
    if (unk_id_ >= 0) out.push_back(unk_id_);
  }
}

std::vector<int32_t> BpeModel::encode_words(const std::vector<std::string>& words) const {
  std::vector<int32_t> ids;
  for (const std::string& w : words) encode_word(w, ids);
  if (config_.fuse_unk && unk_id_ >= 0) {
    std::vector<int32_t> fused;
    fused.reserve(ids.size());
    for (const int32_t id : ids) {
      if (id == unk_id_ && !fused.empty() && fused.back() == unk_id_) continue;
      fused.push_back(id);
    }
    ids.swap(fused);
  }
  return ids;
}

}  // namespace llmkit::tokenizer::hf
