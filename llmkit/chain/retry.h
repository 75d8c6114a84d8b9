// Retry with exponential backoff, and fallbacks (alternatives tried in order).
//
//   with_retry(runnable, RetryPolicy{...})
//   with_fallbacks(primary, {alternative, ...}, should_fall_back)
//
// Contract:
//   - Each attempt / alternative is an inner run (attempts carry metadata "retry_attempt": k).
//   - An error is retried (or falls back) only when the predicate accepts it; the default accepts
//     every error except cancellation and timeouts (ErrorCode::kCancelled).
//   - Streaming passes through to the inner runnable: stream streams the attempt's output, and
//     transform forwards input chunks to the attempt's transform as they arrive, keeping them so
//     that the next attempt / alternative gets them replayed. Once an output chunk has reached
//     the consumer, a failure is not retried (nor falls back): the consumer would see the output
//     twice.
//   - Backoff: after failed attempt k (1-based) the wait is min(initial_delay * multiplier^(k-1),
//     max_delay). The default sleep wakes early and fails when the run is cancelled or its
//     deadline passes; an injected sleep (tests) is called with the delay instead.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "llmkit/chain/runnable.h"

namespace llmkit::chain {

struct RetryPolicy {
  int max_attempts = 3;  // including the first; >= 1
  std::chrono::milliseconds initial_delay{200};
  double multiplier = 2.0;  // >= 1
  std::chrono::milliseconds max_delay{10000};
  std::function<bool(const Error&)> retry_if;            // null: all but kCancelled
  std::function<void(std::chrono::milliseconds)> sleep;  // null: a cancellable sleep
};

// The wait after failed attempt `attempt` (1-based).
std::chrono::milliseconds retry_delay(const RetryPolicy& policy, int attempt);
// True for every error but cancellation / timeout.
bool default_should_retry(const Error& error);

namespace detail {
void check_retry_policy(const RetryPolicy& policy);
// Waits delay (policy.sleep when set), then throws if ctx was cancelled or timed out.
void backoff_sleep(const RetryPolicy& policy, std::chrono::milliseconds delay, RunContext& ctx);
RunConfig attempt_config(const RunContext& ctx, int attempt);

// Runs attempts 0, 1, ...: attempt(k, emitted) returns the output or throws Error; after a
// failure, decide(k, error) returns true to run attempt k + 1, false to rethrow the error (it
// may also throw a summary error itself). A failure after a chunk was emitted is rethrown.
template <typename Out, typename Attempt, typename Decide>
Out run_attempts(RunContext& ctx, Attempt&& attempt, Decide&& decide) {
  for (int k = 0;; ++k) {
    ctx.check_cancelled();
    bool emitted = false;
    try {
      return attempt(k, emitted);
    } catch (const Error& e) {
      if (emitted || !decide(k, e)) throw;
    }
  }
}

// The transform sink of retry / fallbacks: feeds the input chunks to the sink of attempt 0 and
// keeps them; when an attempt fails before any output chunk went out and decide(k, error)
// allows it, the sink of attempt k + 1 gets every chunk so far replayed. Memory: the whole input.
template <typename In, typename Out>
class ReplayingSink : public ChunkSink<In, Out> {
 public:
  using ChunkFn = std::function<void(const Out&)>;
  using MakeSink = std::function<std::unique_ptr<ChunkSink<In, Out>>(int, ChunkFn)>;
  using Decide = std::function<bool(int, const Error&)>;
  ReplayingSink(MakeSink make, Decide decide, ChunkFn on_chunk)
      : make_(std::move(make)), decide_(std::move(decide)), on_chunk_(std::move(on_chunk)) {
    open_sink();
  }
  void push(const In& chunk) override {
    buffered_.push_back(chunk);
    attempt([&] { sink_->push(chunk); }, false);
  }
  Out finish() override {
    std::optional<Out> out;
    attempt([&] { out.emplace(sink_->finish()); }, true);
    return std::move(*out);
  }

 private:
  void open_sink() {
    sink_ = make_(attempt_, [this](const Out& chunk) {
      emitted_ = true;
      on_chunk_(chunk);
    });
  }
  template <typename F>
  void attempt(F&& op, bool is_finish) {
    for (;;) {
      try {
        if (replay_) {
          replay_ = false;
          for (const auto& c : buffered_) sink_->push(c);
          if (!is_finish) return;  // the new chunk was in buffered_
        }
        op();
        return;
      } catch (const Error& e) {
        if (emitted_ || !decide_(attempt_, e)) throw;
        ++attempt_;
        open_sink();
        replay_ = true;
      }
    }
  }
  MakeSink make_;
  Decide decide_;
  ChunkFn on_chunk_;
  std::unique_ptr<ChunkSink<In, Out>> sink_;
  std::vector<In> buffered_;
  int attempt_ = 0;
  bool replay_ = false;
  bool emitted_ = false;
};
}  // namespace detail

template <typename In, typename Out>
class RunnableRetry : public Runnable<In, Out> {
 public:
  using ChunkFn = typename Runnable<In, Out>::ChunkFn;
  RunnableRetry(RunnablePtr<In, Out> inner, RetryPolicy policy)
      : inner_(std::move(inner)), policy_(std::move(policy)) {
    LLMKIT_CHECK(inner_ != nullptr, "with_retry: the runnable is null");
    detail::check_retry_policy(policy_);
  }
  std::string name() const override { return "retry(" + inner_->name() + ")"; }
  const RetryPolicy& policy() const { return policy_; }

