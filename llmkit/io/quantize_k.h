// Internal to llmkit/io: the K-quant quantizers behind quantize_row (quantize.h).
//
// Both repeat ggml's reference quantizers (quantize_row_q4_K_ref / quantize_row_q6_K_ref, no
// importance weights) operation by operation in f32, so they write the same bytes as llama.cpp's
// llama-quantize from the same floats (for finite inputs; non-finite ones give defined but
// meaningless blocks). Per 256-element super-block:
//   Q4_K: each sub-block of 32 gets a weighted least-squares fit x ~ s * q - m (q in 0..15,
//         m >= 0; a grid of 21 candidate scales, weights |x| + rms(x)); the 8 scales and 8 mins
//         are then quantized to 6 bits against d = max s / 63 and dmin = max m / 63, and the
//         codes recomputed from the stored (f16) d, dmin.
//   Q6_K: each sub-block of 16 gets a symmetric fit x ~ s * q (q in -32..31; 19 candidate
//         scales, weights x^2); the 16 scales are quantized to int8 against d = -max s / 128
//         (max by magnitude, sign kept), and the codes recomputed from the stored d.
#pragma once

#include <cstdint>

#include "llmkit/io/ggml_types.h"

namespace llmkit::io::detail {

// x: 256 * blocks floats -> y: blocks blocks.
void quantize_q4_k(const float* x, BlockQ4_K* y, int64_t blocks);
void quantize_q6_k(const float* x, BlockQ6_K* y, int64_t blocks);

}  // namespace llmkit::io::detail
