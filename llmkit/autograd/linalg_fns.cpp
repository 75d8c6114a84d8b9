// Differentiable matrix products and softmax.
//
// matmul: with a' [..., M, K] and b' [..., K, N] the operands after NumPy's 1-D promotion and g'
// the output gradient with the promoted axes put back, dA' = g' @ b'^T and dB' = a'^T @ g', each
// summed over the batch axes its operand was broadcast along, then reshaped to the operand's shape.
// linear: y = x W^T + b with x [..., K], W [N, K]: dx = g @ W, dW = g_flat^T @ x_flat (rows of all
// leading axes folded into one product), db = sum of g over the leading axes.
// softmax: dx = y * (g - sum(g * y)); log_softmax: dx = g - exp(y) * sum(g) (see ops/softmax.h).
//
// Backward lambdas save only what the gradients that are needed read (detached: storage, no graph).
#include "llmkit/autograd/functions.h"
#include "llmkit/autograd/node.h"
#include "llmkit/ops/matmul.h"
#include "llmkit/ops/reduce.h"
#include "llmkit/ops/softmax.h"
#include "llmkit/tensor/view.h"

namespace llmkit {
namespace {
using autograd::record;

Tensor saved_if(bool keep, const Tensor& t) {
  return keep ? t.detach() : Tensor();
}

// The last two axes swapped (a view).
Tensor mT(const Tensor& t) {
  return ops::transpose(t, -1, -2);
}

}  // namespace

Tensor matmul(const Tensor& a, const Tensor& b) {
  Tensor out = ops::matmul(a, b);
  bool need_a = autograd::needs_grad({&a}), need_b = autograd::needs_grad({&b});
  if (!need_a && !need_b) return out;
  Tensor a_s = saved_if(need_b, a), b_s = saved_if(need_a, b);
  Shape a_shape = a.shape(), b_shape = b.shape();
  return record("matmul", out, {a, b}, [=](const Tensor& g) {
    bool a_vec = a_shape.size() == 1, b_vec = b_shape.size() == 1;
    Tensor g2 = g;  // [batch..., M, N] with the 1-D promotions restored
    if (a_vec) g2 = ops::unsqueeze(g2, g2.dim() - (b_vec ? 0 : 1));
    if (b_vec) g2 = ops::unsqueeze(g2, g2.dim());
    Tensor da, db;
    if (need_a) {
      Tensor b2 = b_vec ? ops::unsqueeze(b_s, 1) : b_s;
      Shape a2_shape = a_shape;
      if (a_vec) a2_shape.insert(a2_shape.begin(), 1);
      da = ops::reshape(ops::sum_to(ops::matmul(g2, mT(b2)), a2_shape), a_shape);
    }
    if (need_b) {
      Tensor a2 = a_vec ? ops::unsqueeze(a_s, 0) : a_s;
      Shape b2_shape = b_shape;
      if (b_vec) b2_shape.push_back(1);
      Tensor db2;
      if (b2_shape.size() == 2 && a2.dim() > 2) {
        // b' is one matrix for the whole batch (so a' and g' share their batch axes): fold the
        // batch into the rows and run one product instead of a batch of them plus a sum.
        int64_t k = a2.size(-1), n = g2.size(-1);
        db2 = ops::matmul(mT(ops::reshape(a2, {-1, k})), ops::reshape(g2, {-1, n}));
      } else {
        db2 = ops::sum_to(ops::matmul(mT(a2), g2), b2_shape);
      }
      db = ops::reshape(db2, b_shape);
    }
    return std::vector<Tensor>{da, db};
  });
}

Tensor linear(const Tensor& x, const Tensor& w, const Tensor& bias) {
  Tensor out = ops::linear(x, w, bias);
  bool need_x = autograd::needs_grad({&x}), need_w = autograd::needs_grad({&w});
  bool need_b = autograd::needs_grad({&bias});
  if (!need_x && !need_w && !need_b) return out;
  Tensor x_s = saved_if(need_w, x), w_s = saved_if(need_x, w);
  int64_t n = w.size(0), k = w.size(1);
  return record("linear", out, {x, w, bias}, [=](const Tensor& g) {
    Tensor dx, dw, db;
    if (need_x) dx = ops::matmul(g, w_s);  // [..., N] @ [N, K] -> [..., K]
    if (need_w) {
      dw = ops::matmul(mT(ops::reshape(g, {-1, n})), ops::reshape(x_s, {-1, k}));
    }
    if (need_b) db = ops::sum_to(g, {n});
    return std::vector<Tensor>{dx, dw, db};
  });
}

Tensor softmax(const Tensor& x, int64_t axis) {
  Tensor y = ops::softmax(x, axis);
  Tensor y_s = y.detach();  // a separate handle: saving y itself would make a reference cycle
  return record("softmax", y, {x}, [y_s, axis](const Tensor& g) {
    return std::vector<Tensor>{ops::softmax_backward(y_s, g, axis)};
  });
}

Tensor log_softmax(const Tensor& x, int64_t axis) {
  Tensor y = ops::log_softmax(x, axis);
  Tensor y_s = y.detach();
  return record("log_softmax", y, {x}, [y_s, axis](const Tensor& g) {
    return std::vector<Tensor>{ops::log_softmax_backward(y_s, g, axis)};
  });
}

}  // namespace llmkit
