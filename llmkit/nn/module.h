// Module: the base of every trainable layer. It owns named parameters and named child modules and
// exposes them as one hierarchical registry with dotted names ("blk.0.attn_q.weight").
//
// A child registered under the empty name is inlined: its parameters appear without an extra
// prefix (this keeps GGUF-style names such as "blk.0.attn_q.weight" when a block is built from an
// attention module and an MLP module).
// Ownership: parameters are Tensor handles shared with callers (an optimizer holding the handle
// sees the same tensor); children are shared_ptrs. Not thread-safe for registration; forward passes
// on the same module from several threads are safe only in eval mode without dropout.
#pragma once

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "llmkit/tensor/tensor.h"

namespace llmkit::nn {

using NamedTensors = std::vector<std::pair<std::string, Tensor>>;

class Module {
 public:
  virtual ~Module() = default;
  Module() = default;
  Module(const Module&) = delete;
  Module& operator=(const Module&) = delete;

  // All parameters, depth-first in registration order, with dotted names.
  NamedTensors named_parameters() const;
  std::vector<Tensor> parameters() const;
  // Parameters that currently require grad.
  NamedTensors trainable_parameters() const;
  int64_t parameter_count(bool trainable_only = false) const;

  // Train/eval mode, applied recursively (dropout is active only in train mode).
  void train(bool on = true);
  void eval() { train(false); }
  bool is_training() const { return training_; }

  // Freezing: parameters stop (or resume) requiring gradients, recursively.
  void freeze() { set_trainable(false); }
  void unfreeze() { set_trainable(true); }
  void set_trainable(bool on);

  // Drops every parameter's accumulated gradient.
  void zero_grad();

  // Copies of the parameters (detached, sharing storage) keyed by dotted name.
  NamedTensors state_dict() const;
  // Copies values into the parameters. strict: every parameter must be present and no extra names.
  // Shapes must match exactly; dtypes are converted. Throws Error naming the first problem.
  void load_state_dict(const NamedTensors& state, bool strict = true);

 protected:
  // Registers a parameter (made a leaf that requires grad) and returns the stored handle.
  Tensor register_parameter(const std::string& name, Tensor value);
  template <typename M>
  std::shared_ptr<M> register_module(const std::string& name, std::shared_ptr<M> module) {
    add_child(name, module);
    return module;
  }

 private:
  void add_child(const std::string& name, std::shared_ptr<Module> module);
  void collect(const std::string& prefix, NamedTensors& out) const;

  NamedTensors params_;
  std::vector<std::pair<std::string, std::shared_ptr<Module>>> children_;
  bool training_ = true;
};

}  // namespace llmkit::nn
