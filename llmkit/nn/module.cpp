#include "llmkit/nn/module.h"

#include <unordered_map>
#include <unordered_set>

#include "llmkit/tensor/view.h"

namespace llmkit::nn {
namespace {
std::string join(const std::string& prefix, const std::string& name) {
  if (prefix.empty()) return name;
  if (name.empty()) return prefix;
  return prefix + "." + name;
}
}  // namespace

Tensor Module::register_parameter(const std::string& name, Tensor value) {
  LLMKIT_CHECK(!name.empty() && name.find('.') == std::string::npos,
               "register_parameter: invalid name '", name, "' (non-empty, no dots)");
  for (const auto& [n, t] : params_) {
    LLMKIT_CHECK(n != name, "register_parameter: '", name, "' is already registered");
  }
  LLMKIT_CHECK(value.dtype() == DType::kF32, "register_parameter: '", name, "' must be f32, got ",
               describe(value));
  Tensor leaf = value.is_leaf() ? value : value.detach();
  leaf.set_requires_grad(true);
  params_.emplace_back(name, leaf);
  return leaf;
}

void Module::add_child(const std::string& name, std::shared_ptr<Module> module) {
  LLMKIT_CHECK(module != nullptr, "register_module: '", name, "' is null");
  for (const auto& [n, m] : children_) {
    LLMKIT_CHECK(name.empty() || n != name, "register_module: '", name, "' is already registered");
  }
  module->train(training_);
  children_.emplace_back(name, std::move(module));
}

void Module::collect(const std::string& prefix, NamedTensors& out) const {
  for (const auto& [name, t] : params_) out.emplace_back(join(prefix, name), t);
  for (const auto& [name, child] : children_) child->collect(join(prefix, name), out);
}

NamedTensors Module::named_parameters() const {
  NamedTensors out;
  collect("", out);
  return out;
}

std::vector<Tensor> Module::parameters() const {
  std::vector<Tensor> out;
  for (auto& [name, t] : named_parameters()) out.push_back(t);
  return out;
}

NamedTensors Module::trainable_parameters() const {
  NamedTensors out;
  for (auto& [name, t] : named_parameters()) {
    if (t.requires_grad()) out.emplace_back(name, t);
  }
  return out;
}

int64_t Module::parameter_count(bool trainable_only) const {
  int64_t n = 0;
  for (auto& [name, t] : named_parameters()) {
    if (!trainable_only || t.requires_grad()) n += t.numel();
  }
  return n;
}

void Module::train(bool on) {
  training_ = on;
  for (auto& [name, child] : children_) child->train(on);
}

void Module::set_trainable(bool on) {
  for (auto& [name, t] : params_) t.set_requires_grad(on);
  for (auto& [name, child] : children_) child->set_trainable(on);
}

void Module::zero_grad() {
  for (auto& [name, t] : named_parameters()) t.zero_grad();
}

NamedTensors Module::state_dict() const {
  NamedTensors out;
  for (auto& [name, t] : named_parameters()) out.emplace_back(name, t.detach());
  return out;
}

void Module::load_state_dict(const NamedTensors& state, bool strict) {
  std::unordered_map<std::string, const Tensor*> given;
  for (const auto& [name, t] : state) {
    LLMKIT_CHECK(given.emplace(name, &t).second, "load_state_dict: '", name,
                 "' appears twice in the state");
  }
  std::unordered_set<std::string> used;
  for (auto& [name, param] : named_parameters()) {
    auto it = given.find(name);
    if (it == given.end()) {
      LLMKIT_CHECK_CODE(!strict, ErrorCode::kNotFound, "load_state_dict: parameter '", name, "' ",
                        shape_to_string(param.shape()), " is missing from the state");
      continue;
    }
    const Tensor& src = *it->second;
    LLMKIT_CHECK(src.shape() == param.shape(), "load_state_dict: '", name, "' has shape ",
                 shape_to_string(src.shape()), " in the state but ", shape_to_string(param.shape()),
                 " in the model");
    ops::copy_into(param, src);
    used.insert(name);
  }
  if (strict) {
    for (const auto& [name, t] : state) {
      LLMKIT_CHECK(used.count(name) != 0, "load_state_dict: the state has '", name,
                   "', which the model does not have (pass strict = false to ignore it)");
    }
  }
}

}  // namespace llmkit::nn
