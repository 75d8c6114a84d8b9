// Memory: turns a ChatHistory into the messages sent to a model. Kinds: buffer (everything),
// window (the last k turns), token budget (the newest turns that fit N tokens), and summary
// (summary_memory.h: older turns condensed by a chat model into one system message).
//
// Turns: a turn starts at each "user" message and runs up to the next one (the assistant's
// answer, its tool calls and the "tool" messages answering them stay together, so a selection
// never separates a tool result from its call). Messages before the first user message form a
// turn of their own. System messages belong to no turn: every memory kind keeps all of them.
// messages() returns the kept messages in history order.
//
// Thread safety: add/clear/messages may be called from several threads (the history serialises
// them); a memory does not make a sequence of calls atomic.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "llmkit/chain/chat_history.h"
#include "llmkit/tokenizer/tokenizer.h"

namespace llmkit::chain {

class Memory {
 public:
  // history: where messages are stored (shared with whoever else holds it); nullptr -> a new
  // InMemoryChatHistory.
  explicit Memory(ChatHistoryPtr history = nullptr);
  virtual ~Memory() = default;

  virtual std::string name() const = 0;
  // The messages to send to the model now, in history order.
  virtual Messages messages() = 0;

  void add(const ChatMessage& message) { history_->add(message); }
  void add_all(const Messages& messages) { history_->add_all(messages); }
  // Clears the history and anything derived from it (a summary).
  virtual void clear() { history_->clear(); }

  ChatHistory& history() const { return *history_; }
  const ChatHistoryPtr& history_ptr() const { return history_; }

 private:
  ChatHistoryPtr history_;
};

using MemoryPtr = std::shared_ptr<Memory>;

// Index ranges [begin, end) of the turns of messages (system messages are skipped: a turn's
// range may contain system messages, which callers keep anyway).
struct TurnRange {
  size_t begin = 0, end = 0;
};
std::vector<TurnRange> split_turns(const Messages& messages);

// The system messages plus the messages of turns [first_turn, turns.size()), in history order.
Messages keep_turns_from(const Messages& messages, const std::vector<TurnRange>& turns,
                         size_t first_turn);

// Every message of the history.
class BufferMemory : public Memory {
 public:
  using Memory::Memory;
  std::string name() const override { return "buffer"; }
  Messages messages() override { return history().messages(); }
};

// The last k turns (k >= 1) and every system message.
class WindowMemory : public Memory {
 public:
  explicit WindowMemory(size_t k, ChatHistoryPtr history = nullptr);
  std::string name() const override { return "window"; }
  Messages messages() override;

 private:
  size_t k_;
};

// Tokens one message costs in a prompt.
using TokenCounter = std::function<int64_t(const ChatMessage&)>;

// Counts with a tokenizer: tokens of the content (plus tool-call names and JSON arguments, and
// the tool name of tool messages) plus per_message_overhead for the chat template's role markers.
// The tokenizer must outlive the counter.
TokenCounter tokenizer_token_counter(const tokenizer::Tokenizer& tokenizer,
                                     int64_t per_message_overhead = 4);
// A rough counter for when no tokenizer is at hand: ceil(bytes / 4) + per_message_overhead.
TokenCounter approximate_token_counter(int64_t per_message_overhead = 4);

// Every system message, then the newest whole turns whose tokens, added to the system messages'
// tokens, stay within max_tokens. Turns are kept newest first and contiguously (an older turn
// is never kept when a newer one was dropped). The newest turn is always kept, even when it
// alone exceeds the budget, so that the model always sees the latest message.
class TokenBudgetMemory : public Memory {
 public:
  TokenBudgetMemory(int64_t max_tokens, TokenCounter counter, ChatHistoryPtr history = nullptr);
  std::string name() const override { return "token_budget"; }
  Messages messages() override;
  // Tokens of messages by this memory's counter.
  int64_t count_tokens(const Messages& messages) const;

 private:
  int64_t max_tokens_;
  TokenCounter counter_;
};

}  // namespace llmkit::chain
