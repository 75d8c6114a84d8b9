#include "llmkit/base/thread_pool.h"

#include <algorithm>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#endif

#include "llmkit/base/error.h"

namespace llmkit {
namespace {
thread_local bool t_inside_worker = false;

// How a waiting thread waits: it polls with a CPU pause first (covers the gap between the
// back-to-back small loops of a decode step), then yields its core a number of times (when the
// machine is oversubscribed, e.g. a build running beside us, the thread it waits for may need
// this very core), and only then sleeps on a condition variable.
constexpr int kPauseSpins = 2000;
constexpr int kYieldSpins = 50;

inline void cpu_relax() {
#if defined(__x86_64__) || defined(__i386__)
  _mm_pause();
#else
  std::this_thread::yield();
#endif
}

// One step of the wait: false once it is time to sleep.
inline bool keep_polling(int spin) {
  if (spin < kPauseSpins) {
    cpu_relax();
    return true;
  }
  if (spin < kPauseSpins + kYieldSpins) {
    std::this_thread::yield();
    return true;
  }
  return false;
}

void chunk_bounds(int64_t n, int chunks, int index, int64_t* begin, int64_t* end) {
  *begin = n * index / chunks;
  *end = n * (index + 1) / chunks;
}
}  // namespace

ThreadPool::ThreadPool(int n_threads) : n_threads_(std::max(1, n_threads)) {
  for (int i = 1; i < n_threads_; ++i) workers_.emplace_back([this, i] { worker_loop(i); });
}

ThreadPool::~ThreadPool() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stop_.store(true, std::memory_order_release);
  }
  work_ready_.notify_all();
  for (auto& w : workers_) w.join();
}

void ThreadPool::parallel_for(int64_t n, const std::function<void(int64_t, int64_t)>& fn,
                              int64_t min_chunk) {
  if (n <= 0) return;
  int64_t max_chunks = std::max<int64_t>(1, n / std::max<int64_t>(1, min_chunk));
  int chunks = static_cast<int>(std::min<int64_t>(n_threads_, max_chunks));
  if (chunks <= 1 || t_inside_worker) {
    fn(0, n);
    return;
  }
  std::lock_guard<std::mutex> call_lock(call_mutex_);
  job_ = &fn;
  job_n_ = n;
  job_chunks_ = chunks;
  error_ = nullptr;
  // Every worker acknowledges every generation (those without a chunk too), so that no worker can
  // still be reading job_ when the next call overwrites it.
  pending_.store(n_threads_ - 1, std::memory_order_relaxed);
  {
    // Under the mutex, so that a worker about to sleep either sees the new generation or is
    // already waiting when notify_all runs.
    std::lock_guard<std::mutex> lock(mutex_);
    generation_.fetch_add(1, std::memory_order_release);
  }
  if (sleepers_.load(std::memory_order_acquire) > 0) work_ready_.notify_all();
  int64_t begin, end;
  chunk_bounds(n, chunks, 0, &begin, &end);
  std::exception_ptr mine;
  t_inside_worker = true;
  try {
    fn(begin, end);
  } catch (...) {
    mine = std::current_exception();
  }
  t_inside_worker = false;
  for (int spin = 0; pending_.load(std::memory_order_acquire) != 0; ++spin) {
    if (!keep_polling(spin)) {
      std::unique_lock<std::mutex> lock(mutex_);
      caller_sleeping_ = true;
      work_done_.wait(lock, [this] { return pending_.load(std::memory_order_acquire) == 0; });
      caller_sleeping_ = false;
      break;
    }
  }
  job_ = nullptr;
  if (mine) std::rethrow_exception(mine);
  if (error_) std::rethrow_exception(error_);
}

void ThreadPool::worker_loop(int index) {
  t_inside_worker = true;
  uint64_t seen = 0;
  for (;;) {
    uint64_t gen = generation_.load(std::memory_order_acquire);
    for (int spin = 0; gen == seen && !stop_.load(std::memory_order_acquire); ++spin) {
      if (keep_polling(spin)) {
        gen = generation_.load(std::memory_order_acquire);
        continue;
      }
      std::unique_lock<std::mutex> lock(mutex_);
      sleepers_.fetch_add(1, std::memory_order_acq_rel);
      work_ready_.wait(lock, [&] {
        return stop_.load(std::memory_order_acquire) ||
               generation_.load(std::memory_order_acquire) != seen;
      });
      sleepers_.fetch_sub(1, std::memory_order_acq_rel);
      gen = generation_.load(std::memory_order_acquire);
      spin = 0;
    }
    if (stop_.load(std::memory_order_acquire)) return;
    seen = gen;
    std::exception_ptr err;
    if (index < job_chunks_) {
      int64_t begin, end;
      chunk_bounds(job_n_, job_chunks_, index, &begin, &end);
      try {
        (*job_)(begin, end);
      } catch (...) {
        err = std::current_exception();
      }
    }
    if (err) {
      std::lock_guard<std::mutex> lock(mutex_);
      if (!error_) error_ = err;
    }
    if (pending_.fetch_sub(1, std::memory_order_acq_rel) == 1) {
      std::lock_guard<std::mutex> lock(mutex_);
      if (caller_sleeping_) work_done_.notify_one();
    }
  }
}

}  // namespace llmkit
