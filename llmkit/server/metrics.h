// Metrics: request counters by endpoint and status, rendered with the engine's numbers in the
// Prometheus text exposition format (GET /metrics). Thread-safe.
#pragma once
#include <chrono>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <utility>

#include "llmkit/server/engine.h"

namespace llmkit::server {

class Metrics {
 public:
  void record(const std::string& endpoint, int status);
  // The exposition text: llmkit_requests_total{endpoint,status}, llmkit_prompt_tokens_total,
  // llmkit_cached_prompt_tokens_total, llmkit_generated_tokens_total,
  // llmkit_tokens_per_second (generated tokens per second since the previous scrape),
  // llmkit_decode_tokens_per_second (generated tokens per second of forward steps),
  // llmkit_queue_length, llmkit_slots_busy, llmkit_slots_total, llmkit_steps_total.
  std::string render(const EngineStats& stats);

 private:
  std::mutex mutex_;
  std::map<std::pair<std::string, int>, int64_t> requests_;
  std::chrono::steady_clock::time_point last_scrape_ = std::chrono::steady_clock::now();
  int64_t last_generated_ = 0;
};

}  // namespace llmkit::server
