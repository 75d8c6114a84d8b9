#include "llmkit/optim/sgd.h"

#include <cmath>

namespace llmkit::optim {
namespace {
std::vector<std::string> sgd_slots(const SgdOptions& o) {
  if (o.momentum > 0.0f) return {"momentum"};
  return {};
}
}  // namespace

Sgd::Sgd(std::vector<ParamGroup> groups, const SgdOptions& options)
    : Optimizer("sgd", std::move(groups), options.lr, sgd_slots(options)), options_(options) {
  LLMKIT_CHECK(std::isfinite(options.momentum) && options.momentum >= 0.0f,
               "SGD: momentum = ", options.momentum, " must be finite and >= 0");
  LLMKIT_CHECK(std::isfinite(options.dampening) && options.dampening >= 0.0f,
               "SGD: dampening = ", options.dampening, " must be finite and >= 0");
  LLMKIT_CHECK(!options.nesterov || (options.momentum > 0.0f && options.dampening == 0.0f),
               "SGD: nesterov needs momentum > 0 and dampening == 0 (got momentum ",
               options.momentum, ", dampening ", options.dampening, ")");
}

void Sgd::update(ParamState& state, const float* grad, const ParamGroup& group, float lr) {
  const float wd = group.weight_decay;
  const float mu = options_.momentum;
  const float keep = 1.0f - options_.dampening;
  const bool first = state.steps == 0;
  const bool nesterov = options_.nesterov;
  float* __restrict p = state.param.data<float>();
  const float* __restrict g = grad;
  if (mu == 0.0f) {
    detail::for_each_chunk(state.param.numel(), [=](int64_t begin, int64_t end) {
      for (int64_t i = begin; i < end; ++i) p[i] -= lr * (g[i] + wd * p[i]);
    });
    return;
  }
  float* __restrict b = state.slots[0].data<float>();
  // The branches on first/nesterov are loop-invariant; the compiler unswitches them.
  detail::for_each_chunk(state.param.numel(), [=](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; ++i) {
      float gi = g[i] + wd * p[i];
      float bi = first ? gi : mu * b[i] + keep * gi;
      b[i] = bi;
      p[i] -= lr * (nesterov ? gi + mu * bi : bi);
    }
  });
}

}  // namespace llmkit::optim
