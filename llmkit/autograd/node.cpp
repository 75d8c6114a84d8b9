#include "llmkit/autograd/node.h"

namespace llmkit::autograd {
namespace {
thread_local bool t_grad_enabled = true;
}

Node::Node(std::string name, std::vector<Tensor> inputs, BackwardFn backward)
    : name_(std::move(name)), inputs_(std::move(inputs)), backward_(std::move(backward)) {}

std::vector<Tensor> Node::apply(const Tensor& grad_output) const {
  LLMKIT_CHECK(!released_, "backward through '", name_,
               "' a second time: its saved tensors were freed by the first backward(); pass "
               "retain_graph = true to the first call");
  return backward_(grad_output);
}

void Node::release() {
  released_ = true;
  backward_ = nullptr;
}

bool grad_enabled() {
  return t_grad_enabled;
}

NoGradGuard::NoGradGuard() : previous_(t_grad_enabled) {
  t_grad_enabled = false;
}
NoGradGuard::~NoGradGuard() {
  t_grad_enabled = previous_;
}

bool needs_grad(std::initializer_list<const Tensor*> inputs) {
  if (!t_grad_enabled) return false;
  for (const Tensor* t : inputs) {
    if (t->defined() && t->requires_grad()) return true;
  }
  return false;
}

Tensor record(const char* name, Tensor output, const std::vector<Tensor>& inputs,
              BackwardFn backward) {
  if (!t_grad_enabled) return output;
  bool any = false;
  std::vector<Tensor> kept(inputs.size());
  for (size_t i = 0; i < inputs.size(); ++i) {
    if (inputs[i].defined() && inputs[i].requires_grad()) {
      kept[i] = inputs[i];
      any = true;
    }
    if (inputs[i].defined() && output.same(inputs[i])) output = output.detach();
  }
  if (!any) return output;
  TensorImpl* impl = output.impl_ptr();
  impl->requires_grad = true;
  impl->grad_fn = std::make_shared<Node>(name, std::move(kept), std::move(backward));
  return output;
}

}  // namespace llmkit::autograd
