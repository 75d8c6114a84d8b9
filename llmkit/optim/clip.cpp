#include "llmkit/optim/clip.h"

#include <cmath>

#include "llmkit/tensor/view.h"

namespace llmkit::optim {

double clip_grad_norm(const std::vector<Tensor>& params, double max_norm) {
  LLMKIT_CHECK(max_norm > 0.0, "clip_grad_norm: max_norm ", max_norm, " must be > 0");
  std::vector<Tensor> grads;
  double sum_sq = 0.0;
  for (const Tensor& p : params) {
    Tensor g = p.grad();
    if (!g.defined()) continue;
    LLMKIT_CHECK(g.dtype() == DType::kF32, "clip_grad_norm: gradient ", describe(g),
                 " of parameter ", describe(p), " is not f32");
    Tensor c = ops::contiguous(g);
    const float* d = c.data<float>();
    for (int64_t i = 0, n = c.numel(); i < n; ++i) sum_sq += static_cast<double>(d[i]) * d[i];
    grads.push_back(g);
  }
  const double norm = std::sqrt(sum_sq);
  if (!std::isfinite(norm) || norm <= max_norm) return norm;
  const float scale = static_cast<float>(max_norm / (norm + 1e-6));
  size_t k = 0;
  for (const Tensor& p : params) {
    if (!p.grad().defined()) continue;
    const Tensor& g = grads[k++];
    // A non-contiguous grad may alias elements (stride 0), so scaling it in place could scale an
    // element more than once; give the parameter a fresh scaled copy instead.
    Tensor target = g.is_contiguous() ? g : ops::clone(g);
    float* d = target.data<float>();
    for (int64_t i = 0, n = target.numel(); i < n; ++i) d[i] *= scale;
    if (!target.same(g)) p.set_grad(target);
  }
  return norm;
}

double clip_grad_norm(const NamedTensors& params, double max_norm) {
  std::vector<Tensor> ps;
  ps.reserve(params.size());
  for (const auto& np : params) ps.push_back(np.second);
  return clip_grad_norm(ps, max_norm);
}

double clip_grad_norm(const std::vector<ParamGroup>& groups, double max_norm) {
  std::vector<Tensor> ps;
  for (const auto& group : groups) {
    for (const auto& np : group.params) ps.push_back(np.second);
  }
  return clip_grad_norm(ps, max_norm);
}

}  // namespace llmkit::optim
