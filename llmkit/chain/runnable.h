// Runnable<In, Out>: the unit of composition of llmkit::chain. Implementations override
// invoke_impl (required), stream_impl (to emit output chunks as they are produced) and
// transform_impl (to consume input chunks as they arrive); callers use the non-virtual invoke,
// batch, stream and transform, which add tracing, timing, timeouts, cancellation and error
// wrapping.
//
// Contract:
//   - Every public call is one run: callbacks get a start event, then exactly one end or error
//     event (batch: one run per input). Inner runnables are invoked with ctx.child_config(), so
//     their runs nest under the outer run.
//   - Errors: whatever the implementation throws reaches the caller as RunnableError (an
//     llmkit::Error) whose message starts with the run name ("name: message"), code kept from an
//     llmkit::Error (kInternal for other exceptions). An exception thrown by the caller's own
//     on_chunk callback passes through unchanged (the run reports it as an error event).
//   - Streaming: the chunks a stream emits, combined with ChunkTraits<Out>::append in order, equal
//     the returned output, which equals what invoke returns for the same input (for
//     deterministic runnables).
//   - Runnables are immutable once built and may be invoked from several threads at once.
#pragma once

#include <algorithm>
#include <atomic>
#include <exception>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <type_traits>
#include <typeinfo>
#include <vector>

#include <nlohmann/json.hpp>

#include "llmkit/base/error.h"
#include "llmkit/chain/callbacks.h"
#include "llmkit/chain/run_config.h"

namespace llmkit::chain {

// The error a run reports: message "run name: inner message". runnable() is the run name of
// this (outermost) wrapping; cause() the innermost original exception.
class RunnableError : public Error {
 public:
  RunnableError(ErrorCode code, std::string runnable, const std::string& inner_message,
                std::exception_ptr cause);
  const std::string& runnable() const { return runnable_; }
  std::exception_ptr cause() const { return cause_; }
  // The innermost original message (without run-name prefixes).
  const std::string& root_message() const { return root_message_; }

 private:
  std::string runnable_;
  std::exception_ptr cause_;
  std::string root_message_;
};

// One entry of Runnable::batch: a value, or the error message (and code) of that input's run.
template <typename Out>
struct BatchResult {
  std::optional<Out> value;
  std::string error;
  ErrorCode code = ErrorCode::kInternal;
  bool ok() const { return value.has_value(); }
  // The value; throws Error(code, error) for a failed entry.
  const Out& get() const {
    if (!value) throw_error(code, error);
    return *value;
  }
};

// How stream chunks of type T combine into the whole value: append(acc, chunk) adds a chunk.
// Defaults: std::string and other types with += concatenate; std::vector appends elements;
// std::map inserts/overwrites keys; nlohmann::json strings concatenate, arrays extend, objects
// merge (later keys win), null takes the chunk. Specialise for other chunk types.
template <typename T, typename = void>
struct ChunkTraits {
  static void append(T& acc, const T& chunk) {
    if constexpr (requires(T & a, const T& c) { a += c; }) {
      acc += chunk;
    } else {
      throw_error(ErrorCode::kUnsupported,
                  str_cat("cannot combine stream chunks of type ", typeid(T).name(),
                          ": specialise llmkit::chain::ChunkTraits for it"));
    }
  }
};
template <typename E>
struct ChunkTraits<std::vector<E>> {
  static void append(std::vector<E>& acc, const std::vector<E>& chunk) {
    acc.insert(acc.end(), chunk.begin(), chunk.end());
  }
};
template <typename K, typename V>
struct ChunkTraits<std::map<K, V>> {
  static void append(std::map<K, V>& acc, const std::map<K, V>& chunk) {
    for (const auto& [k, v] : chunk) acc[k] = v;
  }
};
template <>
struct ChunkTraits<nlohmann::json> {
  static void append(nlohmann::json& acc, const nlohmann::json& chunk);
};

// Accumulates chunks; value() is the combination (T{} when no chunk came, if T has a default).
template <typename T>
class ChunkAccumulator {
 public:
  void add(const T& chunk) {
    if (!acc_) {
      acc_ = chunk;
    } else {
      ChunkTraits<T>::append(*acc_, chunk);
    }
  }
  bool empty() const { return !acc_.has_value(); }
  T value() const {
    if (acc_) return *acc_;
    if constexpr (std::is_default_constructible_v<T>) {
      return T{};
    } else {
      throw_error(ErrorCode::kInvalidArgument,
                  str_cat("a stream of ", typeid(T).name(), " produced no chunk"));
    }
  }

