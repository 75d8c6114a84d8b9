// AdamW (Loshchilov & Hutter, "Decoupled Weight Decay Regularization"), as in PyTorch's
// torch.optim.AdamW. For each parameter p with gradient g, at its t-th update (t = 1, 2, ...),
// with lr = lr() * group.lr_scale and wd = group.weight_decay:
//   p <- p - lr * wd * p                        (decoupled decay, applied first)
//   m <- beta1 * m + (1 - beta1) * g
//   v <- beta2 * v + (1 - beta2) * g^2
//   p <- p - lr / (1 - beta1^t) * m / (sqrt(v) / sqrt(1 - beta2^t) + eps)
// m and v start at zero. t counts the updates of that parameter (parameters skipped for lack of a
// grad do not advance it). State keys: "adamw.m.<param>", "adamw.v.<param>" (see optimizer.h).
#pragma once

#include "llmkit/optim/optimizer.h"

namespace llmkit::optim {

struct AdamWOptions {
  float lr = 1e-3f;
  float beta1 = 0.9f;
  float beta2 = 0.999f;
  float eps = 1e-8f;
};

class AdamW : public Optimizer {
 public:
  // Throws Error for betas outside [0, 1), eps <= 0, or invalid parameters (see Optimizer).
  AdamW(std::vector<ParamGroup> groups, const AdamWOptions& options = {});
  const AdamWOptions& options() const { return options_; }

 protected:
  void update(ParamState& state, const float* grad, const ParamGroup& group, float lr) override;

 private:
  AdamWOptions options_;
};

}  // namespace llmkit::optim
