// Stochastic gradient descent with optional momentum, as in PyTorch's torch.optim.SGD. For each
// parameter p with gradient g, with lr = lr() * group.lr_scale and wd = group.weight_decay:
//   g <- g + wd * p                                   (L2 penalty folded into the gradient)
//   with momentum mu > 0:
//     b <- g                                          on the parameter's first update
//     b <- mu * b + (1 - dampening) * g               afterwards
//     g <- g + mu * b  (nesterov)   or   g <- b       (classic)
//   p <- p - lr * g
// State key (momentum > 0 only): "sgd.momentum.<param>" (see optimizer.h).
#pragma once

#include "llmkit/optim/optimizer.h"

namespace llmkit::optim {

struct SgdOptions {
  float lr = 1e-2f;
  float momentum = 0.0f;
  float dampening = 0.0f;
  bool nesterov = false;  // requires momentum > 0 and dampening == 0
};

class Sgd : public Optimizer {
 public:
  // Throws Error for a negative momentum or dampening, or nesterov without momentum.
  Sgd(std::vector<ParamGroup> groups, const SgdOptions& options = {});
  const SgdOptions& options() const { return options_; }

 protected:
  void update(ParamState& state, const float* grad, const ParamGroup& group, float lr) override;

 private:
  SgdOptions options_;
};

}  // namespace llmkit::optim
