// x86 integer block dots for Q8_0 / Q4_0 weights against Q8_0 activations, written with
// intrinsics for the instructions Highway 1.0 does not expose: AVX-512 VNNI (vpdpbusd, 64 int8
// products per instruction) and AVX2 (vpmaddubsw). Same contract as kernels::dot_rows_q8_0 /
// dot_rows_q4_0 (dot_kernels.h); the dispatchers there call these when the CPU has the features.
//
// Both instructions multiply an unsigned byte by a signed byte, so the signed weights are
// offset: a Q8_0 weight q (-128..127) is used as q + 128 and a Q4_0 nibble n (0..15, value n - 8)
// as n, and the offsets are taken back exactly in int32 with per-lane sums of the activation
// (128 * sum x, 8 * sum x) computed once per call. AVX2 instead uses |q| and x with q's sign
// (vpmaddubsw saturates at int16 otherwise). Each call prepares its activation once (a per-thread
// buffer) and reuses it for all n_rows rows.
#pragma once

#include <cstdint>

#include "llmkit/io/ggml_types.h"

namespace llmkit::infer::kernels::x86 {

// True when the CPU (and OS) support the instructions of each variant.
bool has_avx512_vnni();
bool has_avx2();

void dot_rows_q8_0_vnni(const io::BlockQ8_0* w, int64_t n_rows, int64_t n_blocks,
                        const io::BlockQ8_0* x, float* out);
void dot_rows_q4_0_vnni(const io::BlockQ4_0* w, int64_t n_rows, int64_t n_blocks,
                        const io::BlockQ8_0* x, float* out);
// The split block layout (WeightMatrix::split_blocks): the rows' int8 / packed-nibble values
// contiguous (qs: n_rows * n_blocks * 32 or 16 bytes, block after block) and their f16 scales in a
// separate array d [n_rows * n_blocks]. Two blocks are then one load, and 16 scales one
// conversion. Same contract and results as the block-layout VNNI kernels above.
void dot_rows_q8_0_split_vnni(const int8_t* qs, const uint16_t* d, int64_t n_rows, int64_t n_blocks,
                              const io::BlockQ8_0* x, float* out);
void dot_rows_q4_0_split_vnni(const uint8_t* qs, const uint16_t* d, int64_t n_rows,
                              int64_t n_blocks, const io::BlockQ8_0* x, float* out);
// The same rows against n_x activations x [n_x * n_blocks] at once: out[j * out_stride + r] is
// exactly what the single-activation split kernel gives for activation j (each weight pair is
// loaded and its scales converted once for all activations; decoding several sessions together).
void dot_rows_q8_0_split_vnni_multi(const int8_t* qs, const uint16_t* d, int64_t n_rows,
                                    int64_t n_blocks, const io::BlockQ8_0* x, int64_t n_x,
                                    float* out, int64_t out_stride);
void dot_rows_q4_0_split_vnni_multi(const uint8_t* qs, const uint16_t* d, int64_t n_rows,
                                    int64_t n_blocks, const io::BlockQ8_0* x, int64_t n_x,
                                    float* out, int64_t out_stride);
void dot_rows_q8_0_avx2(const io::BlockQ8_0* w, int64_t n_rows, int64_t n_blocks,
                        const io::BlockQ8_0* x, float* out);
void dot_rows_q4_0_avx2(const io::BlockQ4_0* w, int64_t n_rows, int64_t n_blocks,
                        const io::BlockQ8_0* x, float* out);

}  // namespace llmkit::infer::kernels::x86
