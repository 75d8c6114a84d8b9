// Gradient clipping by global L2 norm (as torch.nn.utils.clip_grad_norm_).
#pragma once

#include <vector>

#include "llmkit/optim/optimizer.h"

namespace llmkit::optim {

// Computes norm = sqrt(sum of g^2 over the grads of all params), accumulated in double; params
// whose grad is undefined are skipped. When norm > max_norm every grad is multiplied by
// max_norm / (norm + 1e-6). Returns the norm before clipping.
// A non-finite norm (inf/NaN in some grad) is returned as is and the grads are left untouched;
// the caller decides (e.g. skip the step). Contiguous grads are scaled in place; a non-contiguous
// grad is replaced by a scaled contiguous copy. Throws Error for max_norm <= 0 (or NaN) and for a
// grad that is not f32.
double clip_grad_norm(const std::vector<Tensor>& params, double max_norm);
double clip_grad_norm(const NamedTensors& params, double max_norm);
// All parameters of all groups.
double clip_grad_norm(const std::vector<ParamGroup>& groups, double max_norm);

}  // namespace llmkit::optim
