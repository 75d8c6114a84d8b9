// Optimizer: the base class of AdamW and SGD. It owns the parameter groups, the learning rate,
// the step counter and the per-parameter state tensors, and implements step(), zero_grad() and
// the state_dict()/load_state_dict() round trip; subclasses supply the update rule.
//
// Parameters are leaf tensors that require grad, dtype f32, contiguous, each with a unique
// non-empty name (the name keys its state). Updates write the parameter's bytes in place, so
// every handle to the parameter (e.g. the nn::Module that owns it) sees them.
// Thread safety: one thread drives an optimizer; the updates themselves may run on the current
// Context's pool (llmkit::parallel_for).
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "llmkit/tensor/tensor.h"

namespace llmkit::optim {

using NamedTensors = std::vector<std::pair<std::string, Tensor>>;

struct ParamGroup {
  NamedTensors params;
  float weight_decay = 0.0f;  // meaning depends on the optimizer (decoupled for AdamW, L2 for SGD)
  float lr_scale = 1.0f;      // this group's learning rate is lr() * lr_scale
};

class Optimizer {
 public:
  virtual ~Optimizer() = default;
  Optimizer(const Optimizer&) = delete;
  Optimizer& operator=(const Optimizer&) = delete;

  // Applies one update to every parameter whose grad is defined (others are skipped and their
  // state is untouched), then increments step_count(). Throws Error when a grad's shape differs
  // from its parameter's or its dtype is not f32.
  void step();
  // Resets every parameter's grad to undefined.
  void zero_grad();

  float lr() const { return lr_; }
  void set_lr(float lr);
  // Number of step() calls so far (restored by load_state_dict).
  int64_t step_count() const { return step_count_; }
  const std::vector<ParamGroup>& param_groups() const { return groups_; }
  // "adamw", "sgd": the prefix of the state keys.
  const std::string& kind() const { return kind_; }

  // A snapshot (copies) of the state, in a fixed order:
  //   "<kind>.step"                    i32 0-D, step_count()
  //   per parameter, in group order:
  //   "<kind>.step.<param>"            i32 0-D, updates applied to that parameter
  //   "<kind>.<slot>.<param>"          f32, the parameter's shape (slots: m, v for AdamW;
  //                                    momentum for SGD with momentum)
  // Hyper-parameters (lr, betas, ...) are not part of the state.
  NamedTensors state_dict() const;
  // Copies `state` (as produced by state_dict() of an optimizer of the same kind over parameters
  // of the same names and shapes, in any order) into this optimizer. Throws Error naming the key
  // and what is wrong when a key is missing, unexpected or duplicated, or a shape or dtype differs;
  // on error the optimizer is left unchanged.
  void load_state_dict(const NamedTensors& state);

 protected:
  // Per-parameter state handed to update().
  struct ParamState {
    std::string name;
    Tensor param;               // f32, contiguous
    std::vector<Tensor> slots;  // f32, the parameter's shape, zero-initialised; one per slot name
    int64_t steps = 0;          // updates applied so far (before the current one)
    int group = 0;
  };

  // Validates the groups and allocates `slot_names.size()` zero state tensors per parameter.
  Optimizer(std::string kind, std::vector<ParamGroup> groups, float lr,
            std::vector<std::string> slot_names);

  // Applies one update to state.param given grad (f32, contiguous, the parameter's shape) with
  // learning rate lr (already scaled by the group's lr_scale). state.steps counts the earlier
  // updates of this parameter; step() increments it afterwards.
  virtual void update(ParamState& state, const float* grad, const ParamGroup& group, float lr) = 0;

 private:
  std::string kind_;
  std::vector<ParamGroup> groups_;
  std::vector<std::string> slot_names_;
  std::vector<ParamState> states_;
  float lr_;
  int64_t step_count_ = 0;
};

namespace detail {
// Runs fn(begin, end) over [0, n) elements: on the current Context's pool when n is large enough
// to pay for it, else inline. Used by the element-wise update rules.
void for_each_chunk(int64_t n, const std::function<void(int64_t, int64_t)>& fn);
}  // namespace detail

}  // namespace llmkit::optim
