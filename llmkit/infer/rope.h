// RoPE for the inference forward: rotation frequencies (with the configured frequency scaling),
// cos/sin tables for a run of positions, and the half-split rotation of one head vector. The
// arithmetic is ops::rope's (angles pos * inv_freq in double, rounded to f32 cos/sin), so that
// unscaled RoPE matches the training path bit for bit.
//
// Frequency scaling (models::RopeScaling, as Hugging Face's rope_scaling computes it; applied to
// global layers only, since Gemma 3 keeps local layers unscaled):
//   linear: inv_freq / factor.
//   llama3: with wavelen = 2 pi / inv_freq, lo = original_ctx / low_freq_factor and
//           hi = original_ctx / high_freq_factor: wavelen > lo -> inv_freq / factor;
//           wavelen < hi -> inv_freq; between -> (1 - s) inv_freq / factor + s inv_freq with
//           s = (original_ctx / wavelen - low_freq_factor) / (high_freq_factor - low_freq_factor).
// The training graph does not scale (TransformerLM warns), so scaled models differ from it.
#pragma once

#include <cstdint>
#include <vector>

#include "llmkit/models/model_config.h"

namespace llmkit::infer {

// inv_freq[i] = theta^(-2i / head_dim) for i < head_dim / 2, scaled per config.rope_scaling when
// `scaled`. Throws Error(kInvalidArgument) for theta <= 0, an odd head_dim, or scaling factors
// that are not positive (llama3 also needs rope_original_ctx > 0 and high > low freq factor).
std::vector<double> rope_inv_freq(float theta, int64_t head_dim, const models::ModelConfig& config,
                                  bool scaled);

// cos/sin [n, half] (half = inv_freq.size()) of positions pos0 .. pos0 + n - 1.
void rope_table(const std::vector<double>& inv_freq, int64_t pos0, int64_t n, float* cos_out,
                float* sin_out);

// Rotates x[2 * half] in place: pairs (i, i + half) by the angle whose cos/sin are c[i], s[i].
inline void rope_rotate(float* x, int64_t half, const float* c, const float* s) {
  for (int64_t i = 0; i < half; ++i) {
    const float x0 = x[i], x1 = x[i + half];
    x[i] = x0 * c[i] - x1 * s[i];
    x[i + half] = x1 * c[i] + x0 * s[i];
  }
}

}  // namespace llmkit::infer
