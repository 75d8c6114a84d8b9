#include "llmkit/optim/optimizer.h"

#include <cmath>
#include <limits>
#include <map>
#include <set>

#include "llmkit/base/context.h"
#include "llmkit/tensor/creation.h"
#include "llmkit/tensor/view.h"

namespace llmkit::optim {

namespace detail {
void for_each_chunk(int64_t n, const std::function<void(int64_t, int64_t)>& fn) {
  // Below ~32k floats a pool round trip costs more than the update itself.
  constexpr int64_t kParallelMin = int64_t{1} << 15;
  constexpr int64_t kMinChunk = int64_t{1} << 13;
  if (n <= 0) return;
  if (n < kParallelMin) {
    fn(0, n);
  } else {
    parallel_for(n, fn, kMinChunk);
  }
}
}  // namespace detail

Optimizer::Optimizer(std::string kind, std::vector<ParamGroup> groups, float lr,
                     std::vector<std::string> slot_names)
    : kind_(std::move(kind)), groups_(std::move(groups)), slot_names_(std::move(slot_names)) {
  set_lr(lr);
  std::set<std::string> names;
  std::set<const TensorImpl*> seen;
  for (size_t g = 0; g < groups_.size(); ++g) {
    const ParamGroup& group = groups_[g];
    LLMKIT_CHECK(std::isfinite(group.weight_decay) && group.weight_decay >= 0.0f, kind_,
                 ": parameter group ", g, " has weight_decay ", group.weight_decay,
                 "; it must be finite and >= 0");
    LLMKIT_CHECK(std::isfinite(group.lr_scale) && group.lr_scale >= 0.0f, kind_,
                 ": parameter group ", g, " has lr_scale ", group.lr_scale,
                 "; it must be finite and >= 0");
    for (const auto& [name, p] : group.params) {
      LLMKIT_CHECK(!name.empty(), kind_, ": parameter group ", g,
                   " has a parameter without a name");
      LLMKIT_CHECK(names.insert(name).second, kind_, ": parameter name '", name,
                   "' appears twice; names key the optimizer state and must be unique");
      LLMKIT_CHECK(p.defined(), kind_, ": parameter '", name, "' is undefined");
      LLMKIT_CHECK(seen.insert(p.impl_ptr()).second, kind_, ": parameter '", name,
                   "' is the same tensor as an earlier parameter");
      LLMKIT_CHECK(p.dtype() == DType::kF32 && p.is_contiguous(), kind_, ": parameter '", name,
                   "' is ", describe(p), "; optimizers update contiguous f32 tensors in place");
      LLMKIT_CHECK(p.is_leaf() && p.requires_grad(), kind_, ": parameter '", name,
                   "' must be a leaf tensor that requires grad (call set_requires_grad())");
      ParamState state;
      state.name = name;
      state.param = p;
      state.group = static_cast<int>(g);
      for (size_t s = 0; s < slot_names_.size(); ++s) state.slots.push_back(zeros(p.shape()));
      states_.push_back(std::move(state));
    }
  }
}

void Optimizer::set_lr(float lr) {
  LLMKIT_CHECK(std::isfinite(lr) && lr >= 0.0f, kind_, ": learning rate ", lr,
               " must be finite and >= 0");
  lr_ = lr;
}

void Optimizer::step() {
  for (ParamState& state : states_) {
    Tensor grad = state.param.grad();
    if (!grad.defined()) continue;
    LLMKIT_CHECK(grad.shape() == state.param.shape() && grad.dtype() == DType::kF32, kind_,
                 ".step: gradient ", describe(grad), " of parameter '", state.name,
                 "' does not match the parameter ", describe(state.param),
                 " (gradients must be f32 of the parameter's shape)");
    Tensor g = ops::contiguous(grad);
    const ParamGroup& group = groups_[static_cast<size_t>(state.group)];
    update(state, g.data<float>(), group, lr_ * group.lr_scale);
    ++state.steps;
  }
  ++step_count_;
}

void Optimizer::zero_grad() {
  for (ParamState& state : states_) state.param.zero_grad();
}

namespace {
Tensor step_tensor(int64_t steps, const std::string& key) {
  LLMKIT_CHECK_CODE(steps <= std::numeric_limits<int32_t>::max(), ErrorCode::kOutOfRange,
                    "state_dict: '", key, "' = ", steps, " does not fit the i32 state entry");
  return from_ints({static_cast<int32_t>(steps)}, {});
}
}  // namespace

NamedTensors Optimizer::state_dict() const {
  NamedTensors out;
  std::string key = kind_ + ".step";
  out.emplace_back(key, step_tensor(step_count_, key));
  for (const ParamState& state : states_) {
    key = str_cat(kind_, ".step.", state.name);
    out.emplace_back(key, step_tensor(state.steps, key));
    for (size_t s = 0; s < slot_names_.size(); ++s) {
      out.emplace_back(str_cat(kind_, ".", slot_names_[s], ".", state.name),
                       ops::clone(state.slots[s]));
    }
  }
  return out;
}

void Optimizer::load_state_dict(const NamedTensors& state) {
  std::map<std::string, Tensor> given;
  for (const auto& [key, t] : state) {
    LLMKIT_CHECK(given.emplace(key, t).second, kind_, ".load_state_dict: key '", key,
                 "' appears twice");
    LLMKIT_CHECK(t.defined(), kind_, ".load_state_dict: '", key, "' is undefined");
  }
  std::set<std::string> used;
  // Looks up one expected entry and checks it; everything is validated before anything changes.
  auto take = [&](const std::string& key, DType dtype, const Shape& shape) -> const Tensor& {
    auto it = given.find(key);
    LLMKIT_CHECK_CODE(it != given.end(), ErrorCode::kNotFound, kind_,
                      ".load_state_dict: missing key '", key,
                      "' (was the state saved by a different optimizer or model?)");
    LLMKIT_CHECK(it->second.dtype() == dtype && it->second.shape() == shape, kind_,
                 ".load_state_dict: '", key, "' is ", describe(it->second), " but this ",
                 "optimizer expects ", dtype_name(dtype), shape_to_string(shape));
    used.insert(key);
    return it->second;
  };
  auto take_step = [&](const std::string& key) {
    int64_t v = take(key, DType::kI32, {}).to_int_vector()[0];
    LLMKIT_CHECK(v >= 0, kind_, ".load_state_dict: '", key, "' = ", v, " is negative");
    return v;
  };

  int64_t step_count = take_step(kind_ + ".step");
  std::vector<int64_t> steps;
  std::vector<std::vector<const Tensor*>> slots;
  for (const ParamState& s : states_) {
    steps.push_back(take_step(str_cat(kind_, ".step.", s.name)));
    slots.emplace_back();
    for (const std::string& slot : slot_names_) {
      slots.back().push_back(
          &take(str_cat(kind_, ".", slot, ".", s.name), DType::kF32, s.param.shape()));
    }
  }
  for (const auto& [key, t] : given) {
    LLMKIT_CHECK(used.count(key) != 0, kind_, ".load_state_dict: unexpected key '", key,
                 "' (no parameter of this optimizer has that state)");
  }

  step_count_ = step_count;
  for (size_t i = 0; i < states_.size(); ++i) {
    states_[i].steps = steps[i];
    for (size_t s = 0; s < slot_names_.size(); ++s)
      ops::copy_into(states_[i].slots[s], *slots[i][s]);
  }
}

}  // namespace llmkit::optim