 protected:
  Out invoke_impl(const In& input, RunContext& ctx) const override {
    return detail::run_attempts<Out>(
        ctx,
        [&](int k, bool&) { return inner_->invoke(input, detail::attempt_config(ctx, k + 1)); },
        [&](int k, const Error& e) { return decide(ctx, k, e); });
  }
  Out stream_impl(const In& input, const ChunkFn& on_chunk, RunContext& ctx) const override {
    return detail::run_attempts<Out>(
        ctx,
        [&](int k, bool& emitted) {
          return inner_->stream(
              input,
              [&](const Out& chunk) {
                emitted = true;
                on_chunk(chunk);
              },
              detail::attempt_config(ctx, k + 1));
        },
        [&](int k, const Error& e) { return decide(ctx, k, e); });
  }
  std::unique_ptr<ChunkSink<In, Out>> transform_impl(ChunkFn on_chunk,
                                                     RunContext& ctx) const override {
    return std::make_unique<detail::ReplayingSink<In, Out>>(
        [this, &ctx](int k, ChunkFn fn) {
          return inner_->transform(std::move(fn), detail::attempt_config(ctx, k + 1));
        },
        [this, &ctx](int k, const Error& e) { return decide(ctx, k, e); }, std::move(on_chunk));
  }

 private:
  // After failed attempt k (0-based): waits and returns true to retry, false to rethrow e;
  // throws the summary error when the attempts are used up.
  bool decide(RunContext& ctx, int k, const Error& e) const {
    bool retry_ok = policy_.retry_if ? policy_.retry_if(e) : default_should_retry(e);
    if (!retry_ok) return false;
    if (k + 1 >= policy_.max_attempts) {
      throw_error(e.code(), str_cat("failed after ", k + 1, " attempts; last error: ", e.what()));
    }
    detail::backoff_sleep(policy_, retry_delay(policy_, k + 1), ctx);
    return true;
  }

  RunnablePtr<In, Out> inner_;
  RetryPolicy policy_;
};

template <RunnableType R>
auto with_retry(std::shared_ptr<R> runnable, RetryPolicy policy = {}) {
  using In = typename R::Input;
  using Out = typename R::Output;
  return std::make_shared<const RunnableRetry<In, Out>>(RunnablePtr<In, Out>(std::move(runnable)),
                                                        std::move(policy));
}

template <typename In, typename Out>
class RunnableWithFallbacks : public Runnable<In, Out> {
 public:
  using ChunkFn = typename Runnable<In, Out>::ChunkFn;
  RunnableWithFallbacks(std::vector<RunnablePtr<In, Out>> runnables,
                        std::function<bool(const Error&)> fall_back_if)
      : runnables_(std::move(runnables)), fall_back_if_(std::move(fall_back_if)) {
    LLMKIT_CHECK(runnables_.size() >= 2, "with_fallbacks: needs a primary and an alternative");
    for (const auto& r : runnables_) {
      LLMKIT_CHECK(r != nullptr, "with_fallbacks: a runnable is null");
    }
  }
  std::string name() const override { return "fallbacks(" + runnables_.front()->name() + ")"; }

 protected:
  Out invoke_impl(const In& input, RunContext& ctx) const override {
    auto errors = std::make_shared<std::string>();
    return detail::run_attempts<Out>(
        ctx, [&](int k, bool&) { return runnables_[k]->invoke(input, ctx.child_config()); },
        [&](int k, const Error& e) { return decide(*errors, k, e); });
  }
  Out stream_impl(const In& input, const ChunkFn& on_chunk, RunContext& ctx) const override {
    auto errors = std::make_shared<std::string>();
    return detail::run_attempts<Out>(
        ctx,
        [&](int k, bool& emitted) {
          return runnables_[k]->stream(
              input,
              [&](const Out& chunk) {
                emitted = true;
                on_chunk(chunk);
              },
              ctx.child_config());
        },
        [&](int k, const Error& e) { return decide(*errors, k, e); });
  }
  std::unique_ptr<ChunkSink<In, Out>> transform_impl(ChunkFn on_chunk,
                                                     RunContext& ctx) const override {
    auto errors = std::make_shared<std::string>();
    return std::make_unique<detail::ReplayingSink<In, Out>>(
        [this, &ctx](int k, ChunkFn fn) {
          return runnables_[k]->transform(std::move(fn), ctx.child_config());
        },
        [this, errors](int k, const Error& e) { return decide(*errors, k, e); },
        std::move(on_chunk));
  }

 private:
  // After alternative k failed: true to try k + 1, false to rethrow e; throws the summary error
  // (every alternative's message) when none is left.
  bool decide(std::string& errors, int k, const Error& e) const {
    bool fall_back = fall_back_if_ ? fall_back_if_(e) : default_should_retry(e);
    if (!fall_back) return false;
    errors += str_cat(k == 0 ? "" : "; ", "[", k, "] ", e.what());
    if (static_cast<size_t>(k) + 1 >= runnables_.size()) {
      throw_error(e.code(), str_cat("all ", runnables_.size(), " alternatives failed: ", errors));
    }
    return true;
  }

  std::vector<RunnablePtr<In, Out>> runnables_;
  std::function<bool(const Error&)> fall_back_if_;
};

template <RunnableType R>
auto with_fallbacks(std::shared_ptr<R> primary,
                    std::vector<RunnablePtr<typename R::Input, typename R::Output>> alternatives,
                    std::function<bool(const Error&)> fall_back_if = nullptr) {
  using In = typename R::Input;
  using Out = typename R::Output;
  std::vector<RunnablePtr<In, Out>> all{RunnablePtr<In, Out>(std::move(primary))};
  for (auto& a : alternatives) all.push_back(std::move(a));
  return std::make_shared<const RunnableWithFallbacks<In, Out>>(std::move(all),
                                                                std::move(fall_back_if));
}

}  // namespace llmkit::chain
