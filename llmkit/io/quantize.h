// Scalar (reference) conversion of rows between f32 and the GGUF weight types.
//
// quantize_row follows ggml's reference quantizers, so llmkit and llama.cpp produce the same bytes
// from the same floats:
//   Q8_0: amax = max |x| over the block, d = amax / 127, q = round(x / d) (0 when d == 0)
//   Q4_0: m = the x of largest |x| (its sign kept), d = m / -8, q = min(15, trunc(x / d + 8.5))
//   Q4_K / Q6_K: ggml's search for per-sub-block scales (and Q4_K mins), then 6-bit / 8-bit
//                scales under an f16 super-block scale (details in quantize_k.h)
//   F16 / BF16: round to nearest even.
// Fast SIMD dot products over these blocks live in infer/ and are tested against these functions.
#pragma once

#include <cstdint>

#include "llmkit/io/ggml_types.h"

namespace llmkit::io {

// src: n floats -> dst: ggml_row_bytes(type, n) bytes. type must be writable; n a multiple of
// the block size (Error(kInvalidArgument) otherwise).
void quantize_row(GgmlType type, const float* src, void* dst, int64_t n);

// src: ggml_row_bytes(type, n) bytes -> dst: n floats. type must be readable (Error(kUnsupported)
// otherwise).
void dequantize_row(GgmlType type, const void* src, float* dst, int64_t n);

}  // namespace llmkit::io
