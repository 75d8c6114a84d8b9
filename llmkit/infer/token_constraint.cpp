#include "llmkit/infer/token_constraint.h"

#include <algorithm>
#include <limits>
#include <utility>

#include "llmkit/base/error.h"

namespace llmkit::infer {
namespace {

constexpr size_t kMaxCachedMasks = 16;

}  // namespace

// ---- TokenTrie ----

std::shared_ptr<const TokenTrie> TokenTrie::build(const tokenizer::Tokenizer& tokenizer) {
  const int32_t n = tokenizer.n_vocab();
  std::vector<std::string> pieces(static_cast<size_t>(n));
  for (int32_t id = 0; id < n; ++id) {
    if (!tokenizer.is_special(id)) pieces[static_cast<size_t>(id)] = tokenizer.token_to_piece(id);
  }
  return from_pieces(std::move(pieces));
}

std::shared_ptr<const TokenTrie> TokenTrie::from_pieces(std::vector<std::string> pieces) {
  return std::shared_ptr<const TokenTrie>(new TokenTrie(std::move(pieces)));
}

TokenTrie::TokenTrie(std::vector<std::string> pieces) : pieces_(std::move(pieces)) {
  LLMKIT_CHECK(pieces_.size() < (size_t{1} << 31), "TokenTrie: vocabulary too large");
  std::vector<int32_t> order;
  for (size_t id = 0; id < pieces_.size(); ++id) {
    if (pieces_[id].empty()) continue;
    LLMKIT_CHECK(pieces_[id].size() < 0xFFFF, "TokenTrie: token ", id, " is ", pieces_[id].size(),
                 " bytes long; at most 65534 are supported");
    order.push_back(static_cast<int32_t>(id));
  }
  // Lexicographic order (prefixes first) is the trie's preorder.
  std::sort(order.begin(), order.end(), [&](int32_t a, int32_t b) {
    const int c = pieces_[static_cast<size_t>(a)].compare(pieces_[static_cast<size_t>(b)]);
    return c != 0 ? c < 0 : a < b;
  });
  nodes_.push_back({});
  std::vector<uint32_t> path = {0};  // path[d]: the open node at depth d
  std::string_view prev;
  for (int32_t id : order) {
    const std::string_view p = pieces_[static_cast<size_t>(id)];
    size_t common = 0;
    while (common < p.size() && common < prev.size() && p[common] == prev[common]) ++common;
    while (path.size() > common + 1) {
      nodes_[path.back()].subtree_end = static_cast<uint32_t>(nodes_.size());
      path.pop_back();
    }
    for (size_t d = common; d < p.size(); ++d) {
      path.push_back(static_cast<uint32_t>(nodes_.size()));
      nodes_.push_back({0, static_cast<uint32_t>(node_tokens_.size()), static_cast<uint16_t>(d + 1),
                        static_cast<uint8_t>(p[d])});
    }
    node_tokens_.push_back(id);
    max_depth_ = std::max(max_depth_, p.size());
    prev = p;
  }
  while (!path.empty()) {
    nodes_[path.back()].subtree_end = static_cast<uint32_t>(nodes_.size());
    path.pop_back();
  }
  nodes_.push_back(
      {static_cast<uint32_t>(nodes_.size() + 1), static_cast<uint32_t>(node_tokens_.size()), 0, 0});
}

// ---- TokenConstraint ----

TokenConstraint::TokenConstraint(std::shared_ptr<const Grammar> grammar,
                                 const tokenizer::Tokenizer& tokenizer,
                                 std::vector<int32_t> end_ids)
    : TokenConstraint(std::move(grammar), TokenTrie::build(tokenizer), std::move(end_ids)) {}

TokenConstraint::TokenConstraint(std::shared_ptr<const Grammar> grammar,
                                 std::shared_ptr<const TokenTrie> trie,
                                 std::vector<int32_t> end_ids)
    : grammar_(std::move(grammar)),
      trie_(std::move(trie)),
      end_ids_(std::move(end_ids)),
      dfa_(grammar_) {
  LLMKIT_CHECK(trie_ != nullptr, "TokenConstraint: null token trie");
  is_end_.assign(static_cast<size_t>(trie_->n_vocab()), 0);
  for (int32_t id : end_ids_) {
    LLMKIT_CHECK(id >= 0 && id < trie_->n_vocab(), "TokenConstraint: end id ", id,
                 " outside the vocabulary [0, ", trie_->n_vocab(), ")");
    is_end_[static_cast<size_t>(id)] = 1;
  }
  walk_states_.resize(trie_->max_depth() + 1);
  reset();
}

void TokenConstraint::reset() {
  if (initial_ == GrammarAutomaton::kDead || dfa_.n_states() > max_states_) {
    masks_.clear();
    mask_order_.clear();
    dfa_.clear();
    initial_ = dfa_.intern(GrammarState::initial(*grammar_));
    LLMKIT_CHECK(initial_ != GrammarAutomaton::kDead, "TokenConstraint: grammar has no start");
  }
  state_ = initial_;
}

void TokenConstraint::bound_memory() {
  if (dfa_.n_states() <= max_states_) return;
  const GrammarState keep = dfa_.materialize(state_);
  masks_.clear();
  mask_order_.clear();
  dfa_.clear();
  state_ = dfa_.intern(keep);
  initial_ = GrammarAutomaton::kDead;  // interned again by reset()
}

bool TokenConstraint::allows(int32_t id) const {
  if (id < 0 || id >= trie_->n_vocab()) return false;
  if (is_end_[static_cast<size_t>(id)] != 0) return dfa_.can_end(state_);
  const std::string_view piece = trie_->piece(id);
  if (piece.empty()) return false;
  int32_t s = state_;
  for (char c : piece) {
    s = dfa_.step(s, static_cast<uint8_t>(c));
    if (s == GrammarAutomaton::kDead) return false;
  }
  return true;
}

void TokenConstraint::accept(int32_t id) {
  LLMKIT_CHECK(allows(id), "TokenConstraint: token ", id,
               id >= 0 && id < trie_->n_vocab() ? str_cat(" ('", trie_->piece(id), "')") : "",
               " is not allowed by the grammar after the text so far");
  if (is_end_[static_cast<size_t>(id)] != 0) return;
  for (char c : trie_->piece(id)) state_ = dfa_.step(state_, static_cast<uint8_t>(c));
  bound_memory();
}

void TokenConstraint::walk(int32_t start, std::vector<uint64_t>& bits) const {
  const std::vector<TokenTrie::Node>& nodes = trie_->nodes();
  const int32_t* tokens = trie_->node_tokens().data();
  int32_t* states = walk_states_.data();
  states[0] = start;
  const size_t n = nodes.size() - 1;  // the sentinel is not a node
  size_t i = 1;
  while (i < n) {
    const TokenTrie::Node& node = nodes[i];
    const int32_t s = dfa_.step(states[node.depth - 1], node.byte);
    if (s == GrammarAutomaton::kDead) {
      i = node.subtree_end;
      continue;
    }
    states[node.depth] = s;
    for (uint32_t t = node.tokens_begin, e = nodes[i + 1].tokens_begin; t < e; ++t) {
      const auto id = static_cast<uint32_t>(tokens[t]);
      bits[id >> 6] |= uint64_t{1} << (id & 63);
    }
    ++i;
  }
}

const TokenConstraint::Mask& TokenConstraint::mask() const {
  auto it = masks_.find(state_);
  if (it != masks_.end()) return it->second;
  if (masks_.size() >= kMaxCachedMasks) {
    masks_.erase(mask_order_.front());
    mask_order_.pop_front();
  }
  Mask m;
  const size_t v = static_cast<size_t>(trie_->n_vocab());
  m.bits.assign((v + 63) / 64, 0);
  walk(state_, m.bits);
  for (int32_t id : end_ids_) {
    m.bits[static_cast<size_t>(id) >> 6] &= ~(uint64_t{1} << (id & 63));
  }
  m.any_ordinary = std::any_of(m.bits.begin(), m.bits.end(), [](uint64_t w) { return w != 0; });
  if (dfa_.can_end(state_)) {
    for (int32_t id : end_ids_) m.bits[static_cast<size_t>(id) >> 6] |= uint64_t{1} << (id & 63);
  }
  mask_order_.push_back(state_);
  return masks_.emplace(state_, std::move(m)).first->second;
}

void TokenConstraint::apply(std::span<float> logits) const {
  LLMKIT_CHECK(logits.size() == static_cast<size_t>(trie_->n_vocab()),
               "TokenConstraint::apply: ", logits.size(), " logits for a vocabulary of ",
               trie_->n_vocab());
  const std::vector<uint64_t>& bits = mask().bits;
  constexpr float kNegInf = -std::numeric_limits<float>::infinity();
  const size_t v = logits.size();
  for (size_t w = 0; w < bits.size(); ++w) {
    uint64_t off = ~bits[w];
    if (off == 0) continue;
    const size_t base = w * 64;
    if (off == ~uint64_t{0} && base + 64 <= v) {
      std::fill(logits.begin() + static_cast<std::ptrdiff_t>(base),
                logits.begin() + static_cast<std::ptrdiff_t>(base + 64), kNegInf);
      continue;
    }
    while (off != 0) {
      const size_t i = base + static_cast<size_t>(__builtin_ctzll(off));
      if (i >= v) break;
      logits[i] = kNegInf;
      off &= off - 1;
    }
  }
}

bool TokenConstraint::finished() const {
  if (!dfa_.can_end(state_)) return false;
  if (!dfa_.can_continue(state_)) return true;
  return !mask().any_ordinary;
}

}  // namespace llmkit::infer
