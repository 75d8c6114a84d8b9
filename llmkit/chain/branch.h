// Routing by predicate: the first case whose predicate holds for the input runs (as an inner
// run); the default runs when none holds. Streaming passes through to the chosen runnable.
//
//   make_branch<In, Out>({{pred, runnable}, ...}, default_runnable)
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "llmkit/chain/runnable.h"

namespace llmkit::chain {

template <typename In, typename Out>
struct BranchCase {
  std::function<bool(const In&)> when;
  RunnablePtr<In, Out> then;

  template <typename Pred, typename R>
  BranchCase(Pred pred, std::shared_ptr<R> runnable) : when(std::move(pred)) {
    static_assert(std::is_base_of_v<Runnable<In, Out>, R>,
                  "make_branch<In, Out>: every case's runnable must be a Runnable<In, Out> (same "
                  "input and output types as the branch)");
    if constexpr (std::is_base_of_v<Runnable<In, Out>, R>) then = std::move(runnable);
  }
};

template <typename In, typename Out>
class RunnableBranch : public Runnable<In, Out> {
 public:
  using ChunkFn = typename Runnable<In, Out>::ChunkFn;
  RunnableBranch(std::vector<BranchCase<In, Out>> cases, RunnablePtr<In, Out> otherwise,
                 std::string name = "RunnableBranch")
      : cases_(std::move(cases)), otherwise_(std::move(otherwise)), name_(std::move(name)) {
    for (size_t i = 0; i < cases_.size(); ++i) {
      LLMKIT_CHECK(cases_[i].when && cases_[i].then, name_, ": case ", i,
                   " needs both a predicate and a runnable");
    }
    LLMKIT_CHECK(otherwise_ != nullptr, name_, ": the default runnable is null");
  }
  std::string name() const override { return name_; }
  // The runnable that input routes to.
  const RunnablePtr<In, Out>& route(const In& input) const {
    for (const auto& c : cases_) {
      if (c.when(input)) return c.then;
    }
    return otherwise_;
  }

 protected:
  Out invoke_impl(const In& input, RunContext& ctx) const override {
    return route(input)->invoke(input, ctx.child_config());
  }
  Out stream_impl(const In& input, const ChunkFn& on_chunk, RunContext& ctx) const override {
    return route(input)->stream(input, on_chunk, ctx.child_config());
  }

 private:
  std::vector<BranchCase<In, Out>> cases_;
  RunnablePtr<In, Out> otherwise_;
  std::string name_;
};

template <typename In, typename Out>
std::shared_ptr<const RunnableBranch<In, Out>> make_branch(std::vector<BranchCase<In, Out>> cases,
                                                           RunnablePtr<In, Out> otherwise,
                                                           std::string name = "RunnableBranch") {
  return std::make_shared<const RunnableBranch<In, Out>>(std::move(cases), std::move(otherwise),
                                                         std::move(name));
}

}  // namespace llmkit::chain
