// Scalar row conversions (Q4_K / Q6_K quantizers in quantize_k.cpp). The quantizers repeat the
// arithmetic of ggml's reference quantizers step by step in f32 (same operations, same order), so
// both produce identical bytes; the dequantizers repeat ggml's dequantize_row_* formulas. Format
// facts: ggml-common.h and ggml-quants.c.
#include "llmkit/io/quantize.h"

#include <cmath>
#include <cstring>

#include "llmkit/base/error.h"
#include "llmkit/io/quantize_k.h"
#include "llmkit/tensor/dtype.h"

namespace llmkit::io {
namespace {

constexpr int64_t kQK = 32;    // elements per Q8_0 / Q4_0 block
constexpr int64_t kQKK = 256;  // elements per K-quant super-block

// ggml stores roundf(x / d) into an int8; for finite inputs the value is within [-127, 127]. The
// clamp (and NaN -> 0) only makes non-finite inputs well defined, which ggml leaves undefined.
int8_t round_to_i8(float v) {
  const float r = std::round(v);
  if (r >= -128.0f && r <= 127.0f) return static_cast<int8_t>(r);
  if (r > 127.0f) return 127;
  if (r < -128.0f) return -128;
  return 0;  // NaN
}

// ggml computes min(15, (int8_t)(x / d + 8.5f)), truncating toward zero; for finite inputs the
// sum lies in [~0.49, ~16.5]. NaN maps to 8 (the code of 0).
uint8_t q4_code(float shifted) {
  if (shifted >= 0.0f && shifted < 16.0f) return static_cast<uint8_t>(shifted);
  if (shifted >= 16.0f) return 15;
  if (shifted < 0.0f) return 0;
  return 8;
}

void quantize_q8_0(const float* x, BlockQ8_0* y, int64_t blocks) {
  for (int64_t b = 0; b < blocks; ++b, x += kQK) {
    float amax = 0.0f;  // ggml: amax = MAX(amax, fabsf(v)), where MAX(a, b) is a > b ? a : b
    for (int64_t j = 0; j < kQK; ++j) {
      const float a = std::fabs(x[j]);
      amax = amax > a ? amax : a;
    }
    const float d = amax / 127.0f;
    const float id = d != 0.0f ? 1.0f / d : 0.0f;
    y[b].d = f32_to_f16(d);
    for (int64_t j = 0; j < kQK; ++j) y[b].qs[j] = round_to_i8(x[j] * id);
  }
}

void quantize_q4_0(const float* x, BlockQ4_0* y, int64_t blocks) {
  for (int64_t b = 0; b < blocks; ++b, x += kQK) {
    float amax = 0.0f;
    float max = 0.0f;  // the element of largest magnitude, sign kept (the first one on ties)
    for (int64_t j = 0; j < kQK; ++j) {
      if (amax < std::fabs(x[j])) {
        amax = std::fabs(x[j]);
        max = x[j];
      }
    }
    const float d = max / -8.0f;
    const float id = d != 0.0f ? 1.0f / d : 0.0f;
    y[b].d = f32_to_f16(d);
    for (int64_t j = 0; j < kQK / 2; ++j) {
      // Two statements, as in ggml, so no compiler fuses the multiply and the add.
      const float x0 = x[j] * id;
      const float x1 = x[j + kQK / 2] * id;
      const uint8_t lo = q4_code(x0 + 8.5f);
      const uint8_t hi = q4_code(x1 + 8.5f);
      y[b].qs[j] = static_cast<uint8_t>(lo | (hi << 4));
    }
  }
}

void dequantize_q8_0(const BlockQ8_0* x, float* y, int64_t blocks) {
  for (int64_t b = 0; b < blocks; ++b, y += kQK) {
    const float d = f16_to_f32(x[b].d);
    for (int64_t j = 0; j < kQK; ++j) y[j] = static_cast<float>(x[b].qs[j]) * d;
  }
}

void dequantize_q4_0(const BlockQ4_0* x, float* y, int64_t blocks) {
  for (int64_t b = 0; b < blocks; ++b, y += kQK) {
    const float d = f16_to_f32(x[b].d);
    for (int64_t j = 0; j < kQK / 2; ++j) {
      y[j] = static_cast<float>((x[b].qs[j] & 0x0F) - 8) * d;
      y[j + kQK / 2] = static_cast<float>((x[b].qs[j] >> 4) - 8) * d;
    }
  }
}

// Q4_K packs 8 six-bit scales and 8 six-bit mins into 12 bytes. Sub-blocks 0..3 keep their scale
// and min in the low 6 bits of bytes j and j + 4; sub-blocks 4..7 keep the low 4 bits of both in
// byte j + 4 (scale low nibble, min high nibble) and their top 2 bits in the top 2 bits of bytes
// j - 4 (scale) and j (min).
void q4_k_scale_min(int j, const uint8_t* s, uint8_t* scale, uint8_t* min) {
  if (j < 4) {
    *scale = s[j] & 63;
    *min = s[j + 4] & 63;
  } else {
    *scale = static_cast<uint8_t>((s[j + 4] & 0x0F) | ((s[j - 4] >> 6) << 4));
    *min = static_cast<uint8_t>((s[j + 4] >> 4) | ((s[j] >> 6) << 4));
  }
}

// Per 64 elements: 32 bytes of qs hold sub-block 2k in their low nibbles and 2k+1 in the high.
void dequantize_q4_k(const BlockQ4_K* x, float* y, int64_t blocks) {
  for (int64_t b = 0; b < blocks; ++b) {
    const float d = f16_to_f32(x[b].d);
    const float dmin = f16_to_f32(x[b].dmin);
    const uint8_t* q = x[b].qs;
    for (int sub = 0; sub < 8; sub += 2, q += 32) {
      uint8_t sc = 0, m = 0;
      q4_k_scale_min(sub, x[b].scales, &sc, &m);
      const float d1 = d * sc, m1 = dmin * m;
      q4_k_scale_min(sub + 1, x[b].scales, &sc, &m);
      const float d2 = d * sc, m2 = dmin * m;
      for (int l = 0; l < 32; ++l) *y++ = d1 * static_cast<float>(q[l] & 0x0F) - m1;
      for (int l = 0; l < 32; ++l) *y++ = d2 * static_cast<float>(q[l] >> 4) - m2;
    }
  }
}

// Per 128 elements (two halves of the super-block): 64 bytes of ql and 32 of qh. Element l + 32k
// (l < 32, k < 4) takes its low 4 bits from ql[l + 32 (k & 1)] (low nibble for k < 2, high
// nibble otherwise) and its high 2 bits from bits 2k..2k+1 of qh[l]; its scale is
// scales[l / 16 + 2k] (16 elements per scale).
void dequantize_q6_k(const BlockQ6_K* x, float* y, int64_t blocks) {
  for (int64_t b = 0; b < blocks; ++b) {
    const float d = f16_to_f32(x[b].d);
    const uint8_t* ql = x[b].ql;
    const uint8_t* qh = x[b].qh;
    const int8_t* sc = x[b].scales;
    for (int half = 0; half < 2; ++half, y += 128, ql += 64, qh += 32, sc += 8) {
      for (int l = 0; l < 32; ++l) {
        const int is = l / 16;
        const int q1 = ((ql[l] & 0x0F) | (((qh[l] >> 0) & 3) << 4)) - 32;
        const int q2 = ((ql[l + 32] & 0x0F) | (((qh[l] >> 2) & 3) << 4)) - 32;
        const int q3 = ((ql[l] >> 4) | (((qh[l] >> 4) & 3) << 4)) - 32;
        const int q4 = ((ql[l + 32] >> 4) | (((qh[l] >> 6) & 3) << 4)) - 32;
        y[l] = d * static_cast<float>(sc[is]) * static_cast<float>(q1);
        y[l + 32] = d * static_cast<float>(sc[is + 2]) * static_cast<float>(q2);
        y[l + 64] = d * static_cast<float>(sc[is + 4]) * static_cast<float>(q3);
        y[l + 96] = d * static_cast<float>(sc[is + 6]) * static_cast<float>(q4);
      }
    }
  }
}

}  // namespace

void quantize_row(GgmlType type, const float* src, void* dst, int64_t n) {
  const GgmlTypeInfo& info = ggml_type_info(type);
  LLMKIT_CHECK(info.writable, "quantize_row: llmkit cannot write ggml type ", info.name,
               " (writable: f32, f16, bf16, q8_0, q4_0, q4_K, q6_K)");
  LLMKIT_CHECK(n >= 0 && n % info.block_elems == 0, "quantize_row: a ", info.name, " row of ", n,
               " elements: the count must be a multiple of the block size ", info.block_elems);
  const int64_t blocks = n / info.block_elems;
  switch (type) {
    case GgmlType::kF32:
      if (n > 0) std::memcpy(dst, src, static_cast<size_t>(n) * sizeof(float));
      return;
    case GgmlType::kF16: {
      uint16_t h = 0;
      auto* out = static_cast<uint8_t*>(dst);
      for (int64_t i = 0; i < n; ++i) {
        h = f32_to_f16(src[i]);
        std::memcpy(out + 2 * i, &h, 2);
      }
      return;
    }
    case GgmlType::kBF16: {
      uint16_t h = 0;
      auto* out = static_cast<uint8_t*>(dst);
      for (int64_t i = 0; i < n; ++i) {
        h = f32_to_bf16(src[i]);
        std::memcpy(out + 2 * i, &h, 2);
      }
      return;
    }
    case GgmlType::kQ8_0:
      quantize_q8_0(src, static_cast<BlockQ8_0*>(dst), blocks);
      return;
    case GgmlType::kQ4_0:
      quantize_q4_0(src, static_cast<BlockQ4_0*>(dst), blocks);
      return;
    case GgmlType::kQ4_K:
      detail::quantize_q4_k(src, static_cast<BlockQ4_K*>(dst), blocks);
      return;
    case GgmlType::kQ6_K:
      detail::quantize_q6_k(src, static_cast<BlockQ6_K*>(dst), blocks);
      return;
    default:
      break;
  }
  throw_error(ErrorCode::kInternal, str_cat("quantize_row: no quantizer for ", info.name));
}

void dequantize_row(GgmlType type, const void* src, float* dst, int64_t n) {
  const GgmlTypeInfo& info = ggml_type_info(type);
  LLMKIT_CHECK_CODE(info.readable, ErrorCode::kUnsupported, "dequantize_row: llmkit cannot read ",
                    "ggml type ", info.name, " (readable: f32, f16, bf16, q8_0, q4_0, q4_K, q6_K)");
  LLMKIT_CHECK(n >= 0 && n % info.block_elems == 0, "dequantize_row: a ", info.name, " row of ", n,
               " elements: the count must be a multiple of the block size ", info.block_elems);
  const int64_t blocks = n / info.block_elems;
  const auto* in = static_cast<const uint8_t*>(src);
  switch (type) {
    case GgmlType::kF32:
      if (n > 0) std::memcpy(dst, src, static_cast<size_t>(n) * sizeof(float));
      return;
    case GgmlType::kF16:
    case GgmlType::kBF16: {
      const bool f16 = type == GgmlType::kF16;
      for (int64_t i = 0; i < n; ++i) {
        uint16_t h = 0;
        std::memcpy(&h, in + 2 * i, 2);
        dst[i] = f16 ? f16_to_f32(h) : bf16_to_f32(h);
      }
      return;
    }
    case GgmlType::kQ8_0:
      dequantize_q8_0(static_cast<const BlockQ8_0*>(src), dst, blocks);
      return;
    case GgmlType::kQ4_0:
      dequantize_q4_0(static_cast<const BlockQ4_0*>(src), dst, blocks);
      return;
    case GgmlType::kQ4_K:
      dequantize_q4_k(static_cast<const BlockQ4_K*>(src), dst, blocks);
      return;
    case GgmlType::kQ6_K:
      dequantize_q6_k(static_cast<const BlockQ6_K*>(src), dst, blocks);
      return;
    default:
      break;
  }
  throw_error(ErrorCode::kInternal, str_cat("dequantize_row: no dequantizer for ", info.name));
}

}  // namespace llmkit::io
