// RunConfig: what a caller passes with each invoke/batch/stream of a Runnable (tags, metadata,
// timeout, concurrency, cancellation, callbacks); RunContext: what an implementation sees of its
// own run (the config, its run id, cancellation/timeout checks, token accounting).
//
// Contract:
//   - timeout bounds the whole invoke (including every inner runnable): inner runs inherit the
//     earlier of their own deadline and the enclosing one. Timeouts and cancellation are
//     cooperative: check_cancelled() throws at the next check, and Runnable::invoke checks before
//     and after the implementation runs. Both throw Error(ErrorCode::kCancelled); a timeout's
//     message says "timed out".
//   - child_config() is how an implementation invokes inner runnables: same tags, metadata,
//     callbacks, cancellation flag and deadline, run_name cleared, and a parent link so traces
//     nest and the inner runs' token counts add up into this run's.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace llmkit::chain {

class CallbackHandler;

// Token usage of a run; counts of inner runs are included in the enclosing run's.
struct TokenUsage {
  int64_t prompt = 0;
  int64_t completion = 0;
  int64_t total() const { return prompt + completion; }
};

namespace detail {
// The link from a child run to its parent: its id, and counters the child adds its tokens to.
struct RunLink {
  std::string run_id;
  std::atomic<int64_t> prompt_tokens{0};
  std::atomic<int64_t> completion_tokens{0};
  std::shared_ptr<RunLink> parent;  // counts propagate up the chain
};
}  // namespace detail

struct RunConfig {
  std::string run_name;  // "" = the runnable's name()
  std::vector<std::string> tags;
  nlohmann::json metadata = nlohmann::json::object();
  std::optional<std::chrono::milliseconds> timeout;  // whole invoke; Error(kCancelled) after
  int max_concurrency = 0;                           // batch/parallel; 0 = hardware threads
  std::shared_ptr<std::atomic<bool>> cancel;  // set -> the run stops at the next check, Error
  std::vector<std::shared_ptr<CallbackHandler>> callbacks;

  // Set by RunContext::child_config(); callers leave these empty.
  std::shared_ptr<detail::RunLink> parent;  // the enclosing run (nullptr: a root run)
  std::optional<std::chrono::steady_clock::time_point> deadline;  // inherited absolute deadline
};

// A fresh random run id (32 hex digits, UUID-like), unique per process run.
std::string new_run_id();

class RunContext {
 public:
  // Starts the clock for config.timeout now; run_id identifies this run in callbacks.
  RunContext(RunConfig config, std::string run_id);

  const RunConfig& config() const { return config_; }
  const std::string& run_id() const { return link_->run_id; }
  // "" for a root run.
  const std::string& parent_run_id() const;
  // Throws Error(kCancelled) when config().cancel is set or the deadline has passed.
  void check_cancelled() const;
  // True when check_cancelled() would throw.
  bool cancelled() const;
  // The deadline of this run (own timeout or inherited), if any.
  std::optional<std::chrono::steady_clock::time_point> deadline() const { return deadline_; }
  // Token counts reported in the end event (this run's own; inner runs add theirs themselves).
  void add_tokens(int64_t prompt, int64_t completion);
  // This run's tokens so far, including finished inner runs.
  TokenUsage tokens() const;
  // For invoking inner runnables (parent link, deadline, cancel flag and callbacks kept).
  RunConfig child_config() const;

 private:
  RunConfig config_;
  std::shared_ptr<detail::RunLink> link_;
  std::optional<std::chrono::steady_clock::time_point> deadline_;
};

}  // namespace llmkit::chain