 private:
  std::optional<T> acc_;
};

// Push-style consumer of a stream of In chunks producing Out (see Runnable::transform).
template <typename In, typename Out>
class ChunkSink {
 public:
  virtual ~ChunkSink() = default;
  // One input chunk, in order.
  virtual void push(const In& chunk) = 0;
  // After the last chunk: runs what is left, returns the whole output. Call at most once.
  virtual Out finish() = 0;
};

namespace detail {
// One run's bookkeeping: the context, and the callback events.
class RunScope {
 public:
  RunScope(const RunConfig& config, const std::string& runnable_name);
  RunContext& ctx() { return ctx_; }
  const std::string& name() const { return name_; }
  bool traced() const { return !ctx_.config().callbacks.empty(); }
  bool open() const { return started_ && !closed_; }
  void start(nlohmann::json input_summary);
  void end(nlohmann::json output_summary);
  // Reports the error event; throws the error wrapped as RunnableError naming this run.
  [[noreturn]] void fail(std::exception_ptr error);
  // Reports the error event; rethrows error unchanged (it came from a downstream consumer).
  [[noreturn]] void fail_downstream(std::exception_ptr error);
  // Reports an error event with this message when the run is open (no throw).
  void abandon(const std::string& message);

 private:
  void emit(RunEvent::Kind kind, nlohmann::json payload, const std::string& error);
  RunContext ctx_;
  std::string name_;
  bool started_ = false;
  bool closed_ = false;
  std::chrono::steady_clock::time_point start_time_;
};

int resolve_concurrency(int max_concurrency, size_t n_items);
// Runs fn(i) for i in [0, n) on up to n_threads threads (the caller included).
void run_indexed(size_t n, int n_threads, const std::function<void(size_t)>& fn);

template <typename T>
nlohmann::json summary_if(const RunScope& scope, const T& value) {
  return scope.traced() ? trace_summary(value) : nlohmann::json();
}
}  // namespace detail

template <typename In, typename Out>
class Runnable {
 public:
  using Input = In;
  using Output = Out;
  using ChunkFn = std::function<void(const Out&)>;

  virtual ~Runnable() = default;
  virtual std::string name() const { return "Runnable"; }

  // Non-virtual: start/end/error callbacks with timing and token counts, timeout, cancellation,
  // error wrapping (an exception from the implementation becomes an Error naming the runnable).
  Out invoke(const In& input, const RunConfig& config = {}) const {
    detail::RunScope scope(config, name());
    scope.start(detail::summary_if(scope, input));
    try {
      scope.ctx().check_cancelled();
      Out out = invoke_impl(input, scope.ctx());
      scope.ctx().check_cancelled();
      scope.end(detail::summary_if(scope, out));
      return out;
    } catch (...) {
      scope.fail(std::current_exception());
    }
  }

  // Order kept; one entry per input (a value or the error message). Each input is one run
  // (config.timeout applies per input); up to config.max_concurrency inputs run at once.
  std::vector<BatchResult<Out>> batch(const std::vector<In>& inputs,
                                      const RunConfig& config = {}) const {
    std::vector<BatchResult<Out>> results(inputs.size());
    int threads = detail::resolve_concurrency(config.max_concurrency, inputs.size());
    detail::run_indexed(inputs.size(), threads, [&](size_t i) {
      try {
        results[i].value.emplace(invoke(inputs[i], config));
      } catch (const Error& e) {
        results[i].error = e.what();
        results[i].code = e.code();
      } catch (const std::exception& e) {
        results[i].error = e.what();
      }
    });
    return results;
  }

  // Chunks through on_chunk as they are produced; returns the whole output. Cancellation and the
  // timeout are also checked before each chunk.
  Out stream(const In& input, const ChunkFn& on_chunk, const RunConfig& config = {}) const {
    detail::RunScope scope(config, name());
    scope.start(detail::summary_if(scope, input));
    bool downstream_failed = false;
    ChunkFn proxy = [&](const Out& chunk) {
      scope.ctx().check_cancelled();
      if (!on_chunk) return;
      try {
        on_chunk(chunk);
      } catch (...) {
        downstream_failed = true;
        throw;
      }
    };
    try {
      scope.ctx().check_cancelled();
      Out out = stream_impl(input, proxy, scope.ctx());
      scope.ctx().check_cancelled();
      scope.end(detail::summary_if(scope, out));
      return out;
    } catch (...) {
      if (downstream_failed) scope.fail_downstream(std::current_exception());
      scope.fail(std::current_exception());
    }
  }

