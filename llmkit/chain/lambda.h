// Runnables from plain functions.
//
//   make_lambda<In, Out>(fn, name)            fn(const In&) -> Out, or fn(const In&, RunContext&)
//   make_streaming_lambda<In, Out>(fn, name)  fn(const In&, const Emit& emit, RunContext&) -> Out:
//                                             calls emit(chunk) for each chunk as it is produced
//                                             and returns the whole output (the chunks combined)
//
// The function must be safe to call from several threads at once (batch, parallel).
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <type_traits>
#include <utility>

#include "llmkit/chain/runnable.h"

namespace llmkit::chain {

template <typename In, typename Out>
class LambdaRunnable : public Runnable<In, Out> {
 public:
  using Fn = std::function<Out(const In&, RunContext&)>;
  LambdaRunnable(Fn fn, std::string name) : fn_(std::move(fn)), name_(std::move(name)) {
    LLMKIT_CHECK(static_cast<bool>(fn_), "make_lambda '", name_, "': the function is empty");
  }
  std::string name() const override { return name_; }

 protected:
  Out invoke_impl(const In& input, RunContext& ctx) const override { return fn_(input, ctx); }

 private:
  Fn fn_;
  std::string name_;
};

template <typename In, typename Out>
class StreamingLambdaRunnable : public Runnable<In, Out> {
 public:
  using Emit = std::function<void(const Out&)>;
  using Fn = std::function<Out(const In&, const Emit&, RunContext&)>;
  StreamingLambdaRunnable(Fn fn, std::string name) : fn_(std::move(fn)), name_(std::move(name)) {
    LLMKIT_CHECK(static_cast<bool>(fn_), "make_streaming_lambda '", name_,
                 "': the function is empty");
  }
  std::string name() const override { return name_; }

 protected:
  Out invoke_impl(const In& input, RunContext& ctx) const override {
    return fn_(
        input, [](const Out&) {}, ctx);
  }
  Out stream_impl(const In& input, const Emit& on_chunk, RunContext& ctx) const override {
    return fn_(input, on_chunk, ctx);
  }

 private:
  Fn fn_;
  std::string name_;
};

template <typename In, typename Out, typename F>
std::shared_ptr<const LambdaRunnable<In, Out>> make_lambda(F fn, std::string name = "lambda") {
  if constexpr (std::is_invocable_r_v<Out, F&, const In&, RunContext&>) {
    return std::make_shared<const LambdaRunnable<In, Out>>(std::move(fn), std::move(name));
  } else {
    static_assert(std::is_invocable_r_v<Out, F&, const In&>,
                  "make_lambda<In, Out>(fn): fn must be callable as Out(const In&) or "
                  "Out(const In&, RunContext&)");
    return std::make_shared<const LambdaRunnable<In, Out>>(
        [fn = std::move(fn)](const In& in, RunContext&) -> Out { return fn(in); }, std::move(name));
  }
}

template <typename In, typename Out, typename F>
std::shared_ptr<const StreamingLambdaRunnable<In, Out>> make_streaming_lambda(
    F fn, std::string name = "streaming_lambda") {
  return std::make_shared<const StreamingLambdaRunnable<In, Out>>(std::move(fn), std::move(name));
}

}  // namespace llmkit::chain
