// a | b: a sequence of runnables, checked at compile time.
//
// Contract:
//   - `lhs | rhs` (both std::shared_ptr to Runnable implementations) compiles only when the output
//     type of lhs converts to the input type of rhs (static_assert otherwise). The result is a
//     RunnableSequence<In of lhs, Out of rhs>; sequences are flattened, so a | b | c is one
//     sequence run with three inner runs.
//   - invoke runs the stages in order, each as an inner run.
//   - stream/transform stream through every stage: the first stage streams its output, every
//     later stage receives the previous stage's chunks through its transform sink as they arrive
//     (stages that cannot transform accumulate them and run at the end of their input), and the
//     last stage's chunks reach the caller as they are produced.
#pragma once

#include <any>
#include <memory>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "llmkit/chain/runnable.h"

namespace llmkit::chain {

namespace detail {

using AnyChunkFn = std::function<void(const std::any&)>;
using AnySink = ChunkSink<std::any, std::any>;

// One stage of a sequence, with its types erased (the sequence's operator| checked them).
class AnyStep {
 public:
  virtual ~AnyStep() = default;
  virtual std::string name() const = 0;
  virtual std::any invoke(const std::any& input, const RunConfig& config) const = 0;
  virtual std::any stream(const std::any& input, const AnyChunkFn& on_chunk,
                          const RunConfig& config) const = 0;
  virtual std::unique_ptr<AnySink> transform(AnyChunkFn on_chunk,
                                             const RunConfig& config) const = 0;
};

template <typename In, typename Out>
class TypedStep : public AnyStep {
 public:
  explicit TypedStep(RunnablePtr<In, Out> runnable) : runnable_(std::move(runnable)) {}
  std::string name() const override { return runnable_->name(); }
  std::any invoke(const std::any& input, const RunConfig& config) const override {
    return std::any(runnable_->invoke(std::any_cast<const In&>(input), config));
  }
  std::any stream(const std::any& input, const AnyChunkFn& on_chunk,
                  const RunConfig& config) const override {
    return std::any(runnable_->stream(
        std::any_cast<const In&>(input), [&](const Out& chunk) { on_chunk(std::any(chunk)); },
        config));
  }
  std::unique_ptr<AnySink> transform(AnyChunkFn on_chunk, const RunConfig& config) const override {
    class Sink : public AnySink {
     public:
      explicit Sink(std::unique_ptr<ChunkSink<In, Out>> inner) : inner_(std::move(inner)) {}
      void push(const std::any& chunk) override { inner_->push(std::any_cast<const In&>(chunk)); }
      std::any finish() override { return std::any(inner_->finish()); }

     private:
      std::unique_ptr<ChunkSink<In, Out>> inner_;
    };
    return std::make_unique<Sink>(runnable_->transform(
        [on_chunk = std::move(on_chunk)](const Out& chunk) { on_chunk(std::any(chunk)); }, config));
  }

 private:
  RunnablePtr<In, Out> runnable_;
};

// An implicit conversion between the output of one stage and the input of the next (not a run;
// chunks are converted one by one).
template <typename From, typename To>
class ConvertStep : public AnyStep {
 public:
  std::string name() const override { return "convert"; }
  std::any invoke(const std::any& input, const RunConfig&) const override {
    return std::any(static_cast<To>(std::any_cast<const From&>(input)));
  }
  std::any stream(const std::any& input, const AnyChunkFn& on_chunk,
                  const RunConfig& config) const override {
    std::any out = invoke(input, config);
    on_chunk(out);
    return out;
  }
  std::unique_ptr<AnySink> transform(AnyChunkFn on_chunk, const RunConfig&) const override {
    class Sink : public AnySink {
     public:
      explicit Sink(AnyChunkFn on_chunk) : on_chunk_(std::move(on_chunk)) {}
      void push(const std::any& chunk) override {
        To converted = static_cast<To>(std::any_cast<const From&>(chunk));
        acc_.add(converted);
        on_chunk_(std::any(std::move(converted)));
      }
      std::any finish() override { return std::any(acc_.value()); }

     private:
      AnyChunkFn on_chunk_;
      ChunkAccumulator<To> acc_;
    };
    return std::make_unique<Sink>(std::move(on_chunk));
  }
};

using Steps = std::vector<std::shared_ptr<const AnyStep>>;

// Runs the steps as one streaming pipeline inside ctx's run. The returned sink takes the input
// chunks of step 0; the output chunks of the last step go to on_chunk.
std::unique_ptr<AnySink> make_pipeline(const Steps& steps, AnyChunkFn on_chunk,
                                       const RunConfig& child_config);
// Streams input through the steps (step 0 streams, later steps transform).
std::any stream_pipeline(const Steps& steps, const std::any& input, AnyChunkFn on_chunk,
                         const RunConfig& child_config);

}  // namespace detail

template <typename In, typename Out>
class RunnableSequence : public Runnable<In, Out> {
 public:
  RunnableSequence(detail::Steps steps, std::string name = "RunnableSequence")
      : steps_(std::move(steps)), name_(std::move(name)) {
    LLMKIT_CHECK(steps_.size() >= 2, "a RunnableSequence needs at least two stages, got ",
                 steps_.size());
  }
  std::string name() const override { return name_; }
  const detail::Steps& steps() const { return steps_; }
  // Stage names in order ("convert" for implicit type conversions).
  std::vector<std::string> stage_names() const {
    std::vector<std::string> names;
    for (const auto& s : steps_) names.push_back(s->name());
    return names;
  }

