// Differentiable reductions (functions.h, "reductions"). Each backward first reshapes the output
// gradient to the keepdim shape (size 1 on reduced axes), which then broadcasts against x:
//   sum        dx = g
//   mean       dx = g / N                      (N = number of reduced elements)
//   max, min   dx = g [x == m] / count(x == m)  (ties share the gradient evenly)
//   logsumexp  dx = g exp(x - l)                (rows that are all -inf get 0)
//   var        dx = g 2 (x - mean) / (N - correction)
#include <limits>

#include "llmkit/autograd/functions.h"
#include "llmkit/autograd/node.h"
#include "llmkit/ops/elementwise.h"
#include "llmkit/ops/reduce.h"
#include "llmkit/tensor/view.h"

namespace llmkit {
namespace {
using ops::BinaryOp;

// g (shape of the reduction's output) as the keepdim shape, f32.
Tensor keep(const Tensor& g, const Shape& keep_shape) {
  return ops::reshape(ops::to_dtype(g, DType::kF32), keep_shape);
}

// Number of reduced elements of x for the keepdim shape keep_shape.
int64_t reduced_count(const Shape& x_shape, const Shape& keep_shape) {
  int64_t n = 1;
  for (size_t d = 0; d < x_shape.size(); ++d) {
    if (keep_shape[d] == 1) n *= x_shape[d];
  }
  return n;
}

// The gradient g broadcast to x's shape as a contiguous f32 tensor, times s.
Tensor spread(const Tensor& g_keep, const Shape& x_shape, float s) {
  return ops::mul_scalar(ops::expand(g_keep, x_shape), s);
}

Tensor extreme_fn(bool is_max, const Tensor& x, const std::vector<int64_t>& axes, bool keepdim) {
  Tensor out = is_max ? ops::max(x, axes, keepdim) : ops::min(x, axes, keepdim);
  if (!autograd::needs_grad({&x})) return out;
  Shape ks = ops::reduce_shape(x.shape(), axes, true);
  return autograd::record(is_max ? "max" : "min", out, {x},
                          [xs = x.detach(), os = out.detach(), ks, axes](const Tensor& g) {
                            Tensor hit = ops::binary(BinaryOp::kEq, xs, ops::reshape(os, ks));
                            Tensor count = ops::sum(hit, axes, /*keepdim=*/true);
                            Tensor share = ops::binary(BinaryOp::kDiv, keep(g, ks), count);
                            return std::vector<Tensor>{ops::binary(BinaryOp::kMul, hit, share)};
                          });
}
}  // namespace

Tensor sum(const Tensor& x, const std::vector<int64_t>& axes, bool keepdim) {
  Tensor out = ops::sum(x, axes, keepdim);
  if (!autograd::needs_grad({&x})) return out;
  Shape ks = ops::reduce_shape(x.shape(), axes, true);
  return autograd::record("sum", out, {x}, [xshape = x.shape(), ks](const Tensor& g) {
    return std::vector<Tensor>{spread(keep(g, ks), xshape, 1.0f)};
  });
}

Tensor mean(const Tensor& x, const std::vector<int64_t>& axes, bool keepdim) {
  Tensor out = ops::mean(x, axes, keepdim);
  if (!autograd::needs_grad({&x})) return out;
  Shape ks = ops::reduce_shape(x.shape(), axes, true);
  return autograd::record("mean", out, {x}, [xshape = x.shape(), ks](const Tensor& g) {
    auto n = static_cast<float>(reduced_count(xshape, ks));
    return std::vector<Tensor>{spread(keep(g, ks), xshape, 1.0f / n)};
  });
}

Tensor max(const Tensor& x, const std::vector<int64_t>& axes, bool keepdim) {
  return extreme_fn(true, x, axes, keepdim);
}

Tensor min(const Tensor& x, const std::vector<int64_t>& axes, bool keepdim) {
  return extreme_fn(false, x, axes, keepdim);
}

Tensor logsumexp(const Tensor& x, const std::vector<int64_t>& axes, bool keepdim) {
  Tensor out = ops::logsumexp(x, axes, keepdim);
  if (!autograd::needs_grad({&x})) return out;
  Shape ks = ops::reduce_shape(x.shape(), axes, true);
  return autograd::record(
      "logsumexp", out, {x}, [xs = x.detach(), os = out.detach(), ks](const Tensor& g) {
        // A row of all -inf has l = -inf; shifting it by 0 instead gives exp(-inf) = 0, not NaN.
        Tensor l = ops::reshape(os, ks);
        l = ops::masked_fill(
            l, ops::binary(BinaryOp::kEq, l, scalar(-std::numeric_limits<float>::infinity())),
            0.0f);
        Tensor p = ops::unary(ops::UnaryOp::kExp, ops::binary(BinaryOp::kSub, xs, l));
        return std::vector<Tensor>{ops::binary(BinaryOp::kMul, p, keep(g, ks))};
      });
}

Tensor var(const Tensor& x, const std::vector<int64_t>& axes, bool keepdim, int64_t correction) {
  Tensor out = ops::var(x, axes, keepdim, correction);
  if (!autograd::needs_grad({&x})) return out;
  Shape ks = ops::reduce_shape(x.shape(), axes, true);
  return autograd::record(
      "var", out, {x}, [xs = x.detach(), ks, axes, correction](const Tensor& g) {
        auto dof = static_cast<float>(reduced_count(xs.shape(), ks) - correction);
        Tensor centered = ops::binary(BinaryOp::kSub, xs, ops::mean(xs, axes, /*keepdim=*/true));
        Tensor scaled = ops::mul_scalar(keep(g, ks), 2.0f / dof);
        return std::vector<Tensor>{ops::binary(BinaryOp::kMul, centered, scaled)};
      });
}

Tensor argmax(const Tensor& x, int64_t axis, bool keepdim) {
  return ops::argmax(x, axis, keepdim);
}
Tensor argmin(const Tensor& x, int64_t axis, bool keepdim) {
  return ops::argmin(x, axis, keepdim);
}

}  // namespace llmkit
