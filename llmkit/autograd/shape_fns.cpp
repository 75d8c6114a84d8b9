// Differentiable layout functions. Forward results are the views (or copies) ops:: makes; each
// backward maps the output's gradient back to the input's layout:
//   reshape/flatten/squeeze/unsqueeze  reshape back     transpose/permute  the inverse permutation
//   slice/select                       scatter into zeros of the input's shape
//   expand/broadcast_to                sum over the broadcast axes (ops::sum_to)
//   contiguous                         identity          to_dtype           cast back to f32
// Backward lambdas capture shapes and parameters, never the tensors themselves.
#include "llmkit/autograd/functions.h"
#include "llmkit/autograd/node.h"
#include "llmkit/ops/reduce.h"
#include "llmkit/tensor/view.h"

namespace llmkit {
namespace {
using autograd::record;

// g reshaped to `shape` (a view when g is contiguous).
Tensor reshape_grad(const Tensor& g, const Shape& shape) {
  return ops::reshape(g, shape);
}

// Zeros of `shape` with g written into the part that `view_of` selects.
template <typename ViewFn>
Tensor scatter_into_zeros(const Shape& shape, const Tensor& g, ViewFn view_of) {
  Tensor out = zeros(shape);
  ops::copy_into(view_of(out), g);
  return out;
}

}  // namespace

Tensor reshape(const Tensor& x, const Shape& shape) {
  Shape in_shape = x.shape();
  return record("reshape", ops::reshape(x, shape), {x}, [in_shape](const Tensor& g) {
    return std::vector<Tensor>{reshape_grad(g, in_shape)};
  });
}

Tensor flatten(const Tensor& x, int64_t start_axis, int64_t end_axis) {
  if (x.dim() == 0) return reshape(x, {1});
  int64_t s = normalize_axis(start_axis, x.dim(), "flatten");
  int64_t e = normalize_axis(end_axis, x.dim(), "flatten");
  LLMKIT_CHECK(s <= e, "flatten: start axis ", start_axis, " comes after end axis ", end_axis,
               " for ", describe(x));
  Shape shape(x.shape().begin(), x.shape().begin() + s);
  int64_t merged = 1;
  for (int64_t d = s; d <= e; ++d) merged *= x.size(d);
  shape.push_back(merged);
  shape.insert(shape.end(), x.shape().begin() + e + 1, x.shape().end());
  return reshape(x, shape);
}

Tensor transpose(const Tensor& x, int64_t axis0, int64_t axis1) {
  return record("transpose", ops::transpose(x, axis0, axis1), {x}, [axis0, axis1](const Tensor& g) {
    return std::vector<Tensor>{ops::transpose(g, axis0, axis1)};
  });
}

Tensor permute(const Tensor& x, const std::vector<int64_t>& axes) {
  Tensor out = ops::permute(x, axes);  // validates axes
  std::vector<int64_t> inverse(axes.size());
  for (size_t i = 0; i < axes.size(); ++i) {
    inverse[normalize_axis(axes[i], x.dim(), "permute")] = static_cast<int64_t>(i);
  }
  return record("permute", out, {x}, [inverse](const Tensor& g) {
    return std::vector<Tensor>{ops::permute(g, inverse)};
  });
}

Tensor slice(const Tensor& x, int64_t axis, int64_t start, int64_t stop, int64_t step) {
  Shape in_shape = x.shape();
  return record("slice", ops::slice(x, axis, start, stop, step), {x}, [=](const Tensor& g) {
    return std::vector<Tensor>{scatter_into_zeros(
        in_shape, g, [&](const Tensor& z) { return ops::slice(z, axis, start, stop, step); })};
  });
}

Tensor select(const Tensor& x, int64_t axis, int64_t index) {
  Shape in_shape = x.shape();
  return record("select", ops::select(x, axis, index), {x}, [=](const Tensor& g) {
    return std::vector<Tensor>{scatter_into_zeros(
        in_shape, g, [&](const Tensor& z) { return ops::select(z, axis, index); })};
  });
}

Tensor expand(const Tensor& x, const Shape& shape) {
  Shape in_shape = x.shape();
  return record("expand", ops::expand(x, shape), {x}, [in_shape](const Tensor& g) {
    return std::vector<Tensor>{ops::sum_to(g, in_shape)};
  });
}

Tensor broadcast_to(const Tensor& x, const Shape& shape) {
  return expand(x, shape);
}

Tensor squeeze(const Tensor& x, int64_t axis) {
  int64_t a = normalize_axis(axis, x.dim(), "squeeze");
  return record("squeeze", ops::squeeze(x, a), {x},
                [a](const Tensor& g) { return std::vector<Tensor>{ops::unsqueeze(g, a)}; });
}

Tensor unsqueeze(const Tensor& x, int64_t axis) {
  int64_t a = normalize_axis(axis, x.dim() + 1, "unsqueeze");
  return record("unsqueeze", ops::unsqueeze(x, a), {x},
                [a](const Tensor& g) { return std::vector<Tensor>{ops::squeeze(g, a)}; });
}

Tensor contiguous(const Tensor& x) {
  return record("contiguous", ops::contiguous(x), {x},
                [](const Tensor& g) { return std::vector<Tensor>{g}; });
}

Tensor to_dtype(const Tensor& x, DType dtype) {
  Tensor out = ops::to_dtype(x, dtype);
  if (!is_floating(dtype)) return out;  // integers carry no gradient
  return record("to_dtype", out, {x},
                [](const Tensor& g) { return std::vector<Tensor>{ops::to_dtype(g, DType::kF32)}; });
}

}  // namespace llmkit