 protected:
  Out invoke_impl(const In& input, RunContext& ctx) const override {
    std::any value(input);
    for (const auto& step : steps_) value = step->invoke(value, ctx.child_config());
    return std::any_cast<Out>(std::move(value));
  }
  Out stream_impl(const In& input, const typename Runnable<In, Out>::ChunkFn& on_chunk,
                  RunContext& ctx) const override {
    std::any out = detail::stream_pipeline(
        steps_, std::any(input),
        [&on_chunk](const std::any& chunk) { on_chunk(std::any_cast<const Out&>(chunk)); },
        ctx.child_config());
    return std::any_cast<Out>(std::move(out));
  }
  std::unique_ptr<ChunkSink<In, Out>> transform_impl(typename Runnable<In, Out>::ChunkFn on_chunk,
                                                     RunContext& ctx) const override {
    class Sink : public ChunkSink<In, Out> {
     public:
      explicit Sink(std::unique_ptr<detail::AnySink> inner) : inner_(std::move(inner)) {}
      void push(const In& chunk) override { inner_->push(std::any(chunk)); }
      Out finish() override { return std::any_cast<Out>(inner_->finish()); }

     private:
      std::unique_ptr<detail::AnySink> inner_;
    };
    return std::make_unique<Sink>(detail::make_pipeline(
        steps_,
        [on_chunk = std::move(on_chunk)](const std::any& chunk) {
          on_chunk(std::any_cast<const Out&>(chunk));
        },
        ctx.child_config()));
  }

 private:
  detail::Steps steps_;
  std::string name_;
};

namespace detail {
// The steps of r: its stages when r is a RunnableSequence (flattening), else r itself.
template <typename In, typename Out>
Steps steps_of(const RunnablePtr<In, Out>& r) {
  if (auto seq = std::dynamic_pointer_cast<const RunnableSequence<In, Out>>(r)) {
    return seq->steps();
  }
  return {std::make_shared<const TypedStep<In, Out>>(r)};
}
}  // namespace detail

template <RunnableType L, RunnableType R>
auto operator|(const std::shared_ptr<L>& lhs, const std::shared_ptr<R>& rhs) {
  using A = typename L::Input;
  using B = typename L::Output;
  using B2 = typename R::Input;
  using C = typename R::Output;
  static_assert(std::is_convertible_v<const B&, B2>,
                "llmkit::chain: in `a | b` the output type of a (Runnable<In, Out>::Output) must "
                "convert to the input type of b (Runnable<In, Out>::Input)");
  if constexpr (!std::is_convertible_v<const B&, B2>) {
    return RunnablePtr<A, C>();  // unreachable: the static_assert failed (no follow-on errors)
  } else {
    LLMKIT_CHECK(lhs != nullptr && rhs != nullptr, "a | b: a stage is a null pointer");
    detail::Steps steps = detail::steps_of<A, B>(lhs);
    if constexpr (!std::is_same_v<B, B2>) {
      steps.push_back(std::make_shared<const detail::ConvertStep<B, B2>>());
    }
    for (auto& s : detail::steps_of<B2, C>(rhs)) steps.push_back(std::move(s));
    return std::static_pointer_cast<const Runnable<A, C>>(
        std::make_shared<const RunnableSequence<A, C>>(std::move(steps)));
  }
}

}  // namespace llmkit::chain
