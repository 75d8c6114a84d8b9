#include "llmkit/chain/memory.h"

#include "llmkit/base/error.h"

namespace llmkit::chain {

Memory::Memory(ChatHistoryPtr history)
    : history_(history ? std::move(history) : std::make_shared<InMemoryChatHistory>()) {}

std::vector<TurnRange> split_turns(const Messages& messages) {
  std::vector<TurnRange> turns;
  bool open = false;
  for (size_t i = 0; i < messages.size(); ++i) {
    const std::string& role = messages[i].role;
    if (role == "system") continue;
    if (role == "user" || !open) {
      if (open) turns.back().end = i;
      turns.push_back({i, messages.size()});
      open = true;
    }
  }
  return turns;
}

Messages keep_turns_from(const Messages& messages, const std::vector<TurnRange>& turns,
                         size_t first_turn) {
  const size_t start = first_turn < turns.size() ? turns[first_turn].begin : messages.size();
  Messages out;
  for (size_t i = 0; i < messages.size(); ++i) {
    if (i >= start || messages[i].role == "system") out.push_back(messages[i]);
  }
  return out;
}

WindowMemory::WindowMemory(size_t k, ChatHistoryPtr history) : Memory(std::move(history)), k_(k) {
  LLMKIT_CHECK(k >= 1, "WindowMemory: k (turns kept) must be at least 1");
}

Messages WindowMemory::messages() {
  const Messages all = history().messages();
  const auto turns = split_turns(all);
  return keep_turns_from(all, turns, turns.size() > k_ ? turns.size() - k_ : 0);
}

TokenCounter tokenizer_token_counter(const tokenizer::Tokenizer& tokenizer,
                                     int64_t per_message_overhead) {
  return [&tokenizer, per_message_overhead](const ChatMessage& m) {
    std::string text = m.content;
    for (const auto& call : m.tool_calls) text += " " + call.name + " " + call.arguments.dump();
    if (!m.name.empty()) text += " " + m.name;
    return static_cast<int64_t>(tokenizer.encode(text).size()) + per_message_overhead;
  };
}

TokenCounter approximate_token_counter(int64_t per_message_overhead) {
  return [per_message_overhead](const ChatMessage& m) {
    size_t bytes = m.content.size() + m.name.size();
    for (const auto& call : m.tool_calls) bytes += call.name.size() + call.arguments.dump().size();
    return static_cast<int64_t>((bytes + 3) / 4) + per_message_overhead;
  };
}

TokenBudgetMemory::TokenBudgetMemory(int64_t max_tokens, TokenCounter counter,
                                     ChatHistoryPtr history)
    : Memory(std::move(history)), max_tokens_(max_tokens), counter_(std::move(counter)) {
  LLMKIT_CHECK(max_tokens > 0, "TokenBudgetMemory: max_tokens must be positive, got ", max_tokens);
  LLMKIT_CHECK(static_cast<bool>(counter_), "TokenBudgetMemory: needs a token counter");
}

int64_t TokenBudgetMemory::count_tokens(const Messages& messages) const {
  int64_t n = 0;
  for (const auto& m : messages) n += counter_(m);
  return n;
}

Messages TokenBudgetMemory::messages() {
  const Messages all = history().messages();
  const auto turns = split_turns(all);
  int64_t used = 0;
  for (const auto& m : all) {
    if (m.role == "system") used += counter_(m);
  }
  size_t first = turns.size();
  while (first > 0) {
    int64_t cost = 0;
    for (size_t i = turns[first - 1].begin; i < turns[first - 1].end; ++i) {
      if (all[i].role != "system") cost += counter_(all[i]);
    }
    if (used + cost > max_tokens_ && first != turns.size()) break;
    used += cost;
    --first;
  }
  return keep_turns_from(all, turns, first);
}

}  // namespace llmkit::chain
