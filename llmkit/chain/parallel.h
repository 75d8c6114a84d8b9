// Fan-out: several runnables on the same input, run concurrently (up to
// RunConfig::max_concurrency at once), each as an inner run.
//
//   make_parallel<In>({{"key", runnable}, ...})             -> Runnable<In, std::map<string, json>>
//   make_parallel<In>({{"key", runnable}, ...}, combine)    -> Runnable<In, T>, T = combine(map)
//   make_fan_out(combine, r1, r2, ...)                      -> Runnable<In, T>,
//                                                              T = combine(out1, out2, ...)
//
// Contract: the map form converts each branch output to nlohmann::json (the output type needs a
// to_json); the typed form keeps the outputs' types. When branches fail, the error of the first
// failing branch in declaration order is thrown (after every branch has ended). Keys must be
// unique and non-empty.
#pragma once

#include <map>
#include <set>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "llmkit/chain/runnable.h"

namespace llmkit::chain {

using JsonMap = std::map<std::string, nlohmann::json>;

// A named branch of a map-form parallel: any runnable taking In whose output converts to JSON.
template <typename In>
struct ParallelBranch {
  std::string key;
  std::function<nlohmann::json(const In&, const RunConfig&)> run;

  template <typename R>
  requires std::is_convertible_v<const In&, typename R::Input> ParallelBranch(std::string k,
                                                                              std::shared_ptr<R> r)
      : key(std::move(k)) {
    static_assert(std::is_constructible_v<nlohmann::json, const typename R::Output&>,
                  "make_parallel: a branch's output type needs a to_json (nlohmann)");
    LLMKIT_CHECK(r != nullptr, "make_parallel: branch '", key, "' is a null pointer");
    run = [r](const In& in, const RunConfig& config) -> nlohmann::json {
      return nlohmann::json(r->invoke(in, config));
    };
  }
};

namespace detail {
// Runs fns[i]() concurrently (up to max_concurrency); rethrows the lowest-index failure.
void run_branches(const std::vector<std::function<void()>>& fns, int max_concurrency);
}  // namespace detail

template <typename In, typename Out = JsonMap>
class RunnableParallel : public Runnable<In, Out> {
 public:
  using Combine = std::function<Out(JsonMap)>;
  RunnableParallel(std::vector<ParallelBranch<In>> branches, Combine combine,
                   std::string name = "RunnableParallel")
      : branches_(std::move(branches)), combine_(std::move(combine)), name_(std::move(name)) {
    LLMKIT_CHECK(!branches_.empty(), name_, ": needs at least one branch");
    std::set<std::string> seen;
    for (const auto& b : branches_) {
      LLMKIT_CHECK(!b.key.empty() && seen.insert(b.key).second, name_, ": branch key '", b.key,
                   "' is empty or given twice; keys must be unique");
    }
    LLMKIT_CHECK(static_cast<bool>(combine_), name_, ": the combine function is empty");
  }
  std::string name() const override { return name_; }
  std::vector<std::string> keys() const {
    std::vector<std::string> k;
    for (const auto& b : branches_) k.push_back(b.key);
    return k;
  }

 protected:
  Out invoke_impl(const In& input, RunContext& ctx) const override {
    std::vector<nlohmann::json> results(branches_.size());
    std::vector<std::function<void()>> fns;
    RunConfig child = ctx.child_config();
    for (size_t i = 0; i < branches_.size(); ++i) {
      fns.push_back([&, i] { results[i] = branches_[i].run(input, child); });
    }
    detail::run_branches(fns, ctx.config().max_concurrency);
    JsonMap map;
    for (size_t i = 0; i < branches_.size(); ++i) map[branches_[i].key] = std::move(results[i]);
    return combine_(std::move(map));
  }

 private:
  std::vector<ParallelBranch<In>> branches_;
  Combine combine_;
  std::string name_;
};

template <typename In>
std::shared_ptr<const RunnableParallel<In, JsonMap>> make_parallel(
    std::vector<ParallelBranch<In>> branches, std::string name = "RunnableParallel") {
  return std::make_shared<const RunnableParallel<In, JsonMap>>(
      std::move(branches), [](JsonMap m) { return m; }, std::move(name));
}

template <typename In, typename F>
auto make_parallel(std::vector<ParallelBranch<In>> branches, F combine,
                   std::string name = "RunnableParallel") {
  using Out = std::invoke_result_t<F&, JsonMap>;
  return std::make_shared<const RunnableParallel<In, Out>>(std::move(branches), std::move(combine),
                                                           std::move(name));
}

// Typed fan-out: Out = combine(out_1, ..., out_n); every runnable takes the same In.
template <typename Combine, typename... Rs>
class RunnableFanOut
    : public Runnable<typename std::tuple_element_t<0, std::tuple<Rs...>>::Input,
                      std::invoke_result_t<Combine&, const typename Rs::Output&...>> {
 public:
  using In = typename std::tuple_element_t<0, std::tuple<Rs...>>::Input;
  using Out = std::invoke_result_t<Combine&, const typename Rs::Output&...>;
  RunnableFanOut(Combine combine, std::tuple<std::shared_ptr<Rs>...> rs, std::string name)
      : combine_(std::move(combine)), rs_(std::move(rs)), name_(std::move(name)) {}
  std::string name() const override { return name_; }

 protected:
  Out invoke_impl(const In& input, RunContext& ctx) const override {
    return run(input, ctx, std::index_sequence_for<Rs...>{});
  }

 private:
  template <size_t... I>
  Out run(const In& input, RunContext& ctx, std::index_sequence<I...>) const {
    std::tuple<std::optional<typename Rs::Output>...> results;
    RunConfig child = ctx.child_config();
    std::vector<std::function<void()>> fns{
        [&] { std::get<I>(results).emplace(std::get<I>(rs_)->invoke(input, child)); }...};
    detail::run_branches(fns, ctx.config().max_concurrency);
    return combine_(*std::get<I>(results)...);
  }
  Combine combine_;
  std::tuple<std::shared_ptr<Rs>...> rs_;
  std::string name_;
};

template <typename Combine, RunnableType R0, RunnableType... Rs>
auto make_fan_out(Combine combine, std::shared_ptr<R0> r0, std::shared_ptr<Rs>... rs) {
  using In = typename R0::Input;
  static_assert((std::is_same_v<typename Rs::Input, In> && ...),
                "make_fan_out: every runnable must take the same input type");
  static_assert(
      std::is_invocable_v<Combine&, const typename R0::Output&, const typename Rs::Output&...>,
      "make_fan_out: combine must take the runnables' outputs in order");
  LLMKIT_CHECK(r0 != nullptr && ((rs != nullptr) && ...), "make_fan_out: a runnable is null");
  return std::make_shared<const RunnableFanOut<Combine, R0, Rs...>>(
      std::move(combine), std::make_tuple(std::move(r0), std::move(rs)...), "RunnableFanOut");
}

}  // namespace llmkit::chain
