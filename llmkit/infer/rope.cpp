#include "llmkit/infer/rope.h"

#include <cmath>
#include <numbers>

#include "llmkit/base/error.h"

namespace llmkit::infer {

std::vector<double> rope_inv_freq(float theta, int64_t head_dim, const models::ModelConfig& config,
                                  bool scaled) {
  LLMKIT_CHECK(theta > 0.0f && std::isfinite(theta),
               "RoPE: base theta must be finite and > 0, got ", theta);
  LLMKIT_CHECK(head_dim > 0 && head_dim % 2 == 0, "RoPE: head_dim ", head_dim,
               " must be positive and even");
  const int64_t half = head_dim / 2;
  std::vector<double> inv(static_cast<size_t>(half));
  for (int64_t i = 0; i < half; ++i) {
    inv[i] = std::pow(static_cast<double>(theta), -2.0 * static_cast<double>(i) / head_dim);
  }
  if (!scaled || config.rope_scaling == models::RopeScaling::kNone) return inv;
  const double factor = config.rope_scaling_factor;
  LLMKIT_CHECK(factor > 0.0 && std::isfinite(factor), "RoPE: rope_scaling_factor must be > 0, got ",
               factor);
  if (config.rope_scaling == models::RopeScaling::kLinear) {
    for (double& f : inv) f /= factor;
    return inv;
  }
  const double low = config.rope_low_freq_factor, high = config.rope_high_freq_factor;
  const double old_ctx = static_cast<double>(config.rope_original_ctx);
  LLMKIT_CHECK(old_ctx > 0.0 && low > 0.0 && high > low, "RoPE: llama3 scaling needs ",
               "rope_original_ctx > 0 and 0 < low_freq_factor < high_freq_factor, got ",
               config.rope_original_ctx, ", ", low, ", ", high);
  const double low_wavelen = old_ctx / low, high_wavelen = old_ctx / high;
  for (double& f : inv) {
    const double wavelen = 2.0 * std::numbers::pi / f;
    if (wavelen > low_wavelen) {
      f /= factor;
    } else if (wavelen >= high_wavelen) {
      const double s = (old_ctx / wavelen - low) / (high - low);
      f = (1.0 - s) * f / factor + s * f;
    }
  }
  return inv;
}

void rope_table(const std::vector<double>& inv_freq, int64_t pos0, int64_t n, float* cos_out,
                float* sin_out) {
  const int64_t half = static_cast<int64_t>(inv_freq.size());
  for (int64_t t = 0; t < n; ++t) {
    const double pos = static_cast<double>(pos0 + t);
    for (int64_t i = 0; i < half; ++i) {
      const double a = pos * inv_freq[i];
      cos_out[t * half + i] = static_cast<float>(std::cos(a));
      sin_out[t * half + i] = static_cast<float>(std::sin(a));
    }
  }
}

}  // namespace llmkit::infer
