// The runnable example of docs/tensor_and_autodiff.md (built as `autodiff_example` and run by
// `make test`). It exits non-zero if any printed claim does not hold.
#include <cmath>
#include <cstdio>

#include "llmkit/autograd/backward.h"
#include "llmkit/autograd/functions.h"
#include "llmkit/tensor/view.h"

using namespace llmkit;

int main() {
  // Tensors: NumPy-like creation, views and broadcasting.
  Tensor a = reshape(arange(0.0, 6.0), {2, 3});  // [[0, 1, 2], [3, 4, 5]]
  Tensor b = from_vector({10, 20, 30}, {3});     // broadcasts over the rows of a
  Tensor c = a + b;
  std::printf("a + b =\n%s\n", c.to_string().c_str());
  std::printf("a^T =\n%s\n", transpose(a, 0, 1).to_string().c_str());

  // Reverse-mode autodiff: mark leaves, compute, backward, read .grad().
  Generator gen(42);
  Tensor w = randn({3, 2}, gen).set_requires_grad();
  Tensor x = randn({4, 3}, gen);
  Tensor loss = mean(square(tanh(matmul(x, w))));
  backward(loss);
  std::printf("loss = %.6f\ndloss/dw =\n%s\n", loss.item(), w.grad().to_string().c_str());

  // JAX-style functional gradient: f(params) -> (value, grads), leaving .grad() untouched.
  auto [value, grads] = value_and_grad(
      [&](const std::vector<Tensor>& p) { return mean(square(tanh(matmul(x, p[0])))); }, {w});
  bool same_value = std::fabs(value.item() - loss.item()) < 1e-7f;
  bool same_grad = grads[0].to_vector() == w.grad().to_vector();
  std::printf("value_and_grad agrees with backward(): %s\n",
              same_value && same_grad ? "yes" : "NO");
  return same_value && same_grad ? 0 : 1;
}
