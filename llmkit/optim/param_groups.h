// Building optimizer parameter groups from a module.
#pragma once

#include <vector>

#include "llmkit/nn/module.h"
#include "llmkit/optim/optimizer.h"

namespace llmkit::optim {

// Two groups over the module's trainable parameters: matrices and embeddings (2-D and up) with
// `weight_decay`, and vectors (norm weights, biases) without decay — the usual AdamW practice.
// Empty groups are left out.
std::vector<ParamGroup> decay_groups(const nn::Module& module, float weight_decay);

}  // namespace llmkit::optim
