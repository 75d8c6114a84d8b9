// The inner loops of the inference matrix kernels (weight_matrix.h): one weight row against one
// activation vector, for each weight type, plus the row conversions to f32 and the Q8_0
// quantisation of activations. The dispatched functions run on the best SIMD target the CPU
// supports (Highway dynamic dispatch); each has a scalar twin in namespace ref with the same
// contract, and tests hold the two equal (bit-exact for the conversions and the quantiser, up to
// summation order for the dot products).
//
// Quantised dot products (as llama.cpp computes them): the activation row is first quantised to
// Q8_0 blocks (quantize_q8_0); a Q8_0 or Q4_0 weight block and the matching activation block give
// an exact int32 sum of products, scaled by the product of the two f16 block scales:
//   dot = sum_b (d_w[b] * d_x[b]) * sum_i q_w[b][i] * q_x[b][i].
//
// Contracts: n is the element count of a row (a multiple of 32 for the block types; n_blocks = n /
// 32); rows are contiguous (row r starts at w + r * row_length); out has n_rows floats. Any count
// may be 0. Thread-safe (no state).
#pragma once

#include <cstdint>

#include "llmkit/io/ggml_types.h"

namespace llmkit::infer::kernels {

// out[r] = sum_i w[r * n + i] * x[i] for r < n_rows.
void dot_rows_f32(const float* w, int64_t n_rows, int64_t n, const float* x, float* out);
// Same with f16 / bf16 weights (bit patterns).
void dot_rows_f16(const uint16_t* w, int64_t n_rows, int64_t n, const float* x, float* out);
void dot_rows_bf16(const uint16_t* w, int64_t n_rows, int64_t n, const float* x, float* out);
// Block rows of n_blocks blocks each against the Q8_0-quantised activation x (n_blocks blocks).
void dot_rows_q8_0(const io::BlockQ8_0* w, int64_t n_rows, int64_t n_blocks, const io::BlockQ8_0* x,
                   float* out);
void dot_rows_q4_0(const io::BlockQ4_0* w, int64_t n_rows, int64_t n_blocks, const io::BlockQ8_0* x,
                   float* out);

// x: n floats (n % 32 == 0) -> n / 32 blocks. Per block: amax = max |x|, d = amax / 127,
// q = round-half-even(x * (1 / d)) (all 0 when d == 0), stored d = f16(d).
void quantize_q8_0(const float* x, int64_t n, io::BlockQ8_0* out);

// Row conversions to f32 (n elements): f16, bf16 exactly; Q8_0: d * q; Q4_0: d * (nibble - 8)
// (the formulas of ggml_types.h, so they equal io::dequantize_row bit for bit).
void f16_to_f32_row(const uint16_t* src, float* dst, int64_t n);
void bf16_to_f32_row(const uint16_t* src, float* dst, int64_t n);
void dequantize_q8_0_row(const io::BlockQ8_0* src, float* dst, int64_t n);
void dequantize_q4_0_row(const io::BlockQ4_0* src, float* dst, int64_t n);

// The SIMD target the dispatched functions run on ("AVX2", "SSE4", ...).
const char* target_name();
// The quantised dots have hand-written x86 variants (dot_kernels_x86.h) chosen before Highway's:
// the one in use ("AVX512-VNNI", "AVX2", else target_name()).
const char* quantized_dot_variant();
// The Highway versions of the quantised dots, whatever the CPU (for tests and benchmarks).
void dot_rows_q8_0_portable(const io::BlockQ8_0* w, int64_t n_rows, int64_t n_blocks,
                            const io::BlockQ8_0* x, float* out);
void dot_rows_q4_0_portable(const io::BlockQ4_0* w, int64_t n_rows, int64_t n_blocks,
                            const io::BlockQ8_0* x, float* out);

namespace ref {
void dot_rows_f32(const float* w, int64_t n_rows, int64_t n, const float* x, float* out);
void dot_rows_f16(const uint16_t* w, int64_t n_rows, int64_t n, const float* x, float* out);
void dot_rows_bf16(const uint16_t* w, int64_t n_rows, int64_t n, const float* x, float* out);
void dot_rows_q8_0(const io::BlockQ8_0* w, int64_t n_rows, int64_t n_blocks, const io::BlockQ8_0* x,
                   float* out);
void dot_rows_q4_0(const io::BlockQ4_0* w, int64_t n_rows, int64_t n_blocks, const io::BlockQ8_0* x,
                   float* out);
void quantize_q8_0(const float* x, int64_t n, io::BlockQ8_0* out);
void f16_to_f32_row(const uint16_t* src, float* dst, int64_t n);
void bf16_to_f32_row(const uint16_t* src, float* dst, int64_t n);
void dequantize_q8_0_row(const io::BlockQ8_0* src, float* dst, int64_t n);
void dequantize_q4_0_row(const io::BlockQ4_0* src, float* dst, int64_t n);
}  // namespace ref

}  // namespace llmkit::infer::kernels
