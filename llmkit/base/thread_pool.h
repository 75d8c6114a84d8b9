// A fixed-size pool of worker threads that runs parallel_for loops.
//
// Contract: parallel_for(n, fn) splits [0, n) into contiguous chunks, calls fn(begin, end) for
// each, and returns when all chunks are done; the calling thread works too. Chunk boundaries depend
// only on n and the pool size, so results are deterministic for a fixed thread count. Calls from
// several threads at once are serialised; a call from inside a worker runs inline (no deadlock).
// Exceptions thrown by fn are rethrown in the caller (the first one wins).
//
// Waiting: workers and the caller poll (with a CPU pause) for a short while before they sleep on a
// condition variable, so the back-to-back small loops of a decode step cost no system calls while
// an idle pool still sleeps.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <exception>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace llmkit {

class ThreadPool {
 public:
  // n_threads counts the caller: 1 means no worker threads at all.
  explicit ThreadPool(int n_threads);
  ~ThreadPool();
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  int n_threads() const { return n_threads_; }

  // Runs fn(begin, end) over [0, n) in at most n_threads chunks of at least min_chunk items.
  void parallel_for(int64_t n, const std::function<void(int64_t, int64_t)>& fn,
                    int64_t min_chunk = 1);

 private:
  void worker_loop(int index);

  int n_threads_;
  std::vector<std::thread> workers_;
  std::mutex call_mutex_;  // one parallel_for at a time
  std::mutex mutex_;       // guards the sleep / wake-up hand-over and error_
  std::condition_variable work_ready_;
  std::condition_variable work_done_;
  // The job: written by the caller before generation_ is bumped (release), read by workers after
  // they see the new generation (acquire).
  const std::function<void(int64_t, int64_t)>* job_ = nullptr;
  int64_t job_n_ = 0;
  int job_chunks_ = 0;
  std::atomic<uint64_t> generation_{0};
  std::atomic<int> pending_{0};   // workers that have not finished the current generation
  std::atomic<int> sleepers_{0};  // workers waiting on work_ready_
  bool caller_sleeping_ = false;  // guarded by mutex_
  std::atomic<bool> stop_{false};
  std::exception_ptr error_;
};

}  // namespace llmkit
