// ChatHistory: the stored messages of one conversation, in order. Memory (memory.h) decides
// which of them are sent to a model.
//
// Thread safety: every implementation here may be used from several threads at once (each call
// is atomic; a sequence of calls is not).
#pragma once

#include <memory>
#include <mutex>

#include "llmkit/chain/message.h"

namespace llmkit::chain {

class ChatHistory {
 public:
  virtual ~ChatHistory() = default;
  // Appends one message.
  virtual void add(const ChatMessage& message) = 0;
  // Appends several messages in order (implementations may make this one transaction).
  virtual void add_all(const Messages& messages) {
    for (const auto& m : messages) add(m);
  }
  // Every message, oldest first, exactly as added (all fields kept).
  virtual Messages messages() const = 0;
  // Removes every message of this history.
  virtual void clear() = 0;
};

using ChatHistoryPtr = std::shared_ptr<ChatHistory>;

// A history held in memory.
class InMemoryChatHistory : public ChatHistory {
 public:
  InMemoryChatHistory() = default;
  explicit InMemoryChatHistory(Messages messages) : messages_(std::move(messages)) {}
  void add(const ChatMessage& message) override {
    std::lock_guard<std::mutex> lock(mutex_);
    messages_.push_back(message);
  }
  Messages messages() const override {
    std::lock_guard<std::mutex> lock(mutex_);
    return messages_;
  }
  void clear() override {
    std::lock_guard<std::mutex> lock(mutex_);
    messages_.clear();
  }

 private:
  mutable std::mutex mutex_;
  Messages messages_;
};

}  // namespace llmkit::chain
