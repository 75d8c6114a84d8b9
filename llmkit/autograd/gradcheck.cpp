#include "llmkit/autograd/gradcheck.h"

#include <cmath>

#include "llmkit/autograd/backward.h"
#include "llmkit/autograd/node.h"
#include "llmkit/tensor/creation.h"
#include "llmkit/tensor/view.h"

namespace llmkit::autograd {
namespace {
double weighted_sum(const Tensor& out, const std::vector<float>& w) {
  std::vector<float> v = out.to_vector();
  double s = 0.0;
  for (size_t i = 0; i < v.size(); ++i) s += static_cast<double>(v[i]) * w[i];
  return s;
}
}  // namespace

GradcheckResult gradcheck(const TensorFn& f, const std::vector<Tensor>& inputs,
                          const GradcheckOptions& options) {
  std::vector<size_t> checked = options.check_inputs;
  if (checked.empty()) {
    for (size_t i = 0; i < inputs.size(); ++i) {
      if (inputs[i].defined() && inputs[i].dtype() == DType::kF32) checked.push_back(i);
    }
  }
  // Private contiguous copies: the numeric pass perturbs them in place.
  std::vector<Tensor> xs;
  for (const Tensor& t : inputs) xs.push_back(t.defined() ? ops::clone(t) : t);
  for (size_t i : checked) {
    LLMKIT_CHECK(xs[i].dtype() == DType::kF32, "gradcheck: input ", i, " is ", describe(xs[i]),
                 "; only f32 inputs can be checked");
    xs[i].set_requires_grad(true);
  }

  Tensor out = f(xs);
  Generator gen(options.seed);
  Tensor w = randn(out.shape(), gen);
  std::vector<float> wv = w.to_vector();
  std::vector<Tensor> wrt;
  for (size_t i : checked) wrt.push_back(xs[i]);
  std::vector<Tensor> analytic;
  if (out.requires_grad()) {
    analytic = grad(out, wrt, w);
  } else {
    for (size_t i : checked) analytic.push_back(zeros(xs[i].shape()));
  }

  GradcheckResult result;
  double worst_excess = 0.0;
  NoGradGuard no_grad;
  for (size_t c = 0; c < checked.size(); ++c) {
    Tensor& x = xs[checked[c]];
    float* p = x.data<float>();
    std::vector<float> a = analytic[c].to_vector();
    for (int64_t e = 0; e < x.numel(); ++e) {
      float saved = p[e];
      p[e] = saved + options.eps;
      double plus = weighted_sum(f(xs), wv);
      p[e] = saved - options.eps;
      double minus = weighted_sum(f(xs), wv);
      p[e] = saved;
      double numeric = (plus - minus) / (2.0 * options.eps);
      double err = std::fabs(numeric - a[e]);
      double allowed = options.atol + options.rtol * std::fabs(numeric);
      result.max_abs_error = std::max(result.max_abs_error, err);
      if (!(err <= allowed) && err - allowed >= worst_excess) {
        worst_excess = err - allowed;
        result.ok = false;
        result.message = str_cat("input ", checked[c], " ", describe(x), " element ", e,
                                 ": analytic ", a[e], " vs numeric ", numeric);
      }
    }
  }
  return result;
}

}  // namespace llmkit::autograd
