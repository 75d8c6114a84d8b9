// Differentiable element-wise functions (functions.h, "element-wise"): forward with ops::, backward
// rules recorded with autograd::record. Broadcasting operands get their gradient summed back to
// their own shape with ops::sum_to. Saved tensors are detached handles (same storage, no autograd
// state), so a node never keeps its own output's graph alive.
#include <cmath>

#include "llmkit/autograd/functions.h"
#include "llmkit/autograd/node.h"
#include "llmkit/ops/elementwise.h"
#include "llmkit/ops/reduce.h"

namespace llmkit {
namespace {
using ops::BinaryOp;
using ops::UnaryOp;

bool wants_grad(const Tensor& t) {
  return t.defined() && t.requires_grad();
}

// Gradient for an operand of shape `shape` that was broadcast to g's shape (undefined when the
// operand needs none).
Tensor reduce_to(bool needed, const Tensor& g, const Shape& shape) {
  return needed ? ops::sum_to(g, shape) : Tensor();
}

Tensor unary_fn(UnaryOp op, const Tensor& x) {
  Tensor y = ops::unary(op, x);
  if (!autograd::needs_grad({&x})) return y;
  Tensor xs = x.detach(), ys = y.detach();
  return autograd::record(ops::unary_op_name(op), y, {x}, [op, xs, ys](const Tensor& g) {
    return std::vector<Tensor>{ops::unary_backward(op, xs, ys, g)};
  });
}

}  // namespace

Tensor add(const Tensor& a, const Tensor& b) {
  Tensor out = ops::binary(BinaryOp::kAdd, a, b);
  if (!autograd::needs_grad({&a, &b})) return out;
  bool ra = wants_grad(a), rb = wants_grad(b);
  return autograd::record("add", out, {a, b},
                          [ra, rb, sa = a.shape(), sb = b.shape()](const Tensor& g) {
                            return std::vector<Tensor>{reduce_to(ra, g, sa), reduce_to(rb, g, sb)};
                          });
}

Tensor sub(const Tensor& a, const Tensor& b) {
  Tensor out = ops::binary(BinaryOp::kSub, a, b);
  if (!autograd::needs_grad({&a, &b})) return out;
  bool ra = wants_grad(a), rb = wants_grad(b);
  return autograd::record(
      "sub", out, {a, b}, [ra, rb, sa = a.shape(), sb = b.shape()](const Tensor& g) {
        Tensor gb = rb ? ops::sum_to(ops::unary(UnaryOp::kNeg, g), sb) : Tensor();
        return std::vector<Tensor>{reduce_to(ra, g, sa), gb};
      });
}

Tensor mul(const Tensor& a, const Tensor& b) {
  Tensor out = ops::binary(BinaryOp::kMul, a, b);
  if (!autograd::needs_grad({&a, &b})) return out;
  bool ra = wants_grad(a), rb = wants_grad(b);
  return autograd::record(
      "mul", out, {a, b}, [ra, rb, as = a.detach(), bs = b.detach()](const Tensor& g) {
        Tensor ga = ra ? ops::sum_to(ops::binary(BinaryOp::kMul, g, bs), as.shape()) : Tensor();
        Tensor gb = rb ? ops::sum_to(ops::binary(BinaryOp::kMul, g, as), bs.shape()) : Tensor();
        return std::vector<Tensor>{ga, gb};
      });
}

// d(a/b)/da = 1/b, d(a/b)/db = -a/b^2 = -out/b.
Tensor div(const Tensor& a, const Tensor& b) {
  Tensor out = ops::binary(BinaryOp::kDiv, a, b);
  if (!autograd::needs_grad({&a, &b})) return out;
  bool ra = wants_grad(a), rb = wants_grad(b);
  return autograd::record(
      "div", out, {a, b},
      [ra, rb, sa = a.shape(), bs = b.detach(), os = out.detach()](const Tensor& g) {
        Tensor g_over_b = ops::binary(BinaryOp::kDiv, g, bs);
        Tensor ga = reduce_to(ra, g_over_b, sa);
        Tensor gb;
        if (rb) {
          Tensor t = ops::binary(BinaryOp::kMul, g_over_b, os);
          gb = ops::sum_to(ops::unary(UnaryOp::kNeg, t), bs.shape());
        }
        return std::vector<Tensor>{ga, gb};
      });
}

// d(a^b)/da = b a^(b-1); d(a^b)/db = a^b log a, taken as 0 where a == 0 (the limit for b > 0).
Tensor pow(const Tensor& a, const Tensor& b) {
  Tensor out = ops::binary(BinaryOp::kPow, a, b);
  if (!autograd::needs_grad({&a, &b})) return out;
  bool ra = wants_grad(a), rb = wants_grad(b);
  return autograd::record(
      "pow", out, {a, b},
      [ra, rb, as = a.detach(), bs = b.detach(), os = out.detach()](const Tensor& g) {
        Tensor ga, gb;
        if (ra) {
          Tensor d = ops::binary(BinaryOp::kMul, bs,
                                 ops::binary(BinaryOp::kPow, as, ops::add_scalar(bs, -1.0f)));
          ga = ops::sum_to(ops::binary(BinaryOp::kMul, g, d), as.shape());
        }
        if (rb) {
          Tensor d = ops::binary(BinaryOp::kMul, os, ops::unary(UnaryOp::kLog, as));
          d = ops::masked_fill(d, ops::binary(BinaryOp::kEq, as, scalar(0.0f)), 0.0f);
          gb = ops::sum_to(ops::binary(BinaryOp::kMul, g, d), bs.shape());
        }
        return std::vector<Tensor>{ga, gb};
      });
}

Tensor pow(const Tensor& a, float exponent) {
  Tensor out = ops::pow_scalar(a, exponent);
  if (!autograd::needs_grad({&a})) return out;
  return autograd::record("pow_scalar", out, {a}, [exponent, as = a.detach()](const Tensor& g) {
    Tensor d = exponent == 0.0f ? zeros(as.shape())
                                : ops::mul_scalar(ops::pow_scalar(as, exponent - 1.0f), exponent);
    return std::vector<Tensor>{ops::binary(BinaryOp::kMul, g, d)};
  });
}

namespace {
// maximum/minimum: the gradient goes to a where a wins or ties (mask_op(a, b) true), else to b.
Tensor select_fn(BinaryOp op, BinaryOp mask_op, const char* name, const Tensor& a,
                 const Tensor& b) {
  Tensor out = ops::binary(op, a, b);
  if (!autograd::needs_grad({&a, &b})) return out;
  bool ra = wants_grad(a), rb = wants_grad(b);
  return autograd::record(
      name, out, {a, b}, [ra, rb, mask_op, as = a.detach(), bs = b.detach()](const Tensor& g) {
        Tensor to_a = ops::binary(BinaryOp::kMul, g, ops::binary(mask_op, as, bs));
        Tensor ga = reduce_to(ra, to_a, as.shape());
        Tensor gb = rb ? ops::sum_to(ops::binary(BinaryOp::kSub, g, to_a), bs.shape()) : Tensor();
        return std::vector<Tensor>{ga, gb};
      });
}
}  // namespace

Tensor maximum(const Tensor& a, const Tensor& b) {
  return select_fn(BinaryOp::kMaximum, BinaryOp::kGe, "maximum", a, b);
}

Tensor minimum(const Tensor& a, const Tensor& b) {
  return select_fn(BinaryOp::kMinimum, BinaryOp::kLe, "minimum", a, b);
}

Tensor add_scalar(const Tensor& x, float s) {
  Tensor out = ops::add_scalar(x, s);
  if (!autograd::needs_grad({&x})) return out;
  return autograd::record("add_scalar", out, {x},
                          [](const Tensor& g) { return std::vector<Tensor>{g}; });
}

Tensor mul_scalar(const Tensor& x, float s) {
  Tensor out = ops::mul_scalar(x, s);
  if (!autograd::needs_grad({&x})) return out;
  return autograd::record("mul_scalar", out, {x}, [s](const Tensor& g) {
    return std::vector<Tensor>{ops::mul_scalar(g, s)};
  });
}

Tensor neg(const Tensor& x) {
  return unary_fn(UnaryOp::kNeg, x);
}
Tensor exp(const Tensor& x) {
  return unary_fn(UnaryOp::kExp, x);
}
Tensor log(const Tensor& x) {
  return unary_fn(UnaryOp::kLog, x);
}
Tensor sqrt(const Tensor& x) {
  return unary_fn(UnaryOp::kSqrt, x);
}
Tensor rsqrt(const Tensor& x) {
  return unary_fn(UnaryOp::kRsqrt, x);
}
Tensor tanh(const Tensor& x) {
  return unary_fn(UnaryOp::kTanh, x);
}
Tensor abs(const Tensor& x) {
  return unary_fn(UnaryOp::kAbs, x);
}
Tensor square(const Tensor& x) {
  return unary_fn(UnaryOp::kSquare, x);
}
Tensor sigmoid(const Tensor& x) {
  return unary_fn(UnaryOp::kSigmoid, x);
}
Tensor sin(const Tensor& x) {
  return unary_fn(UnaryOp::kSin, x);
}
Tensor cos(const Tensor& x) {
  return unary_fn(UnaryOp::kCos, x);
}
Tensor relu(const Tensor& x) {
  return unary_fn(UnaryOp::kRelu, x);
}
Tensor silu(const Tensor& x) {
  return unary_fn(UnaryOp::kSilu, x);
}
Tensor gelu(const Tensor& x, bool approximate_tanh) {
  return unary_fn(approximate_tanh ? UnaryOp::kGeluTanh : UnaryOp::kGeluExact, x);
}

Tensor clamp(const Tensor& x, float low, float high) {
  Tensor out = ops::clamp(x, low, high);
  if (!autograd::needs_grad({&x})) return out;
  return autograd::record("clamp", out, {x}, [low, high, xs = x.detach()](const Tensor& g) {
    Tensor inside = ops::binary(BinaryOp::kMul, ops::binary(BinaryOp::kGe, xs, scalar(low)),
                                ops::binary(BinaryOp::kLe, xs, scalar(high)));
    return std::vector<Tensor>{ops::binary(BinaryOp::kMul, g, inside)};
  });
}

Tensor where(const Tensor& cond, const Tensor& a, const Tensor& b) {
  Tensor out = ops::where(cond, a, b);
  if (!autograd::needs_grad({&a, &b})) return out;
  bool ra = wants_grad(a), rb = wants_grad(b);
  return autograd::record(
      "where", out, {Tensor(), a, b},
      [ra, rb, cs = cond.detach(), sa = a.shape(), sb = b.shape()](const Tensor& g) {
        Tensor zero = scalar(0.0f);
        Tensor ga = ra ? ops::sum_to(ops::where(cs, g, zero), sa) : Tensor();
        Tensor gb = rb ? ops::sum_to(ops::where(cs, zero, g), sb) : Tensor();
        return std::vector<Tensor>{Tensor(), ga, gb};
      });
}

Tensor masked_fill(const Tensor& x, const Tensor& mask, float value) {
  Tensor out = ops::masked_fill(x, mask, value);
  if (!autograd::needs_grad({&x})) return out;
  return autograd::record("masked_fill", out, {x}, [ms = mask.detach()](const Tensor& g) {
    return std::vector<Tensor>{ops::masked_fill(g, ms, 0.0f)};
  });
}

Tensor eq(const Tensor& a, const Tensor& b) {
  return ops::binary(BinaryOp::kEq, a, b);
}
Tensor ne(const Tensor& a, const Tensor& b) {
  return ops::binary(BinaryOp::kNe, a, b);
}
Tensor lt(const Tensor& a, const Tensor& b) {
  return ops::binary(BinaryOp::kLt, a, b);
}
Tensor le(const Tensor& a, const Tensor& b) {
  return ops::binary(BinaryOp::kLe, a, b);
}
Tensor gt(const Tensor& a, const Tensor& b) {
  return ops::binary(BinaryOp::kGt, a, b);
}
Tensor ge(const Tensor& a, const Tensor& b) {
  return ops::binary(BinaryOp::kGe, a, b);
}

Tensor operator+(const Tensor& a, const Tensor& b) {
  return add(a, b);
}
Tensor operator-(const Tensor& a, const Tensor& b) {
  return sub(a, b);
}
Tensor operator*(const Tensor& a, const Tensor& b) {
  return mul(a, b);
}
Tensor operator/(const Tensor& a, const Tensor& b) {
  return div(a, b);
}
Tensor operator-(const Tensor& x) {
  return neg(x);
}
Tensor operator+(const Tensor& a, float s) {
  return add_scalar(a, s);
}
Tensor operator+(float s, const Tensor& a) {
  return add_scalar(a, s);
}
Tensor operator-(const Tensor& a, float s) {
  return add_scalar(a, -s);
}
Tensor operator-(float s, const Tensor& a) {
  return add_scalar(neg(a), s);
}
Tensor operator*(const Tensor& a, float s) {
  return mul_scalar(a, s);
}
Tensor operator*(float s, const Tensor& a) {
  return mul_scalar(a, s);
}
// Multiplies by 1/s (keeps a's dtype; may differ from true division in the last bit).
Tensor operator/(const Tensor& a, float s) {
  return mul_scalar(a, 1.0f / s);
}
Tensor operator/(float s, const Tensor& a) {
  return mul_scalar(unary_fn(UnaryOp::kReciprocal, a), s);
}

}  // namespace llmkit
