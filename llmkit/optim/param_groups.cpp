#include "llmkit/optim/param_groups.h"

namespace llmkit::optim {

std::vector<ParamGroup> decay_groups(const nn::Module& module, float weight_decay) {
  ParamGroup decayed, plain;
  decayed.weight_decay = weight_decay;
  for (auto& [name, t] : module.trainable_parameters()) {
    (t.dim() >= 2 ? decayed : plain).params.emplace_back(name, t);
  }
  std::vector<ParamGroup> groups;
  if (!decayed.params.empty()) groups.push_back(std::move(decayed));
  if (!plain.params.empty()) groups.push_back(std::move(plain));
  return groups;
}

}  // namespace llmkit::optim
