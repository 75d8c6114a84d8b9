// server::Engine: N slots over one model, each with its own infer::Session, and one scheduler
// thread that decodes every active slot in a single batched forward step (continuous batching,
// infer/batch_decoder.h). New jobs are admitted between steps; a job's prompt is prefilled in
// chunks inside the same steps, so running streams keep flowing while a long prompt loads.
//
// Prefix reuse: a slot keeps the tokens its session holds after a job; a new job goes to the free
// slot sharing the longest prefix with its prompt (else the least recently used one) and only
// the rest of the prompt is decoded.
//
// Jobs: submit() returns a JobHandle the caller (an HTTP thread) reads events from; cancel() (a
// client gone) or the job's deadline ends it at the next step. One job = one choice of a request.
// Thread-safe: submit/cancel/stats from any thread.
#pragma once
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "llmkit/base/context.h"
#include "llmkit/infer/generator.h"
#include "llmkit/infer/model.h"
#include "llmkit/server/api_types.h"

namespace llmkit::server {

struct EngineOptions {
  int slots = 4;
  int64_t n_ctx = 4096;         // per slot; <= the model's n_ctx
  int64_t prefill_chunk = 256;  // most prompt tokens one slot adds per step
  int n_threads = 1;
  int64_t max_queue = 64;  // jobs waiting for a slot beyond which submit() answers 429
  infer::KvType kv_type = infer::KvType::kF32;
};

// What a job asks for: its prompt, its generation options and how long it may take.
struct JobSpec {
  std::vector<int32_t> prompt;  // non-empty, fits n_ctx with room for one token
  infer::GenerateOptions options;
  int64_t top_logprobs = -1;  // -1: no logprobs; else the sampled token's and this many others
  std::chrono::steady_clock::time_point deadline = std::chrono::steady_clock::time_point::max();
};

// One event of a job: a piece of text (with its token) or the end.
struct JobEvent {
  std::string text;
  int32_t token = -1;  // -1 for text released at the end
  std::optional<TokenLogprob> logprob;
  bool done = false;
  // At the end: "eos", "stop string", "max tokens", "context full", "grammar", "cancelled",
  // "timeout", "error"; error: the message when stop_reason is "error".
  std::string stop_reason, error;
  int64_t prompt_tokens = 0, cached_tokens = 0, generated_tokens = 0;
};

class JobHandle {
 public:
  // Waits up to `timeout` for the next event; false when none came.
  bool next(JobEvent& event, std::chrono::milliseconds timeout);
  // Asks the engine to end the job (at its next step); events stop with stop_reason "cancelled".
  void cancel() { cancelled_ = true; }
  bool cancelled() const { return cancelled_; }

 private:
  friend class Engine;
  void push(JobEvent event);
  std::mutex mutex_;
  std::condition_variable ready_;
  std::deque<JobEvent> events_;
  std::atomic<bool> cancelled_{false};
};
using JobHandlePtr = std::shared_ptr<JobHandle>;

struct EngineStats {
  int64_t queue_length = 0, slots_busy = 0, slots_total = 0;
  int64_t prompt_tokens = 0, cached_tokens = 0, generated_tokens = 0;
  int64_t steps = 0;
  double decode_seconds = 0.0;  // time spent in forward steps
};

class Engine {
 public:
  // Starts the scheduler thread. Throws Error for bad options (slots < 1, n_ctx beyond the model).
  Engine(std::shared_ptr<const infer::Model> model, const EngineOptions& options);
  ~Engine();  // cancels what is left and joins the thread
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;

  // Queues a job. Throws ApiError 429 when max_queue jobs already wait, 503 after shutdown(),
  // 400 "context_length_exceeded" when the prompt leaves no room in a slot's context.
  JobHandlePtr submit(JobSpec spec);
  // Stops admitting (submit answers 503) and waits until running and queued jobs end, cancelling
  // them when `grace` passes first.
  void shutdown(std::chrono::milliseconds grace);

  EngineStats stats() const;
  const EngineOptions& options() const { return options_; }
  const infer::Model& model() const { return *model_; }

 private:
  struct Job;
  struct Slot;
  void run();
  void admit();
  bool step();

  std::shared_ptr<const infer::Model> model_;
  EngineOptions options_;
  Context sampling_;  // threads that sample the slots of a step
  mutable std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<std::shared_ptr<Job>> queue_;
  bool stopping_ = false, closed_ = false;
  std::vector<std::unique_ptr<Slot>> slots_;
  struct Batch;
  std::unique_ptr<Batch> batch_;
  EngineStats stats_;
  int64_t busy_ = 0;
  uint64_t clock_ = 0;  // for least-recently-used slots
  std::thread thread_;
};

}  // namespace llmkit::server
