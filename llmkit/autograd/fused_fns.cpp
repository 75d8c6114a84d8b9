// Differentiable wrappers of the fused Transformer kernels (functions.h): each forward runs the
// raw kernel, and the recorded backward calls its hand-derived backward kernel with the saved
// tensors. Saved tensors are detached handles (the output's own graph must not be reachable from
// its node, or the graph would keep itself alive).
#include "llmkit/autograd/functions.h"
#include "llmkit/autograd/node.h"
#include "llmkit/ops/fused.h"
#include "llmkit/tensor/view.h"

namespace llmkit {

Tensor rms_norm(const Tensor& x, const Tensor& w, float eps, bool unit_offset) {
  ops::RmsNormResult r = ops::rms_norm(x, w, eps, unit_offset);
  if (!autograd::needs_grad({&x, &w})) return r.y;
  Tensor xs = x.detach(), ws = w.detach(), rstd = r.rstd;
  return autograd::record("rms_norm", r.y, {x, w}, [=](const Tensor& g) {
    ops::RmsNormGrads grads = ops::rms_norm_backward(xs, ws, rstd, g, unit_offset);
    return std::vector<Tensor>{grads.dx, grads.dw};
  });
}

Tensor layer_norm(const Tensor& x, const Tensor& w, const Tensor& b, float eps) {
  ops::LayerNormResult r = ops::layer_norm(x, w, b, eps);
  if (!autograd::needs_grad({&x, &w, &b})) return r.y;
  Tensor xs = x.detach(), ws = w.detach(), mean = r.mean, rstd = r.rstd;
  const bool has_bias = b.defined();
  return autograd::record("layer_norm", r.y, {x, w, b}, [=](const Tensor& g) {
    ops::LayerNormGrads grads = ops::layer_norm_backward(xs, ws, mean, rstd, g, has_bias);
    return std::vector<Tensor>{grads.dx, grads.dw, grads.db};
  });
}

Tensor rope(const Tensor& x, const Tensor& positions, float theta) {
  Tensor y = ops::rope(x, positions, theta, /*inverse=*/false);
  if (!autograd::needs_grad({&x})) return y;
  Tensor pos = positions.detach();
  return autograd::record("rope", y, {x}, [=](const Tensor& g) {
    return std::vector<Tensor>{ops::rope(g, pos, theta, /*inverse=*/true)};
  });
}

Tensor attention(const Tensor& q, const Tensor& k, const Tensor& v,
                 const ops::AttentionOptions& options) {
  ops::AttentionResult r = ops::attention(q, k, v, options);
  if (!autograd::needs_grad({&q, &k, &v})) return r.out;
  // Saved: q, k, v, out and lse only; the probabilities are recomputed in the backward.
  Tensor qs = q.detach(), ks = k.detach(), vs = v.detach(), out = r.out.detach(), lse = r.lse;
  return autograd::record("attention", r.out, {q, k, v}, [=](const Tensor& g) {
    ops::AttentionGrads grads = ops::attention_backward(qs, ks, vs, out, lse, g, options);
    return std::vector<Tensor>{grads.dq, grads.dk, grads.dv};
  });
}

Tensor cross_entropy(const Tensor& logits, const Tensor& targets, int64_t ignore_index) {
  LLMKIT_CHECK(logits.defined() && targets.defined(),
               "cross_entropy: logits and targets must be defined tensors");
  LLMKIT_CHECK(logits.dim() >= 1, "cross_entropy: logits ", describe(logits), " must be [..., V]");
  const Shape batch_shape(logits.shape().begin(), logits.shape().end() - 1);
  LLMKIT_CHECK(targets.shape() == batch_shape, "cross_entropy: targets ", describe(targets),
               " must have the shape of logits ", describe(logits), " without its last axis, ",
               shape_to_string(batch_shape));
  // [..., V] -> [N, V] and [...] -> [N] (views when contiguous).
  const int64_t n_rows = shape_numel(batch_shape);
  Tensor flat_logits = logits.dim() == 2 ? logits : ops::reshape(logits, {n_rows, logits.size(-1)});
  Tensor flat_targets = targets.dim() == 1 ? targets : ops::reshape(targets, {n_rows});
  ops::CrossEntropyResult r = ops::cross_entropy(flat_logits, flat_targets, ignore_index);
  if (!autograd::needs_grad({&logits})) return r.loss;
  Tensor ls = flat_logits.detach(), ts = flat_targets.detach(), lse = r.lse;
  const int64_t n_valid = r.n_valid;
  const Shape shape = logits.shape();
  return autograd::record("cross_entropy", r.loss, {logits}, [=](const Tensor& g) {
    Tensor d = ops::cross_entropy_backward(ls, ts, lse, n_valid, g.item(), ignore_index);
    return std::vector<Tensor>{ops::reshape(d, shape)};
  });
}

}  // namespace llmkit
