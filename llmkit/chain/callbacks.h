// Callbacks and tracing for runnables: every run (one invoke / stream / transform of a Runnable,
// outer and inner) reports a start event and then exactly one end or error event.
//
// Contract:
//   - Events of one run come from the thread that runs it; runs in a batch or a parallel step run
//     on several threads at once, so handlers must be thread-safe (JsonlTracer is).
//   - A handler that throws does not break the run: the exception is swallowed (the run's own
//     result matters more than its trace).
//   - input/output are JSON summaries (trace_summary below), not necessarily the whole value.
#pragma once

#include <cstdint>
#include <fstream>
#include <memory>
#include <mutex>
#include <string>
#include <type_traits>
#include <typeinfo>
#include <vector>

#include <nlohmann/json.hpp>

#include "llmkit/chain/run_config.h"

namespace llmkit::chain {

struct RunEvent {
  enum class Kind { kStart, kEnd, kError };
  Kind kind = Kind::kStart;
  std::string run_id;
  std::string parent_run_id;  // "" for a root run
  std::string name;           // the run name (config.run_name or the runnable's name())
  std::vector<std::string> tags;
  nlohmann::json metadata = nlohmann::json::object();
  nlohmann::json input;    // summary of the input (start events; null for a streamed input)
  nlohmann::json output;   // summary of the output (end events)
  std::string error;       // the error message (error events)
  double elapsed_s = 0.0;  // seconds since the start event (end and error events)
  TokenUsage tokens;       // tokens of this run and its inner runs (end and error events)
};

const char* run_event_kind_name(RunEvent::Kind kind);  // "start", "end", "error"
// {"event", "run_id", "parent_run_id", "name", "tags", "metadata", "input"/"output"/"error",
//  "elapsed_s", "tokens": {"prompt", "completion", "total"}} (fields as the kind has them).
nlohmann::json run_event_to_json(const RunEvent& event);

class CallbackHandler {
 public:
  virtual ~CallbackHandler() = default;
  virtual void on_start(const RunEvent& event) {}
  virtual void on_end(const RunEvent& event) {}
  virtual void on_error(const RunEvent& event) {}
};

// Writes one JSON line (run_event_to_json plus "time": seconds since the tracer was made) per
// event to a file, flushed after each line. Thread-safe. Throws Error(kIo) naming the path when
// the file cannot be opened.
class JsonlTracer : public CallbackHandler {
 public:
  explicit JsonlTracer(const std::string& path, bool append = false);
  void on_start(const RunEvent& event) override;
  void on_end(const RunEvent& event) override;
  void on_error(const RunEvent& event) override;

 private:
  void write(const RunEvent& event);
  std::mutex mutex_;
  std::ofstream out_;
  std::string path_;
  std::chrono::steady_clock::time_point start_;
};

// Keeps every event in memory (tests, debugging). Thread-safe.
class RecordingHandler : public CallbackHandler {
 public:
  void on_start(const RunEvent& event) override;
  void on_end(const RunEvent& event) override;
  void on_error(const RunEvent& event) override;
  std::vector<RunEvent> events() const;

 private:
  mutable std::mutex mutex_;
  std::vector<RunEvent> events_;
};

// How a value appears in traces. Specialise TraceSummary<T> for your type, or give it an
// nlohmann to_json (found by ADL): the default uses the JSON conversion when there is one
// (strings longer than kMaxTraceString characters are cut, with "..." appended), else
// {"type": <typeid name>}.
inline constexpr size_t kMaxTraceString = 4000;
nlohmann::json shorten_for_trace(nlohmann::json value);

template <typename T, typename = void>
struct TraceSummary {
  static nlohmann::json summarize(const T& value) {
    if constexpr (std::is_constructible_v<nlohmann::json, const T&>) {
      return shorten_for_trace(nlohmann::json(value));
    } else {
      return nlohmann::json{{"type", typeid(T).name()}};
    }
  }
};

template <typename T>
nlohmann::json trace_summary(const T& value) {
  return TraceSummary<T>::summarize(value);
}

}  // namespace llmkit::chain
