#include "llmkit/base/context.h"

#include <thread>

namespace llmkit {
namespace {
thread_local const Context* t_current = nullptr;

const Context& single_threaded_context() {
  // One per thread: a pool of size 1 owns no threads, so this holds no hidden workers.
  thread_local Context context(1);
  return context;
}
}  // namespace

Context::Context(int n_threads) {
  if (n_threads <= 0)
    n_threads = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  pool_ = std::make_unique<ThreadPool>(n_threads);
}

Context::Scope::Scope(const Context& context) : previous_(t_current) {
  t_current = &context;
}
Context::Scope::~Scope() {
  t_current = previous_;
}

const Context& current_context() {
  return t_current != nullptr ? *t_current : single_threaded_context();
}

void parallel_for(int64_t n, const std::function<void(int64_t, int64_t)>& fn, int64_t min_chunk) {
  current_context().pool().parallel_for(n, fn, min_chunk);
}

}  // namespace llmkit
