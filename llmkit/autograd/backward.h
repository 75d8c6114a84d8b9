// Reverse-mode differentiation over the recorded graph.
#pragma once

#include <functional>
#include <utility>
#include <vector>

#include "llmkit/tensor/tensor.h"

namespace llmkit {

// Accumulates d(root)/d(leaf) into leaf.grad() for every leaf that requires grad (adding to any
// gradient already there). grad_output defaults to ones (root must then have one element).
// Gradients are f32 and have the leaf's shape. Unless retain_graph, the graph's saved tensors are
// freed, and a second backward through it throws.
void backward(const Tensor& root, const Tensor& grad_output = Tensor(), bool retain_graph = false);

// Gradients of root with respect to `wrt` (tensors that require grad), returned instead of
// accumulated; .grad() of leaves is not touched.
std::vector<Tensor> grad(const Tensor& root, const std::vector<Tensor>& wrt,
                         const Tensor& grad_output = Tensor(), bool retain_graph = false);

// JAX-style: calls f on fresh leaf copies of params (sharing their storage) that require grad, and
// returns f's value with its gradient for each param. f must return a one-element tensor.
using ScalarFn = std::function<Tensor(const std::vector<Tensor>&)>;
std::pair<Tensor, std::vector<Tensor>> value_and_grad(const ScalarFn& f,
                                                      const std::vector<Tensor>& params);

}  // namespace llmkit
