// Differentiable gathering and joining. index_select's gradient scatters back with index_add
// (repeated indices accumulate); concat's splits the gradient into slices along the joined axis;
// stack's selects each input's entry. one_hot is not differentiable.
#include "llmkit/autograd/functions.h"
#include "llmkit/autograd/node.h"
#include "llmkit/ops/index.h"
#include "llmkit/tensor/view.h"

namespace llmkit {
namespace {
using autograd::record;

Tensor gather(const char* name, const Tensor& x, int64_t axis, const Tensor& idx) {
  Tensor out = ops::index_select(x, axis, idx);
  if (!autograd::needs_grad({&x})) return out;
  Shape shape = x.shape();
  Tensor idx_s = idx.detach();
  return record(name, out, {x}, [shape, axis, idx_s](const Tensor& g) {
    return std::vector<Tensor>{ops::index_add(shape, axis, idx_s, g)};
  });
}

}  // namespace

Tensor index_select(const Tensor& x, int64_t axis, const Tensor& idx) {
  return gather("index_select", x, axis, idx);
}

Tensor embedding(const Tensor& table, const Tensor& ids) {
  LLMKIT_CHECK(table.defined() && table.dim() == 2, "embedding: table must be [V, C], got ",
               describe(table));
  return gather("embedding", table, 0, ids);
}

Tensor concat(const std::vector<Tensor>& xs, int64_t axis) {
  Tensor out = ops::concat(xs, axis);  // validates shapes, dtypes and axis
  int64_t a = normalize_axis(axis, out.dim(), "concat");
  std::vector<int64_t> sizes;
  for (const Tensor& x : xs) sizes.push_back(x.size(a));
  return record("concat", out, xs, [a, sizes](const Tensor& g) {
    std::vector<Tensor> grads;
    int64_t at = 0;
    for (int64_t s : sizes) {
      grads.push_back(ops::slice(g, a, at, at + s));
      at += s;
    }
    return grads;
  });
}

Tensor stack(const std::vector<Tensor>& xs, int64_t axis) {
  Tensor out = ops::stack(xs, axis);
  int64_t a = normalize_axis(axis, out.dim(), "stack");
  size_t count = xs.size();
  return record("stack", out, xs, [a, count](const Tensor& g) {
    std::vector<Tensor> grads;
    for (size_t i = 0; i < count; ++i) grads.push_back(ops::select(g, a, static_cast<int64_t>(i)));
    return grads;
  });
}

Tensor one_hot(const Tensor& idx, int64_t n_classes) {
  return ops::one_hot(idx, n_classes);
}

}  // namespace llmkit
