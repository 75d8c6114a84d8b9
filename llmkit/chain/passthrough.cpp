#include "llmkit/chain/passthrough.h"

namespace llmkit::chain {

RunnableAssign::RunnableAssign(std::vector<ParallelBranch<nlohmann::json>> branches,
                               std::string name)
    : parallel_(make_parallel<nlohmann::json>(std::move(branches), name + ".parallel")),
      name_(std::move(name)) {}

nlohmann::json RunnableAssign::invoke_impl(const nlohmann::json& input, RunContext& ctx) const {
  LLMKIT_CHECK(input.is_object(), name_, ": the input must be a JSON object (to add keys to), got ",
               input.type_name());
  JsonMap added = parallel_->invoke(input, ctx.child_config());
  nlohmann::json out = input;
  for (auto& [key, value] : added) out[key] = std::move(value);
  return out;
}

std::shared_ptr<const RunnableAssign> make_assign(
    std::vector<ParallelBranch<nlohmann::json>> branches, std::string name) {
  return std::make_shared<const RunnableAssign>(std::move(branches), std::move(name));
}

}  // namespace llmkit::chain
