#include "llmkit/chain/summary_memory.h"

#include <algorithm>

#include "llmkit/base/error.h"

namespace llmkit::chain {

std::string transcript(const Messages& messages) {
  std::string out;
  for (const auto& m : messages) {
    if (m.role == "user") {
      out += "User: " + m.content + "\n";
    } else if (m.role == "assistant") {
      if (!m.content.empty()) out += "Assistant: " + m.content + "\n";
      for (const auto& c : m.tool_calls) {
        out += "Assistant called tool " + c.name + " with " + c.arguments.dump() + "\n";
      }
    } else if (m.role == "tool") {
      out += "Tool " + m.name + " returned: " + m.content + "\n";
    } else {
      out += m.role + ": " + m.content + "\n";
    }
  }
  return out;
}

SummaryMemory::SummaryMemory(ChatModelPtr model, SummaryMemoryOptions options,
                             ChatHistoryPtr history)
    : Memory(std::move(history)), model_(std::move(model)), options_(std::move(options)) {
  LLMKIT_CHECK(model_ != nullptr, "SummaryMemory: needs a chat model to summarise with");
}

std::string SummaryMemory::summary() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return summary_;
}

size_t SummaryMemory::summarize_calls() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return calls_;
}

void SummaryMemory::clear() {
  std::lock_guard<std::mutex> lock(mutex_);
  Memory::clear();
  summary_.clear();
  summarized_.clear();
}

Messages SummaryMemory::messages() {
  std::lock_guard<std::mutex> lock(mutex_);
  const Messages all = history().messages();
  const auto turns = split_turns(all);
  const size_t first_kept =
      turns.size() > options_.keep_turns ? turns.size() - options_.keep_turns : 0;
  // The non-system messages of the turns that left the window, in order.
  const size_t old_end = first_kept < turns.size() ? turns[first_kept].begin : all.size();
  Messages old;
  for (size_t i = 0; i < old_end; ++i) {
    if (all[i].role != "system") old.push_back(all[i]);
  }
  const bool is_append = summarized_.size() <= old.size() &&
                         std::equal(summarized_.begin(), summarized_.end(), old.begin());
  if (!is_append) {
    summary_.clear();
    summarized_.clear();
  }
  if (old.size() > summarized_.size()) {
    const Messages fresh(old.begin() + static_cast<std::ptrdiff_t>(summarized_.size()), old.end());
    Messages prompt = {
        system_message(options_.instructions),
        user_message("Current summary:\n" + (summary_.empty() ? std::string("(none)") : summary_) +
                     "\n\nNew lines of the conversation:\n" + transcript(fresh) +
                     "\nNew summary:")};
    ChatMessage reply = model_->invoke(prompt, options_.run_config);
    ++calls_;
    summary_ = reply.content;
    summarized_ = old;
  }
  Messages out;
  bool placed = summary_.empty();
  const size_t start = first_kept < turns.size() ? turns[first_kept].begin : all.size();
  for (size_t i = 0; i < all.size(); ++i) {
    if (all[i].role == "system" && i < start) {
      out.push_back(all[i]);
      continue;
    }
    if (i < start) continue;
    if (!placed) {
      out.push_back(system_message(options_.summary_prefix + summary_));
      placed = true;
    }
    out.push_back(all[i]);
  }
  if (!placed) out.push_back(system_message(options_.summary_prefix + summary_));
  return out;
}

}  // namespace llmkit::chain
