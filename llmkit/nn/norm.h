// Normalisation layers over the last axis. x [..., C] -> [..., C].
#pragma once

#include "llmkit/nn/module.h"

namespace llmkit::nn {

// RMSNorm: x / rms(x) * w, or with unit_offset (Gemma) x / rms(x) * (1 + w). The weight starts at
// 1 (plain) or 0 (unit offset), so a fresh layer is a pure normalisation either way.
class RMSNorm : public Module {
 public:
  RMSNorm(int64_t dim, float eps = 1e-6f, bool unit_offset = false);
  Tensor forward(const Tensor& x) const;
  const Tensor& weight() const { return weight_; }

 private:
  Tensor weight_;
  float eps_;
  bool unit_offset_;
};

class LayerNorm : public Module {
 public:
  LayerNorm(int64_t dim, float eps = 1e-5f, bool bias = true);
  Tensor forward(const Tensor& x) const;

 private:
  Tensor weight_;
  Tensor bias_;
  float eps_;
};

}  // namespace llmkit::nn
