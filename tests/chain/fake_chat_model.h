// FakeChatModel: a scripted ChatModel for tests of code that uses chat models (chains, memory,
// agents). It answers with its replies in order (the last one repeats once the script is used
// up, or an Error is thrown when `repeat_last` is false) and records every call's messages and
// effective options. Streaming splits the reply's content into chunks of `chunk_chars` bytes
// (whole UTF-8 characters); tool calls arrive in the last chunk, as the ChatModel contract says.
// Copies made by with_options() share the script and the record.
//
// Replies may also be functions of the messages (a `Responder`), for models whose answer
// depends on the conversation. A reply with role "error" throws Error(kInvalidArgument)
// with its content, to test error paths.
#pragma once

#include <algorithm>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "llmkit/base/error.h"
#include "llmkit/chain/chat_model.h"

namespace llmkit::chain::testing {

class FakeChatModel : public ChatModel {
 public:
  using Responder = std::function<ChatMessage(const Messages&, const ChatOptions&)>;

  struct Call {
    Messages messages;
    ChatOptions options;
    bool streamed = false;
  };

  explicit FakeChatModel(std::vector<ChatMessage> replies, bool repeat_last = true)
      : state_(std::make_shared<State>()) {
    for (auto& r : replies) {
      state_->script.push_back([r](const Messages&, const ChatOptions&) { return r; });
    }
    state_->repeat_last = repeat_last;
  }
  // Plain text replies.
  static std::shared_ptr<FakeChatModel> texts(const std::vector<std::string>& texts,
                                              bool repeat_last = true) {
    std::vector<ChatMessage> replies;
    for (const auto& t : texts) replies.push_back(assistant_message(t));
    return std::make_shared<FakeChatModel>(std::move(replies), repeat_last);
  }
  static std::shared_ptr<FakeChatModel> responder(Responder fn) {
    auto m = std::make_shared<FakeChatModel>(std::vector<ChatMessage>{});
    m->state_->script.push_back(std::move(fn));
    return m;
  }

  std::string name() const override { return "FakeChatModel"; }

  ChatModelPtr with_options(const ChatOptions& options) const override {
    auto copy = std::make_shared<FakeChatModel>(*this);
    copy->options_ = options;
    return copy;
  }
  const ChatOptions& options() const override { return options_; }

  // Bytes per streamed chunk (>= 1).
  int chunk_chars = 3;

  std::vector<Call> calls() const {
    std::lock_guard<std::mutex> lock(state_->mutex);
    return state_->calls;
  }
  size_t call_count() const {
    std::lock_guard<std::mutex> lock(state_->mutex);
    return state_->calls.size();
  }
  Call last_call() const {
    std::lock_guard<std::mutex> lock(state_->mutex);
    LLMKIT_CHECK(!state_->calls.empty(), "FakeChatModel: no call recorded yet");
    return state_->calls.back();
  }

 protected:
  ChatMessage invoke_impl(const Messages& input, RunContext& ctx) const override {
    (void)ctx;
    return next(input, false);
  }

  ChatMessage stream_impl(const Messages& input,
                          const std::function<void(const ChatMessage&)>& on_chunk,
                          RunContext& ctx) const override {
    (void)ctx;
    ChatMessage reply = next(input, true);
    const std::string& text = reply.content;
    size_t pos = 0;
    const size_t step = static_cast<size_t>(chunk_chars < 1 ? 1 : chunk_chars);
    while (pos < text.size()) {
      size_t end = std::min(text.size(), pos + step);
      while (end < text.size() && (static_cast<unsigned char>(text[end]) & 0xC0) == 0x80) ++end;
      ChatMessage chunk{"assistant", text.substr(pos, end - pos), {}, {}, {}};
      if (end == text.size()) chunk.tool_calls = reply.tool_calls;
      on_chunk(chunk);
      pos = end;
    }
    if (text.empty()) on_chunk(ChatMessage{"assistant", "", reply.tool_calls, {}, {}});
    return reply;
  }

 private:
  struct State {
    std::mutex mutex;
    std::vector<Responder> script;
    size_t next = 0;
    bool repeat_last = true;
    std::vector<Call> calls;
  };

  ChatMessage next(const Messages& input, bool streamed) const {
    Responder fn;
    {
      std::lock_guard<std::mutex> lock(state_->mutex);
      state_->calls.push_back({input, options_, streamed});
      LLMKIT_CHECK(!state_->script.empty(), "FakeChatModel: no scripted replies");
      if (state_->next >= state_->script.size()) {
        LLMKIT_CHECK(state_->repeat_last, "FakeChatModel: script of ", state_->script.size(),
                     " replies used up (call ", state_->calls.size(), ")");
        fn = state_->script.back();
      } else {
        fn = state_->script[state_->next++];
      }
    }
    ChatMessage reply = fn(input, options_);
    LLMKIT_CHECK(reply.role != "error", reply.content);
    if (reply.role.empty()) reply.role = "assistant";
    return reply;
  }

  std::shared_ptr<State> state_;
  ChatOptions options_;
};

}  // namespace llmkit::chain::testing
