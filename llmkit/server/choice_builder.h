// ChoiceBuilder: one choice of a request assembled from its job's events (engine.h), for a whole
// response and for a stream alike.
//
// Content streamed: with tools offered, only text that is certainly content (not the start of a
// tool call, chain::streamable_content) is released while generating; the rest at the end, when
// the calls are parsed out of the text (chain::parse_tool_calls). The streamed deltas always
// concatenate to the final message content.
//
// finish_reason: "tool_calls" when calls were parsed; "length" for max tokens / a full context;
// else "stop" (end-of-generation token, stop string, grammar complete, cancelled).
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "llmkit/server/api_types.h"
#include "llmkit/server/engine.h"

namespace llmkit::server {

class ChoiceBuilder {
 public:
  // prefix: text put before the generated text of a completion (echo).
  ChoiceBuilder(int64_t index, bool chat, bool tools_offered, std::string prefix = "");

  // Adds a text event; returns the content delta that may be streamed now (may be empty).
  std::string add(const JobEvent& event);
  // Logprobs added since the last call (for stream chunks).
  std::vector<TokenLogprob> take_new_logprobs();
  // The end event: fills the result; `delta` gets the content not streamed yet.
  ChoiceResult finish(const JobEvent& end, std::string* delta);

  int64_t index() const { return index_; }
  const std::string& text() const { return text_; }

 private:
  int64_t index_;
  bool chat_, tools_;
  std::string text_;     // generated text so far (with the prefix)
  size_t streamed_ = 0;  // bytes of content released
  std::vector<TokenLogprob> logprobs_;
  size_t logprobs_taken_ = 0;
};

// "stop", "length" (or "" when the job failed: cancelled by the client, timeout, error).
std::string finish_reason_of(const std::string& stop_reason);

}  // namespace llmkit::server
