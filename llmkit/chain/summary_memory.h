// SummaryMemory: the last `keep_turns` turns verbatim, and everything older condensed by a chat
// model into one system message, placed after the history's own system messages.
//
// The summary is progressive: when turns fall out of the window, the model is called once with
// the current summary and the turns that just fell out, and its answer replaces the summary. So
// each turn is summarised once, when it leaves the window, and messages() calls the model only
// when that happened since the last call. If the history changed in a way that is not an append
// (cleared, rewritten by another holder), the summary is rebuilt from the start.
//
// Errors from the model propagate (as its RunnableError). Thread safety: messages() and clear()
// are serialised by a mutex; the model must be callable from the calling thread.
#pragma once

#include <mutex>
#include <string>

#include "llmkit/chain/chat_model.h"
#include "llmkit/chain/memory.h"

namespace llmkit::chain {

struct SummaryMemoryOptions {
  size_t keep_turns = 2;  // turns kept verbatim (>= 0)
  // System prompt of the summarising call.
  std::string instructions =
      "Progressively summarize the conversation. You are given the current summary and new "
      "lines of the conversation; reply with the new summary only, keeping every fact, name and "
      "number that may matter later.";
  // Text put before the summary in the system message sent with the kept turns.
  std::string summary_prefix = "Summary of the earlier conversation:\n";
  RunConfig run_config;  // for the summarising calls (callbacks, timeout)
};

class SummaryMemory : public Memory {
 public:
  SummaryMemory(ChatModelPtr model, SummaryMemoryOptions options = {},
                ChatHistoryPtr history = nullptr);
  std::string name() const override { return "summary"; }
  Messages messages() override;
  void clear() override;

  // The current summary ("" before any turn fell out of the window).
  std::string summary() const;
  // Model calls made so far (for tests and tracing).
  size_t summarize_calls() const;

 private:
  ChatModelPtr model_;
  SummaryMemoryOptions options_;
  mutable std::mutex mutex_;
  std::string summary_;
  Messages summarized_;  // the history prefix the summary covers (to detect rewrites)
  size_t calls_ = 0;
};

// The transcript form of messages used in summarising prompts: "User: ...", "Assistant: ...",
// "Assistant called tool N with {...}", "Tool N returned: ...", one line (or more) each.
std::string transcript(const Messages& messages);

}  // namespace llmkit::chain