  // Streams the input: push() input chunks as they arrive, finish() returns the whole output;
  // output chunks reach on_chunk as they are produced. The run's start event comes with the
  // first push (or finish); a sink destroyed unfinished after a push reports an error event.
  std::unique_ptr<ChunkSink<In, Out>> transform(ChunkFn on_chunk,
                                                const RunConfig& config = {}) const {
    return std::make_unique<TracedSink>(*this, std::move(on_chunk), config);
  }

 protected:
  virtual Out invoke_impl(const In& input, RunContext& ctx) const = 0;

  // Default: invoke_impl, then the whole output as one chunk.
  virtual Out stream_impl(const In& input, const ChunkFn& on_chunk, RunContext& ctx) const {
    Out out = invoke_impl(input, ctx);
    on_chunk(out);
    return out;
  }

  // Default: accumulates the input chunks (ChunkTraits<In>), then stream_impl on the whole
  // input at finish(). ctx outlives the returned sink.
  virtual std::unique_ptr<ChunkSink<In, Out>> transform_impl(ChunkFn on_chunk,
                                                             RunContext& ctx) const {
    return std::make_unique<AccumulatingSink>(*this, std::move(on_chunk), ctx);
  }

 private:
  class AccumulatingSink : public ChunkSink<In, Out> {
   public:
    AccumulatingSink(const Runnable& owner, ChunkFn on_chunk, RunContext& ctx)
        : owner_(owner), on_chunk_(std::move(on_chunk)), ctx_(ctx) {}
    void push(const In& chunk) override { acc_.add(chunk); }
    Out finish() override { return owner_.stream_impl(acc_.value(), on_chunk_, ctx_); }

   private:
    const Runnable& owner_;
    ChunkFn on_chunk_;
    RunContext& ctx_;
    ChunkAccumulator<In> acc_;
  };

  // The sink transform() returns: callbacks, cancellation and error wrapping around the
  // implementation's sink.
  class TracedSink : public ChunkSink<In, Out> {
   public:
    TracedSink(const Runnable& owner, ChunkFn on_chunk, const RunConfig& config)
        : scope_(config, owner.name()), on_chunk_(std::move(on_chunk)) {
      ChunkFn proxy = [this](const Out& chunk) {
        scope_.ctx().check_cancelled();
        if (!on_chunk_) return;
        try {
          on_chunk_(chunk);
        } catch (...) {
          downstream_failed_ = true;
          throw;
        }
      };
      inner_ = owner.transform_impl(std::move(proxy), scope_.ctx());
    }
    ~TracedSink() override {
      inner_.reset();
      scope_.abandon("the input stream ended without finish() (an upstream stage failed)");
    }
    void push(const In& chunk) override {
      begin();
      guarded([&] { inner_->push(chunk); });
    }
    Out finish() override {
      begin();
      std::optional<Out> out;
      guarded([&] {
        out.emplace(inner_->finish());
        scope_.ctx().check_cancelled();
      });
      scope_.end(detail::summary_if(scope_, *out));
      return std::move(*out);
    }

   private:
    void begin() {
      if (!started_) {
        started_ = true;
        scope_.start(nlohmann::json());
      }
      if (!scope_.open()) {
        throw_error(ErrorCode::kInvalidArgument,
                    str_cat(scope_.name(), ": transform sink used after it failed or finished"));
      }
    }
    template <typename F>
    void guarded(F&& f) {
      try {
        scope_.ctx().check_cancelled();
        f();
      } catch (...) {
        if (downstream_failed_) scope_.fail_downstream(std::current_exception());
        scope_.fail(std::current_exception());
      }
    }
    detail::RunScope scope_;
    ChunkFn on_chunk_;
    std::unique_ptr<ChunkSink<In, Out>> inner_;
    bool started_ = false;
    bool downstream_failed_ = false;
  };
};

// T is a Runnable implementation (derives from Runnable<T::Input, T::Output>).
template <typename T>
concept RunnableType = requires {
  typename T::Input;
  typename T::Output;
}
&&std::is_base_of_v<Runnable<typename T::Input, typename T::Output>, T>;

template <typename In, typename Out>
using RunnablePtr = std::shared_ptr<const Runnable<In, Out>>;

}  // namespace llmkit::chain
