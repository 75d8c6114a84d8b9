#include "llmkit/chain/callbacks.h"

#include "llmkit/base/error.h"
#include "llmkit/base/utf8.h"

namespace llmkit::chain {

const char* run_event_kind_name(RunEvent::Kind kind) {
  switch (kind) {
    case RunEvent::Kind::kStart:
      return "start";
    case RunEvent::Kind::kEnd:
      return "end";
    case RunEvent::Kind::kError:
      return "error";
  }
  return "?";
}

nlohmann::json run_event_to_json(const RunEvent& event) {
  nlohmann::json j;
  j["event"] = run_event_kind_name(event.kind);
  j["run_id"] = event.run_id;
  j["parent_run_id"] = event.parent_run_id;
  j["name"] = event.name;
  j["tags"] = event.tags;
  j["metadata"] = event.metadata;
  switch (event.kind) {
    case RunEvent::Kind::kStart:
      j["input"] = event.input;
      return j;
    case RunEvent::Kind::kEnd:
      j["output"] = event.output;
      break;
    case RunEvent::Kind::kError:
      j["error"] = event.error;
      break;
  }
  j["elapsed_s"] = event.elapsed_s;
  j["tokens"] = {{"prompt", event.tokens.prompt},
                 {"completion", event.tokens.completion},
                 {"total", event.tokens.total()}};
  return j;
}

nlohmann::json shorten_for_trace(nlohmann::json value) {
  if (value.is_string()) {
    const auto& s = value.get_ref<const std::string&>();
    if (s.size() > kMaxTraceString) {
      return s.substr(0, utf8_prefix_length(s, kMaxTraceString)) + "...";
    }
  } else if (value.is_structured()) {
    for (auto& item : value) item = shorten_for_trace(std::move(item));
  }
  return value;
}

JsonlTracer::JsonlTracer(const std::string& path, bool append)
    : out_(path, append ? std::ios::app : std::ios::trunc),
      path_(path),
      start_(std::chrono::steady_clock::now()) {
  LLMKIT_CHECK_CODE(out_.good(), ErrorCode::kIo, "cannot open the trace file '", path,
                    "' for writing; check that its folder exists and is writable");
}

void JsonlTracer::on_start(const RunEvent& event) {
  write(event);
}
void JsonlTracer::on_end(const RunEvent& event) {
  write(event);
}
void JsonlTracer::on_error(const RunEvent& event) {
  write(event);
}

void JsonlTracer::write(const RunEvent& event) {
  nlohmann::json j = run_event_to_json(event);
  j["time"] = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  std::string line = j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  std::lock_guard<std::mutex> lock(mutex_);
  out_ << line << '\n';
  out_.flush();
}

void RecordingHandler::on_start(const RunEvent& event) {
  std::lock_guard<std::mutex> lock(mutex_);
  events_.push_back(event);
}
void RecordingHandler::on_end(const RunEvent& event) {
  std::lock_guard<std::mutex> lock(mutex_);
  events_.push_back(event);
}
void RecordingHandler::on_error(const RunEvent& event) {
  std::lock_guard<std::mutex> lock(mutex_);
  events_.push_back(event);
}
std::vector<RunEvent> RecordingHandler::events() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return events_;
}

}  // namespace llmkit::chain
