#include "llmkit/chain/sse.h"

namespace llmkit::chain {

void SseParser::feed(std::string_view bytes) {
  for (char ch : bytes) {
    if (last_was_cr_) {
      last_was_cr_ = false;
      if (ch == '\n') continue;  // the \n of \r\n
    }
    if (ch == '\r' || ch == '\n') {
      last_was_cr_ = ch == '\r';
      line(buffer_);
      buffer_.clear();
    } else {
      buffer_ += ch;
    }
  }
}

void SseParser::finish() {
  if (!buffer_.empty()) {
    line(buffer_);
    buffer_.clear();
  }
  dispatch();
}

void SseParser::line(std::string_view text) {
  if (text.empty()) {
    dispatch();
    return;
  }
  if (text.front() == ':') return;
  size_t colon = text.find(':');
  std::string_view field = text.substr(0, colon);
  std::string_view value;
  if (colon != std::string_view::npos) {
    value = text.substr(colon + 1);
    if (!value.empty() && value.front() == ' ') value.remove_prefix(1);
  }
  if (field == "data") {
    if (has_data_) pending_.data += '\n';
    pending_.data += value;
    has_data_ = true;
  } else if (field == "event") {
    pending_.event = std::string(value);
  } else if (field == "id") {
    pending_.id = std::string(value);
  }
}

void SseParser::dispatch() {
  if (has_data_) on_event_(pending_);
  pending_ = SseEvent{};
  has_data_ = false;
}

}  // namespace llmkit::chain
