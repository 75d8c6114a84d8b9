#include "llmkit/optim/adamw.h"

#include <cmath>

namespace llmkit::optim {

AdamW::AdamW(std::vector<ParamGroup> groups, const AdamWOptions& options)
    : Optimizer("adamw", std::move(groups), options.lr, {"m", "v"}), options_(options) {
  LLMKIT_CHECK(options.beta1 >= 0.0f && options.beta1 < 1.0f, "AdamW: beta1 = ", options.beta1,
               " must be in [0, 1)");
  LLMKIT_CHECK(options.beta2 >= 0.0f && options.beta2 < 1.0f, "AdamW: beta2 = ", options.beta2,
               " must be in [0, 1)");
  LLMKIT_CHECK(options.eps > 0.0f && std::isfinite(options.eps), "AdamW: eps = ", options.eps,
               " must be finite and > 0");
}

void AdamW::update(ParamState& state, const float* grad, const ParamGroup& group, float lr) {
  // The scalar coefficients are computed once in double; the per-element loop is plain f32
  // arithmetic with no branches, which the compiler vectorises.
  const double t = static_cast<double>(state.steps + 1);
  const double bias1 = 1.0 - std::pow(static_cast<double>(options_.beta1), t);
  const double bias2 = 1.0 - std::pow(static_cast<double>(options_.beta2), t);
  const float decay = static_cast<float>(1.0 - static_cast<double>(lr) * group.weight_decay);
  const float step_size = static_cast<float>(lr / bias1);
  const float inv_sqrt_bias2 = static_cast<float>(1.0 / std::sqrt(bias2));
  const float b1 = options_.beta1, b2 = options_.beta2, eps = options_.eps;
  const float one_minus_b1 = 1.0f - b1, one_minus_b2 = 1.0f - b2;

  float* __restrict p = state.param.data<float>();
  float* __restrict m = state.slots[0].data<float>();
  float* __restrict v = state.slots[1].data<float>();
  const float* __restrict g = grad;
  detail::for_each_chunk(state.param.numel(), [=](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; ++i) {
      float pi = p[i] * decay;
      float mi = b1 * m[i] + one_minus_b1 * g[i];
      float vi = b2 * v[i] + one_minus_b2 * g[i] * g[i];
      m[i] = mi;
      v[i] = vi;
      p[i] = pi - step_size * mi / (std::sqrt(vi) * inv_sqrt_bias2 + eps);
    }
  });
}

}  // namespace llmkit::optim
