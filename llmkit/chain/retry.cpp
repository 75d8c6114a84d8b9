#include "llmkit/chain/retry.h"

#include <algorithm>
#include <cmath>
#include <thread>

namespace llmkit::chain {

std::chrono::milliseconds retry_delay(const RetryPolicy& policy, int attempt) {
  double ms = static_cast<double>(policy.initial_delay.count()) *
              std::pow(policy.multiplier, std::max(0, attempt - 1));
  double cap = static_cast<double>(policy.max_delay.count());
  return std::chrono::milliseconds(static_cast<int64_t>(std::min(ms, cap)));
}

bool default_should_retry(const Error& error) {
  return error.code() != ErrorCode::kCancelled;
}

namespace detail {

void check_retry_policy(const RetryPolicy& policy) {
  LLMKIT_CHECK(policy.max_attempts >= 1, "RetryPolicy: max_attempts must be >= 1, got ",
               policy.max_attempts);
  LLMKIT_CHECK(policy.multiplier >= 1.0, "RetryPolicy: multiplier must be >= 1, got ",
               policy.multiplier);
  LLMKIT_CHECK(policy.initial_delay.count() >= 0 && policy.max_delay.count() >= 0,
               "RetryPolicy: delays must not be negative");
}

void backoff_sleep(const RetryPolicy& policy, std::chrono::milliseconds delay, RunContext& ctx) {
  if (policy.sleep) {
    policy.sleep(delay);
  } else {
    auto until = std::chrono::steady_clock::now() + delay;
    if (auto deadline = ctx.deadline()) until = std::min(until, *deadline);
    while (!ctx.cancelled()) {
      auto now = std::chrono::steady_clock::now();
      if (now >= until) break;
      std::this_thread::sleep_for(std::min<std::chrono::steady_clock::duration>(
          until - now, std::chrono::milliseconds(10)));
    }
  }
  ctx.check_cancelled();
}

RunConfig attempt_config(const RunContext& ctx, int attempt) {
  RunConfig config = ctx.child_config();
  config.metadata["retry_attempt"] = attempt;
  return config;
}

}  // namespace detail
}  // namespace llmkit::chain
