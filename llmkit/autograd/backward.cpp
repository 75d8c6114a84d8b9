#include "llmkit/autograd/backward.h"

#include <unordered_map>
#include <unordered_set>

#include "llmkit/autograd/node.h"
#include "llmkit/ops/elementwise.h"
#include "llmkit/tensor/creation.h"
#include "llmkit/tensor/view.h"

namespace llmkit {
namespace {
using autograd::Node;

// Nodes reachable from root, ordered so that every node comes before the nodes of its inputs.
std::vector<Node*> topological_order(Node* root) {
  std::vector<Node*> post;
  std::unordered_set<Node*> seen{root};
  std::vector<std::pair<Node*, size_t>> stack{{root, 0}};
  while (!stack.empty()) {
    auto& [node, next] = stack.back();
    if (next < node->inputs().size()) {
      const Tensor& in = node->inputs()[next++];
      if (in.defined() && in.grad_fn() && seen.insert(in.grad_fn().get()).second) {
        stack.emplace_back(in.grad_fn().get(), 0);
      }
      continue;
    }
    post.push_back(node);
    stack.pop_back();
  }
  return {post.rbegin(), post.rend()};
}

Tensor as_f32_copy(const Tensor& g) {
  Tensor c = ops::to_dtype(g, DType::kF32);
  return c.same(g) ? ops::clone(g) : c;
}

void accumulate(Tensor& slot, const Tensor& g) {
  if (!slot.defined()) {
    slot = as_f32_copy(g);
  } else {
    ops::axpy_inplace(slot, g, 1.0f);
  }
}

// Runs the backward pass; for each leaf that requires grad calls sink(leaf, gradient).
void run_backward(const Tensor& root, const Tensor& grad_output, bool retain_graph,
                  const std::function<void(const Tensor&, const Tensor&)>& sink) {
  LLMKIT_CHECK(root.requires_grad(), "backward: the tensor ", describe(root),
               " does not require grad (no input of its computation was marked "
               "set_requires_grad, or it ran under NoGradGuard)");
  Tensor seed = grad_output;
  if (!seed.defined()) {
    LLMKIT_CHECK(root.numel() == 1, "backward: root ", describe(root),
                 " has more than one element; pass grad_output explicitly");
    seed = ones(root.shape());
  }
  LLMKIT_CHECK(seed.shape() == root.shape(), "backward: grad_output ", describe(seed),
               " does not match root ", describe(root));
  if (!root.grad_fn()) {  // root is itself a leaf
    sink(root, seed);
    return;
  }
  autograd::NoGradGuard no_grad;
  std::vector<Node*> order = topological_order(root.grad_fn().get());
  std::unordered_map<Node*, Tensor> pending;
  pending[order.front()] = seed;
  for (Node* node : order) {
    auto it = pending.find(node);
    if (it == pending.end()) continue;
    Tensor g = std::move(it->second);
    pending.erase(it);
    std::vector<Tensor> grads = node->apply(g);
    LLMKIT_CHECK_CODE(grads.size() == node->inputs().size(), ErrorCode::kInternal, "backward of '",
                      node->name(), "' returned ", grads.size(), " gradients for ",
                      node->inputs().size(), " inputs");
    for (size_t i = 0; i < grads.size(); ++i) {
      const Tensor& in = node->inputs()[i];
      if (!in.defined() || !grads[i].defined()) continue;
      LLMKIT_CHECK_CODE(grads[i].shape() == in.shape(), ErrorCode::kInternal, "backward of '",
                        node->name(), "' gave gradient ", describe(grads[i]), " for input ", i,
                        " of shape ", shape_to_string(in.shape()));
      if (in.grad_fn()) {
        accumulate(pending[in.grad_fn().get()], grads[i]);
      } else {
        sink(in, grads[i]);
      }
    }
    if (!retain_graph) node->release();
  }
}
}  // namespace

void backward(const Tensor& root, const Tensor& grad_output, bool retain_graph) {
  run_backward(root, grad_output, retain_graph, [](const Tensor& leaf, const Tensor& g) {
    Tensor current = leaf.grad();
    if (current.defined()) {
      ops::axpy_inplace(current, g, 1.0f);
    } else {
      Tensor fresh = as_f32_copy(g);
      leaf.set_grad(fresh);
    }
  });
}

std::vector<Tensor> grad(const Tensor& root, const std::vector<Tensor>& wrt,
                         const Tensor& grad_output, bool retain_graph) {
  std::unordered_map<TensorImpl*, size_t> slot;
  for (size_t i = 0; i < wrt.size(); ++i) {
    LLMKIT_CHECK(wrt[i].requires_grad() && wrt[i].is_leaf(), "grad: input ", i, " (",
                 describe(wrt[i]), ") is not a leaf that requires grad");
    slot[wrt[i].impl_ptr()] = i;
  }
  std::vector<Tensor> out(wrt.size());
  run_backward(root, grad_output, retain_graph, [&](const Tensor& leaf, const Tensor& g) {
    auto it = slot.find(leaf.impl_ptr());
    if (it != slot.end()) accumulate(out[it->second], g);
  });
  for (size_t i = 0; i < out.size(); ++i) {
    if (!out[i].defined()) out[i] = zeros(wrt[i].shape());
  }
  return out;
}

std::pair<Tensor, std::vector<Tensor>> value_and_grad(const ScalarFn& f,
                                                      const std::vector<Tensor>& params) {
  std::vector<Tensor> leaves;
  leaves.reserve(params.size());
  for (const Tensor& p : params) {
    Tensor leaf = p.detach();
    leaf.set_requires_grad(true);
    leaves.push_back(leaf);
  }
  Tensor value = f(leaves);
  LLMKIT_CHECK(value.numel() == 1, "value_and_grad: f returned ", describe(value),
               "; it must return a one-element tensor");
  if (!value.requires_grad()) {  // f does not depend on the params
    std::vector<Tensor> zs;
    for (const Tensor& p : params) zs.push_back(zeros(p.shape()));
    return {value, zs};
  }
  std::vector<Tensor> grads = grad(value, leaves);
  return {value.detach(), grads};
}

}  // namespace llmkit
