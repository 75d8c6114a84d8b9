// Execution context: owns the thread pool that ops use, and sets OpenBLAS's thread count.
//
// Ownership: the caller creates a Context and keeps it alive while ops run. Context::Scope makes
// it current on the calling thread (scopes nest; the previous one is restored on exit). Ops look up
// the current context with current_context(); with no scope active they run single-threaded, so
// there is no process-wide pool anywhere in llmkit.
#pragma once

#include <memory>

#include "llmkit/base/thread_pool.h"

namespace llmkit {

class Context {
 public:
  // n_threads <= 0 means the number of hardware threads.
  explicit Context(int n_threads = 1);
  int n_threads() const { return pool_->n_threads(); }
  ThreadPool& pool() const { return *pool_; }

  class Scope {
   public:
    explicit Scope(const Context& context);
    ~Scope();
    Scope(const Scope&) = delete;
    Scope& operator=(const Scope&) = delete;

   private:
    const Context* previous_;
  };

 private:
  std::unique_ptr<ThreadPool> pool_;
};

// The context made current by the innermost Scope on this thread, or a single-threaded default.
const Context& current_context();

// Runs fn(begin, end) over [0, n) on the current context's pool.
void parallel_for(int64_t n, const std::function<void(int64_t, int64_t)>& fn,
                  int64_t min_chunk = 1);

}  // namespace llmkit
