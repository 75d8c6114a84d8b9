// Grammar-constrained decoding over a tokenizer's vocabulary.
//
// TokenTrie: the bytes of every ordinary token (Tokenizer::token_to_piece) in a byte trie, built
// once per tokenizer and shared (immutable) by any number of constraints and threads. Special
// tokens and tokens whose piece is empty are left out: they are never allowed inside a grammar.
//
// TokenConstraint: one generation's grammar state over that vocabulary. The allowed set is found
// by walking the trie with a lazily built byte automaton of the grammar (grammar_automaton.h): a
// byte no sentence can continue with prunes the whole subtree below it, and each (state, byte)
// transition is computed once per constraint. The allowed set of a state is cached (a bitmask,
// a few of the most recent states), so a state met again (the inside of a JSON string) costs one
// pass over the logits. A token that ends inside a multi-byte character is allowed when the
// character can still become one the grammar accepts (as in llama.cpp).
//
// End ids (EOS, end of turn) are allowed exactly when the text so far is a complete sentence;
// accepting one changes nothing. When the grammar is complete and no token can continue it,
// finished() is true and only end ids are allowed.
#pragma once

#include <cstdint>
#include <list>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "llmkit/infer/grammar.h"
#include "llmkit/infer/grammar_automaton.h"
#include "llmkit/tokenizer/tokenizer.h"

namespace llmkit::infer {

class TokenTrie {
 public:
  // A trie node, in preorder: the node's subtree is [its index, subtree_end). Its tokens (those
  // whose bytes spell the path to it) are node_tokens()[tokens_begin, next node's tokens_begin).
  struct Node {
    uint32_t subtree_end = 0;
    uint32_t tokens_begin = 0;
    uint16_t depth = 0;  // bytes from the root (the root: 0)
    uint8_t byte = 0;    // the byte on the edge into this node
  };

  static std::shared_ptr<const TokenTrie> build(const tokenizer::Tokenizer& tokenizer);
  // pieces[id]: the bytes of token id; "" leaves the id out (as for special tokens).
  static std::shared_ptr<const TokenTrie> from_pieces(std::vector<std::string> pieces);

  int32_t n_vocab() const { return static_cast<int32_t>(pieces_.size()); }
  // The bytes of id ("" for tokens left out). id must be in [0, n_vocab()).
  std::string_view piece(int32_t id) const { return pieces_[static_cast<size_t>(id)]; }
  // Node 0 is the root; the last node is a sentinel (depth 0) closing the token ranges.
  const std::vector<Node>& nodes() const { return nodes_; }
  const std::vector<int32_t>& node_tokens() const { return node_tokens_; }
  size_t max_depth() const { return max_depth_; }

 private:
  explicit TokenTrie(std::vector<std::string> pieces);

  std::vector<std::string> pieces_;
  std::vector<Node> nodes_;
  std::vector<int32_t> node_tokens_;
  size_t max_depth_ = 0;
};

class TokenConstraint {
 public:
  // Builds a TokenTrie from tokenizer (slow on a large vocabulary: share one with the constructor
  // below when constraining several generations).
  TokenConstraint(std::shared_ptr<const Grammar> grammar, const tokenizer::Tokenizer& tokenizer,
                  std::vector<int32_t> end_ids);
  // Throws Error(kInvalidArgument) for a null grammar/trie or an end id outside the vocabulary.
  TokenConstraint(std::shared_ptr<const Grammar> grammar, std::shared_ptr<const TokenTrie> trie,
                  std::vector<int32_t> end_ids);

  // Whether token id may come next (false for ids outside the vocabulary). Cost: its length.
  bool allows(int32_t id) const;
  // Sets logits[id] to -inf for every token not allowed. logits: [n_vocab]; throws
  // Error(kInvalidArgument) for another size. Every entry may end up -inf when no token can
  // continue the grammar and it cannot end (a grammar needing characters no token spells).
  void apply(std::span<float> logits) const;
  // Appends token id to the text; throws Error(kInvalidArgument) naming it when not allowed.
  void accept(int32_t id);
  // The text so far is a complete sentence (end ids are allowed).
  bool can_end() const { return dfa_.can_end(state_); }
  // can_end() and no ordinary token can continue: only an end id may follow.
  bool finished() const;
  // Back to the empty text.
  void reset();

  // Memory bound: when accept() leaves the automaton with more states than this (default 16384,
  // about 16 MiB of transitions), the automaton and the cached allowed sets are dropped and rebuilt
  // on demand. Only speed depends on it; a small value exercises the rebuilding in tests.
  void set_max_automaton_states(size_t n) { max_states_ = n; }

  int32_t n_vocab() const { return trie_->n_vocab(); }
  const std::vector<int32_t>& end_ids() const { return end_ids_; }
  const std::shared_ptr<const TokenTrie>& trie() const { return trie_; }

 private:
  struct Mask {
    std::vector<uint64_t> bits;  // allowed ids, end ids included when the state can end
    bool any_ordinary = false;   // some non-end token is allowed
  };
  // The allowed set of the current state (cached).
  const Mask& mask() const;
  void walk(int32_t start, std::vector<uint64_t>& bits) const;
  // Drops the automaton and the cache when they grow large (keeps the current state).
  void bound_memory();

  std::shared_ptr<const Grammar> grammar_;
  std::shared_ptr<const TokenTrie> trie_;
  std::vector<int32_t> end_ids_;
  std::vector<uint8_t> is_end_;  // [n_vocab]
  mutable GrammarAutomaton dfa_;
  int32_t state_ = GrammarAutomaton::kDead;
  int32_t initial_ = GrammarAutomaton::kDead;
  mutable std::vector<int32_t> walk_states_;  // [max_depth + 1]
  mutable std::unordered_map<int32_t, Mask> masks_;
  mutable std::list<int32_t> mask_order_;  // least recently computed first
  size_t max_states_ = size_t{1} << 14;
};

}  // namespace llmkit::infer
