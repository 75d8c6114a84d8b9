#include "llmkit/server/metrics.h"

#include <sstream>

namespace llmkit::server {

void Metrics::record(const std::string& endpoint, int status) {
  std::lock_guard lock(mutex_);
  ++requests_[{endpoint, status}];
}

std::string Metrics::render(const EngineStats& s) {
  std::lock_guard lock(mutex_);
  std::ostringstream out;
  auto metric = [&](const char* name, const char* type, const char* help, auto value) {
    out << "# HELP " << name << ' ' << help << "\n# TYPE " << name << ' ' << type << '\n'
        << name << ' ' << value << '\n';
  };
  out << "# HELP llmkit_requests_total HTTP requests answered, by endpoint and status.\n"
         "# TYPE llmkit_requests_total counter\n";
  for (const auto& [key, count] : requests_) {
    out << "llmkit_requests_total{endpoint=\"" << key.first << "\",status=\"" << key.second
        << "\"} " << count << '\n';
  }
  const auto now = std::chrono::steady_clock::now();
  const double dt = std::chrono::duration<double>(now - last_scrape_).count();
  const double rate = dt > 0 ? static_cast<double>(s.generated_tokens - last_generated_) / dt : 0;
  last_scrape_ = now;
  last_generated_ = s.generated_tokens;
  metric("llmkit_prompt_tokens_total", "counter", "Prompt tokens of finished jobs.",
         s.prompt_tokens);
  metric("llmkit_cached_prompt_tokens_total", "counter",
         "Prompt tokens whose KV cache was reused from the slot's previous job.", s.cached_tokens);
  metric("llmkit_generated_tokens_total", "counter", "Generated tokens of finished jobs.",
         s.generated_tokens);
  metric("llmkit_tokens_per_second", "gauge",
         "Generated tokens per second since the previous scrape.", rate);
  metric("llmkit_decode_tokens_per_second", "gauge",
         "Generated tokens per second of time spent in forward steps.",
         s.decode_seconds > 0 ? static_cast<double>(s.generated_tokens) / s.decode_seconds : 0.0);
  metric("llmkit_queue_length", "gauge", "Jobs waiting for a slot.", s.queue_length);
  metric("llmkit_slots_busy", "gauge", "Slots running a job.", s.slots_busy);
  metric("llmkit_slots_total", "gauge", "Slots (sessions decoded together).", s.slots_total);
  metric("llmkit_steps_total", "counter", "Batched forward steps run.", s.steps);
  return out.str();
}

}  // namespace llmkit::server
