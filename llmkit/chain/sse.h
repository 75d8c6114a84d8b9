// Server-sent events (the text/event-stream format of the HTML standard), parsed incrementally
// from arbitrary byte chunks: lines end in \n, \r\n or \r; "data:" lines of one event are joined
// with \n; an empty line dispatches the event; lines starting with ':' are comments; one space
// after the field's colon is dropped. Used for OpenAI-style streaming ("data: {json}" events and
// a final "data: [DONE]").
#pragma once

#include <functional>
#include <string>
#include <string_view>

namespace llmkit::chain {

struct SseEvent {
  std::string event;  // "event:" field ("" when absent)
  std::string data;   // the joined data lines
  std::string id;
};

class SseParser {
 public:
  using Handler = std::function<void(const SseEvent&)>;
  explicit SseParser(Handler on_event) : on_event_(std::move(on_event)) {}

  // Feeds the next bytes; dispatches every event completed by them.
  void feed(std::string_view bytes);
  // End of the stream: a pending event without its blank line is dispatched (servers that end
  // with "data: [DONE]\n" and close).
  void finish();

 private:
  void line(std::string_view line);
  void dispatch();

  Handler on_event_;
  std::string buffer_;
  bool last_was_cr_ = false;
  SseEvent pending_;
  bool has_data_ = false;
};

}  // namespace llmkit::chain
