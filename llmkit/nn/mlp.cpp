#include "llmkit/nn/mlp.h"

#include <cmath>

#include "llmkit/autograd/functions.h"

namespace llmkit::nn {

Mlp::Mlp(const MlpConfig& config, Generator& gen) : config_(config) {
  LLMKIT_CHECK(config.n_embd > 0 && config.n_ff > 0, "Mlp: n_embd and n_ff must be positive, got ",
               config.n_embd, " and ", config.n_ff);
  float down_std = config.n_layer_for_init > 0
                       ? config.init_std / std::sqrt(2.0f * config.n_layer_for_init)
                       : config.init_std;
  if (config.kind != MlpKind::kGelu) {
    gate_ = register_module(
        "ffn_gate",
        std::make_shared<Linear>(config.n_embd, config.n_ff, config.bias, gen, config.init_std));
  }
  up_ = register_module("ffn_up", std::make_shared<Linear>(config.n_embd, config.n_ff, config.bias,
                                                           gen, config.init_std));
  down_ = register_module(
      "ffn_down", std::make_shared<Linear>(config.n_ff, config.n_embd, config.bias, gen, down_std));
}

Tensor Mlp::forward(const Tensor& x) const {
  Tensor hidden;
  switch (config_.kind) {
    case MlpKind::kGeGLU:
      hidden = mul(gelu(gate_->forward(x), true), up_->forward(x));
      break;
    case MlpKind::kSwiGLU:
      hidden = mul(silu(gate_->forward(x)), up_->forward(x));
      break;
    case MlpKind::kGelu:
      hidden = gelu(up_->forward(x), false);
      break;
  }
  return down_->forward(hidden);
}

}  // namespace llmkit::nn
