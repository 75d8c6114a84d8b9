// Learning-rate schedules.
//
// Step index: lr(step) is the rate for the optimizer update that follows `step` completed updates,
// i.e. step == Optimizer::step_count() just before Optimizer::step(); the first update uses lr(0).
// apply_schedule() does exactly that. Negative steps throw Error.
#pragma once

#include <cstdint>

#include "llmkit/optim/optimizer.h"

namespace llmkit::optim {

class LrSchedule {
 public:
  virtual ~LrSchedule() = default;
  virtual float lr(int64_t step) const = 0;
};

class ConstantLr : public LrSchedule {
 public:
  explicit ConstantLr(float lr);
  float lr(int64_t step) const override;

 private:
  float lr_;
};

struct WarmupCosineOptions {
  float peak_lr = 1e-3f;
  float min_lr = 0.0f;
  int64_t warmup_steps = 0;
  int64_t total_steps = 1;  // warmup included; >= warmup_steps
};

// Linear warmup, then half a cosine from peak_lr down to min_lr (W = warmup_steps, N =
// total_steps):
//   step < W:        peak_lr * (step + 1) / W        (reaches peak_lr at step W - 1)
//   W <= step < N:   min_lr + (peak_lr - min_lr) * (1 + cos(pi * (step - W) / (N - W))) / 2
//   step >= N:       min_lr
// So lr(W) == peak_lr, and the midpoint step W + (N - W) / 2 gives (peak_lr + min_lr) / 2.
class WarmupCosineLr : public LrSchedule {
 public:
  // Throws Error unless 0 <= min_lr <= peak_lr (finite) and 0 <= warmup_steps <= total_steps.
  explicit WarmupCosineLr(const WarmupCosineOptions& options);
  float lr(int64_t step) const override;
  const WarmupCosineOptions& options() const { return options_; }

 private:
  WarmupCosineOptions options_;
};

// Sets optimizer's lr to schedule.lr(optimizer.step_count()); call before each step().
void apply_schedule(const LrSchedule& schedule, Optimizer& optimizer);

}  // namespace llmkit::optim
