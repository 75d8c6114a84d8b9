#include "llmkit/chain/parallel.h"

namespace llmkit::chain::detail {

void run_branches(const std::vector<std::function<void()>>& fns, int max_concurrency) {
  std::vector<std::exception_ptr> errors(fns.size());
  run_indexed(fns.size(), resolve_concurrency(max_concurrency, fns.size()), [&](size_t i) {
    try {
      fns[i]();
    } catch (...) {
      errors[i] = std::current_exception();
    }
  });
  for (auto& e : errors) {
    if (e) std::rethrow_exception(e);
  }
}

}  // namespace llmkit::chain::detail
