#include "llmkit/optim/lr_schedule.h"

#include <cmath>
#include <numbers>

namespace llmkit::optim {
namespace {
void check_step(int64_t step) {
  LLMKIT_CHECK(step >= 0, "learning-rate schedule: step ", step, " must be >= 0");
}
}  // namespace

ConstantLr::ConstantLr(float lr) : lr_(lr) {
  LLMKIT_CHECK(std::isfinite(lr) && lr >= 0.0f, "ConstantLr: lr ", lr, " must be finite and >= 0");
}

float ConstantLr::lr(int64_t step) const {
  check_step(step);
  return lr_;
}

WarmupCosineLr::WarmupCosineLr(const WarmupCosineOptions& o) : options_(o) {
  LLMKIT_CHECK(std::isfinite(o.peak_lr) && std::isfinite(o.min_lr) && o.min_lr >= 0.0f &&
                   o.min_lr <= o.peak_lr,
               "WarmupCosineLr: need 0 <= min_lr <= peak_lr, got min_lr ", o.min_lr, ", peak_lr ",
               o.peak_lr);
  LLMKIT_CHECK(o.warmup_steps >= 0 && o.warmup_steps <= o.total_steps,
               "WarmupCosineLr: need 0 <= warmup_steps <= total_steps, got warmup_steps ",
               o.warmup_steps, ", total_steps ", o.total_steps);
}

float WarmupCosineLr::lr(int64_t step) const {
  check_step(step);
  const auto& o = options_;
  if (step < o.warmup_steps) {
    return static_cast<float>(static_cast<double>(o.peak_lr) * static_cast<double>(step + 1) /
                              static_cast<double>(o.warmup_steps));
  }
  if (step >= o.total_steps) return o.min_lr;
  const double progress = static_cast<double>(step - o.warmup_steps) /
                          static_cast<double>(o.total_steps - o.warmup_steps);
  const double cosine = 0.5 * (1.0 + std::cos(std::numbers::pi * progress));
  return static_cast<float>(o.min_lr + (static_cast<double>(o.peak_lr) - o.min_lr) * cosine);
}

void apply_schedule(const LrSchedule& schedule, Optimizer& optimizer) {
  optimizer.set_lr(schedule.lr(optimizer.step_count()));
}

}  // namespace llmkit::optim
