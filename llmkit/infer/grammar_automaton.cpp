#include "llmkit/infer/grammar_automaton.h"

#include <algorithm>

#include "llmkit/base/error.h"

namespace llmkit::infer {

size_t GrammarAutomaton::KeyHash::operator()(const std::vector<int32_t>& v) const {
  uint64_t h = 0x9E3779B97F4A7C15ull ^ v.size();
  for (int32_t x : v) {
    h ^= static_cast<uint32_t>(x);
    h *= 0xBF58476D1CE4E5B9ull;
    h ^= h >> 29;
  }
  return static_cast<size_t>(h);
}

GrammarAutomaton::GrammarAutomaton(std::shared_ptr<const Grammar> grammar)
    : grammar_(std::move(grammar)) {
  LLMKIT_CHECK(grammar_ != nullptr, "GrammarAutomaton: null grammar");
  clear();
}

void GrammarAutomaton::clear() {
  nodes_.assign(1, {0u, -1});
  node_ids_.clear();
  keys_.clear();
  state_ids_.clear();
  flags_.clear();
  transitions_.clear();
}

int32_t GrammarAutomaton::intern_stack(const std::vector<uint32_t>& stack) {
  int32_t id = 0;
  for (uint32_t pos : stack) {
    const uint64_t key = uint64_t{pos} << 32 | static_cast<uint32_t>(id);
    auto [it, added] = node_ids_.emplace(key, static_cast<int32_t>(nodes_.size()));
    if (added) nodes_.emplace_back(pos, id);
    id = it->second;
  }
  return id;
}

int32_t GrammarAutomaton::intern(const GrammarState& s) {
  if (s.stacks.empty()) return kDead;
  std::vector<int32_t> key;
  key.reserve(s.stacks.size() + 1);
  key.push_back(static_cast<int32_t>(s.partial.key()));
  for (const auto& stack : s.stacks) key.push_back(intern_stack(stack));
  std::sort(key.begin() + 1, key.end());
  key.erase(std::unique(key.begin() + 1, key.end()), key.end());
  auto [it, added] = state_ids_.emplace(key, static_cast<int32_t>(keys_.size()));
  if (added) {
    keys_.push_back(std::move(key));
    uint8_t f = 0;
    if (s.can_end()) f |= kCanEnd;
    if (s.can_continue()) f |= kCanContinue;
    flags_.push_back(f);
    transitions_.resize(transitions_.size() + 256, kUnknown);
  }
  return it->second;
}

GrammarState GrammarAutomaton::materialize(int32_t id) const {
  LLMKIT_CHECK(id >= 0 && static_cast<size_t>(id) < keys_.size(), "GrammarAutomaton: state id ", id,
               " out of range");
  const std::vector<int32_t>& key = keys_[static_cast<size_t>(id)];
  GrammarState s;
  s.partial = Utf8Partial::from_key(static_cast<uint32_t>(key[0]));
  s.stacks.reserve(key.size() - 1);
  for (size_t i = 1; i < key.size(); ++i) {
    std::vector<uint32_t> stack;
    for (int32_t n = key[i]; n != 0; n = nodes_[static_cast<size_t>(n)].second) {
      stack.push_back(nodes_[static_cast<size_t>(n)].first);
    }
    std::reverse(stack.begin(), stack.end());
    s.stacks.push_back(std::move(stack));
  }
  return s;
}

int32_t GrammarAutomaton::compute_step(int32_t state, uint8_t b) {
  const GrammarState in = materialize(state);
  GrammarState out;
  if (!GrammarState::step(*grammar_, in, b, out)) return kDead;
  return intern(out);
}

}  // namespace llmkit::infer
