// The autograd graph: each differentiable op that ran with gradients enabled leaves a Node on its
// output tensor (TensorImpl::grad_fn). A Node holds the op's inputs (undefined where no gradient is
// needed) and a backward function that maps the output's gradient to the inputs' gradients.
//
// Lifetime: the graph lives as long as the tensors that point into it; backward() releases each
// node's saved state unless asked to retain it.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "llmkit/tensor/tensor.h"

namespace llmkit::autograd {

// Returns one gradient per input, in order; an undefined Tensor means "no gradient". Each defined
// gradient must have its input's shape.
using BackwardFn = std::function<std::vector<Tensor>(const Tensor& grad_output)>;

class Node {
 public:
  Node(std::string name, std::vector<Tensor> inputs, BackwardFn backward);

  const std::string& name() const { return name_; }
  const std::vector<Tensor>& inputs() const { return inputs_; }
  // Throws Error if the node was released by an earlier backward().
  std::vector<Tensor> apply(const Tensor& grad_output) const;
  void release();
  bool released() const { return released_; }

 private:
  std::string name_;
  std::vector<Tensor> inputs_;
  BackwardFn backward_;
  bool released_ = false;
};

// True while gradients are recorded on this thread (the default).
bool grad_enabled();

// Disables gradient recording on this thread for its lifetime (nests).
class NoGradGuard {
 public:
  NoGradGuard();
  ~NoGradGuard();
  NoGradGuard(const NoGradGuard&) = delete;
  NoGradGuard& operator=(const NoGradGuard&) = delete;

 private:
  bool previous_;
};

// True when grad mode is on and some input requires a gradient.
bool needs_grad(std::initializer_list<const Tensor*> inputs);

// Makes `output` the result of a recorded op: when needs_grad(inputs), attaches a Node named `name`
// and marks output as requiring grad. Inputs that do not require grad are stored undefined (and get
// no gradient). If output shares its TensorImpl with an input, a fresh view is returned instead.
// `backward` must return one entry per input.
Tensor record(const char* name, Tensor output, const std::vector<Tensor>& inputs,
              BackwardFn backward);

}  // namespace llmkit::autograd
