// Gradient checking against central finite differences.
//
// For f: inputs -> output, the check uses the scalar L(x) = sum(w * f(x)) with fixed random
// weights w (so every output element matters), computed in double from f's values. The analytic
// gradient comes from backward(f(x), w); the numeric one from (L(x + eps e_i) - L(x - eps e_i)) /
// (2 eps) for every element i of every checked input. They must agree within atol + rtol * |num|.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "llmkit/tensor/tensor.h"

namespace llmkit::autograd {

struct GradcheckOptions {
  float eps = 5e-3f;
  double atol = 2e-3;
  double rtol = 2e-2;
  uint64_t seed = 1234;
  // Inputs to check (by position); empty means every floating input.
  std::vector<size_t> check_inputs;
};

struct GradcheckResult {
  bool ok = true;
  double max_abs_error = 0.0;
  std::string message;  // the worst mismatch, naming input and element
};

using TensorFn = std::function<Tensor(const std::vector<Tensor>&)>;

// Inputs must be f32; they are copied, so the caller's tensors are not modified.
GradcheckResult gradcheck(const TensorFn& f, const std::vector<Tensor>& inputs,
                          const GradcheckOptions& options = {});

}  // namespace llmkit::autograd
