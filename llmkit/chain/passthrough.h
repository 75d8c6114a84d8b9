// Passthrough and assign.
//
//   make_passthrough<T>()                      identity; streams its input chunks straight through
//   make_assign({{"key", runnable}, ...})      Runnable<json, json>: the input object plus one key
//                                              per branch (the branches run concurrently on the
//                                              input, as make_parallel; existing keys are
//                                              overwritten)
#pragma once

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "llmkit/chain/parallel.h"
#include "llmkit/chain/runnable.h"

namespace llmkit::chain {

template <typename T>
class RunnablePassthrough : public Runnable<T, T> {
 public:
  explicit RunnablePassthrough(std::string name = "RunnablePassthrough") : name_(std::move(name)) {}
  std::string name() const override { return name_; }

 protected:
  using ChunkFn = typename Runnable<T, T>::ChunkFn;
  T invoke_impl(const T& input, RunContext&) const override { return input; }
  std::unique_ptr<ChunkSink<T, T>> transform_impl(ChunkFn on_chunk, RunContext&) const override {
    class Sink : public ChunkSink<T, T> {
     public:
      explicit Sink(ChunkFn on_chunk) : on_chunk_(std::move(on_chunk)) {}
      void push(const T& chunk) override {
        acc_.add(chunk);
        on_chunk_(chunk);
      }
      T finish() override { return acc_.value(); }

     private:
      ChunkFn on_chunk_;
      ChunkAccumulator<T> acc_;
    };
    return std::make_unique<Sink>(std::move(on_chunk));
  }

 private:
  std::string name_;
};

template <typename T>
std::shared_ptr<const RunnablePassthrough<T>> make_passthrough(
    std::string name = "RunnablePassthrough") {
  return std::make_shared<const RunnablePassthrough<T>>(std::move(name));
}

// Adds keys computed by runnables to a JSON object. Throws Error(kInvalidArgument) naming the
// input's type when the input is not an object.
class RunnableAssign : public Runnable<nlohmann::json, nlohmann::json> {
 public:
  RunnableAssign(std::vector<ParallelBranch<nlohmann::json>> branches,
                 std::string name = "RunnableAssign");
  std::string name() const override { return name_; }

 protected:
  nlohmann::json invoke_impl(const nlohmann::json& input, RunContext& ctx) const override;

 private:
  std::shared_ptr<const RunnableParallel<nlohmann::json, JsonMap>> parallel_;
  std::string name_;
};

std::shared_ptr<const RunnableAssign> make_assign(
    std::vector<ParallelBranch<nlohmann::json>> branches, std::string name = "RunnableAssign");

}  // namespace llmkit::chain
