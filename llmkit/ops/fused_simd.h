// Vector primitives shared by the fused kernels (norms, attention, cross-entropy): f32 row
// operations on raw pointers, chosen at run time for the best SIMD target the CPU supports
// (Highway dynamic dispatch). Each has a scalar twin in namespace ref with the same contract; tests
// hold the two equal up to rounding (the SIMD versions sum in a different order).
//
// Contracts: pointers cover the elements named (rows: n rows of d contiguous floats, row i starting
// at rows + i * row_stride); n or d may be 0. Outputs may not alias inputs unless stated.
#pragma once

#include <cstdint>

namespace llmkit::ops::fused_simd {

// sum_i a[i] * b[i]
float dot(const float* a, const float* b, int64_t n);
// sum_i x[i]
float sum(const float* x, int64_t n);
// max_i x[i]; -infinity when n == 0.
float max(const float* x, int64_t n);
// out[i] = dot(x, rows + i * row_stride, d) for i < n.
void dot_rows(const float* x, const float* rows, int64_t row_stride, int64_t n, int64_t d,
              float* out);
// acc[j] += sum_i p[i] * rows[i * row_stride + j] for j < d.
void accumulate_rows(const float* p, const float* rows, int64_t row_stride, int64_t n, int64_t d,
                     float* acc);
// out[i] = exp(x[i] - shift) (when out is not null; out may equal x); returns sum_i exp(x[i] -
// shift). Inputs must satisfy x[i] - shift <= 80 (after a max subtraction they are <= 0).
float exp_shift_sum(const float* x, int64_t n, float shift, float* out);
// In place: x[i] = cap > 0 ? cap * tanh(x[i] * scale / cap) : x[i] * scale.
void scale_softcap(float* x, int64_t n, float scale, float cap);

// The SIMD target the dispatched functions run on ("AVX2", "SSE4", ...); for tests and logs.
const char* target_name();

namespace ref {
float dot(const float* a, const float* b, int64_t n);
float sum(const float* x, int64_t n);
float max(const float* x, int64_t n);
void dot_rows(const float* x, const float* rows, int64_t row_stride, int64_t n, int64_t d,
              float* out);
void accumulate_rows(const float* p, const float* rows, int64_t row_stride, int64_t n, int64_t d,
                     float* acc);
float exp_shift_sum(const float* x, int64_t n, float shift, float* out);
void scale_softcap(float* x, int64_t n, float scale, float cap);
}  // namespace ref

}  // namespace llmkit::ops::fused_simd
