#include "llmkit/server/choice_builder.h"

#include <utility>

#include "llmkit/chain/tool_call_parser.h"

namespace llmkit::server {

std::string finish_reason_of(const std::string& stop_reason) {
  if (stop_reason == "max tokens" || stop_reason == "context full") return "length";
  if (stop_reason == "eos" || stop_reason == "stop string" || stop_reason == "grammar") {
    return "stop";
  }
  return "";
}

ChoiceBuilder::ChoiceBuilder(int64_t index, bool chat, bool tools_offered, std::string prefix)
    : index_(index), chat_(chat), tools_(chat && tools_offered), text_(std::move(prefix)) {}

std::string ChoiceBuilder::add(const JobEvent& event) {
  text_ += event.text;
  if (event.logprob) logprobs_.push_back(*event.logprob);
  if (!tools_) {
    std::string delta = text_.substr(streamed_);
    streamed_ = text_.size();
    return delta;
  }
  const std::string content = chain::streamable_content(text_);
  if (content.size() <= streamed_) return "";
  std::string delta = content.substr(streamed_);
  streamed_ = content.size();
  return delta;
}

std::vector<TokenLogprob> ChoiceBuilder::take_new_logprobs() {
  std::vector<TokenLogprob> out(logprobs_.begin() + static_cast<std::ptrdiff_t>(logprobs_taken_),
                                logprobs_.end());
  logprobs_taken_ = logprobs_.size();
  return out;
}

ChoiceResult ChoiceBuilder::finish(const JobEvent& end, std::string* delta) {
  ChoiceResult r;
  r.index = index_;
  r.text = text_;
  r.logprobs = logprobs_;
  r.finish_reason = finish_reason_of(end.stop_reason);
  r.message.role = "assistant";
  std::string content = text_;
  if (tools_) {
    chain::ParsedToolCalls parsed = chain::parse_tool_calls(text_);
    if (!parsed.calls.empty()) {
      content = parsed.content;
      for (size_t i = 0; i < parsed.calls.size(); ++i) {
        chain::ToolCall call = parsed.calls[i];
        // Ids unique across the choices and calls of a response.
        call.id = "call_" + std::to_string(index_) + "_" + std::to_string(i);
        r.message.tool_calls.push_back(std::move(call));
      }
      r.finish_reason = "tool_calls";
    }
  }
  r.message.content = content;
  if (delta != nullptr) {
    // The streamed part is a prefix of the content (streamable_content's contract).
    *delta = content.size() > streamed_ ? content.substr(streamed_) : "";
  }
  streamed_ = content.size();
  return r;
}

}  // namespace llmkit::server
