// GrammarAutomaton: a byte-level deterministic automaton built lazily from GrammarState::step.
// Each automaton state is an interned GrammarState (stacks hash-consed as parent-linked nodes, so a
// state is a sorted list of stack ids plus the pending partial character); each (state, byte)
// transition is computed once and then read from a table. TokenConstraint walks its vocabulary
// trie with step(), so a subtree of tokens is rejected by one failed transition and repeated
// grammar states (the inside of a JSON string) cost one table read per byte.
//
// Memory grows with the distinct states met (1 KiB of transitions each); clear() drops them all.
// Not thread-safe.
#pragma once

#include <cstdint>
#include <memory>
#include <unordered_map>
#include <vector>

#include "llmkit/infer/grammar.h"
#include "llmkit/infer/grammar_matcher.h"

namespace llmkit::infer {

class GrammarAutomaton {
 public:
  static constexpr int32_t kDead = -1;

  explicit GrammarAutomaton(std::shared_ptr<const Grammar> grammar);

  // The id of state s (interning it when new). A state without stacks is kDead.
  int32_t intern(const GrammarState& s);
  // The GrammarState of id (stacks in id order, not sorted).
  GrammarState materialize(int32_t id) const;

  // The state after byte b, or kDead.
  int32_t step(int32_t state, uint8_t b) {
    const size_t i = static_cast<size_t>(state) * 256 + b;
    const int32_t t = transitions_[i];
    if (t != kUnknown) return t;
    const int32_t r = compute_step(state, b);
    transitions_[i] = r;
    return r;
  }

  bool can_end(int32_t state) const { return (flags_[static_cast<size_t>(state)] & kCanEnd) != 0; }
  bool can_continue(int32_t state) const {
    return (flags_[static_cast<size_t>(state)] & kCanContinue) != 0;
  }
  size_t n_states() const { return flags_.size(); }
  const Grammar& grammar() const { return *grammar_; }

  // Drops every state and transition (ids become invalid).
  void clear();

 private:
  static constexpr int32_t kUnknown = -2;
  static constexpr uint8_t kCanEnd = 1, kCanContinue = 2;

  struct KeyHash {
    size_t operator()(const std::vector<int32_t>& v) const;
  };

  int32_t compute_step(int32_t state, uint8_t b);
  int32_t intern_stack(const std::vector<uint32_t>& stack);

  std::shared_ptr<const Grammar> grammar_;
  // Stack nodes: id 0 is the empty stack; node k > 0 is (position, parent id).
  std::vector<std::pair<uint32_t, int32_t>> nodes_;
  std::unordered_map<uint64_t, int32_t> node_ids_;
  // State keys: {partial key, sorted stack ids...}.
  std::vector<std::vector<int32_t>> keys_;
  std::unordered_map<std::vector<int32_t>, int32_t, KeyHash> state_ids_;
  std::vector<uint8_t> flags_;
  std::vector<int32_t> transitions_;  // [n_states * 256]
};

}  // namespace llmkit::infer
