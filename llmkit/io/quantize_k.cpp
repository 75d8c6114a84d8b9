// Q4_K and Q6_K quantizers (contract in quantize_k.h). Bit-exactness with ggml rests on doing
// the same f32 operations in the same order: every expression below is evaluated left to right as
// written, each operation rounded to f32 (no FMA contraction: GCC does not contract in ISO C++
// mode, Clang is told below), and rounding to an integer is ties-to-even as ggml's nearest_int
// does it.
#include "llmkit/io/quantize_k.h"

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstring>

#include "llmkit/tensor/dtype.h"

#if defined(__clang__)
#pragma clang fp contract(off)
#endif

namespace llmkit::io::detail {
namespace {

constexpr int kQKK = 256;               // elements per super-block
constexpr float kGroupMaxEps = 1e-15f;  // ggml's GROUP_MAX_EPS: a smaller max counts as zero

// Round to nearest, ties to even: adding 1.5 * 2^23 leaves a float whose unit in the last place is
// 1, so the addition itself rounds, and the integer sits in the low 23 bits (offset by 2^22).
// Valid for |v| <= 2^22 - 1; larger or non-finite values (which ggml asserts against) are clamped
// to that range, NaN to 0, so every input has a defined result.
int nearest_int(float v) {
  if (!(std::fabs(v) <= 4194303.0f)) return std::isnan(v) ? 0 : (v > 0.0f ? 4194303 : -4194303);
  const float shifted = v + 12582912.0f;
  return static_cast<int>(std::bit_cast<uint32_t>(shifted) & 0x007fffffu) - 0x00400000;
}

// Q4_K sub-block fit (ggml's make_qkx2_quants with n = 32, nmax = 15, rmin = -1, rdelta = 0.1,
// nstep = 20, squared error): x[i] ~ scale * L[i] - neg_min, L in 0..15, weights w. Starts from
// the min/max grid, then tries iscale = (15 - 1 + 0.1 k) / (max - min) for k = 0..20, each with
// the weighted least-squares scale and min for its codes (min forced <= 0), keeping the best.
// Returns scale; *neg_min = -min >= 0.
float fit_q4_k_sub_block(const float* x, const float* w, uint8_t* L, float* neg_min) {
  constexpr int n = 32, nmax = 15, nstep = 20;
  constexpr float rmin = -1.0f, rdelta = 0.1f;
  float min = x[0];
  float max = x[0];
  float sum_w = w[0];
  float sum_x = sum_w * x[0];
  for (int i = 1; i < n; ++i) {
    if (x[i] < min) min = x[i];
    if (x[i] > max) max = x[i];
    sum_w += w[i];
    sum_x += w[i] * x[i];
  }
  if (min > 0) min = 0;
  if (max == min) {
    std::memset(L, 0, n);
    *neg_min = -min;
    return 0.0f;
  }
  float iscale = nmax / (max - min);
  float scale = 1 / iscale;
  float best_error = 0;
  for (int i = 0; i < n; ++i) {
    const int l = nearest_int(iscale * (x[i] - min));
    L[i] = static_cast<uint8_t>(std::clamp(l, 0, nmax));
    float diff = scale * L[i] + min - x[i];
    diff = diff * diff;
    best_error += w[i] * diff;
  }
  uint8_t trial[n];
  for (int is = 0; is <= nstep; ++is) {
    iscale = (rmin + rdelta * is + nmax) / (max - min);
    float sum_l = 0, sum_l2 = 0, sum_xl = 0;
    for (int i = 0; i < n; ++i) {
      const int l = std::clamp(nearest_int(iscale * (x[i] - min)), 0, nmax);
      trial[i] = static_cast<uint8_t>(l);
      sum_l += w[i] * l;
      sum_l2 += w[i] * l * l;
      sum_xl += w[i] * l * x[i];
    }
    const float det = sum_w * sum_l2 - sum_l * sum_l;
    if (det > 0) {
      float this_scale = (sum_w * sum_xl - sum_x * sum_l) / det;
      float this_min = (sum_l2 * sum_x - sum_l * sum_xl) / det;
      if (this_min > 0) {
        this_min = 0;
        this_scale = sum_xl / sum_l2;
      }
      float error = 0;
      for (int i = 0; i < n; ++i) {
        float diff = this_scale * trial[i] + this_min - x[i];
        diff = diff * diff;
        error += w[i] * diff;
      }
      if (error < best_error) {
        std::memcpy(L, trial, n);
        best_error = error;
        scale = this_scale;
        min = this_min;
      }
    }
  }
  *neg_min = -min;
  return scale;
}

// round(iscale * v) clamped to the Q6_K range -32..31.
int q6_k_code(float iscale, float v) {
  return std::clamp(nearest_int(iscale * v), -32, 31);
}

// Q6_K sub-block fit (ggml's make_qx_quants with n = 16, nmax = 32, weights x^2): codes
// L = 32 + clamp(round(iscale * x), -32, 31) for iscale = -(32 + 0.1 k) / m, k = -9..9, m the x
// of largest magnitude; keeps the k whose least-squares scale sumlx / suml2 explains the most
// (largest sumlx^2 / suml2; k = 0 first, later ones only when strictly better). Returns that
// scale (negative for m > 0), 0 for an all-zero sub-block (L = 0).
float fit_q6_k_sub_block(const float* x, int8_t* L) {
  constexpr int n = 16, nmax = 32;
  float max = 0;
  float amax = 0;
  for (int i = 0; i < n; ++i) {
    const float ax = std::fabs(x[i]);
    if (ax > amax) {
      amax = ax;
      max = x[i];
    }
  }
  if (amax < kGroupMaxEps) {
    std::memset(L, 0, n);
    return 0.0f;
  }
  float iscale = -nmax / max;
  float sumlx = 0;
  float suml2 = 0;
  for (int i = 0; i < n; ++i) {
    const int l = q6_k_code(iscale, x[i]);
    L[i] = static_cast<int8_t>(l + nmax);
    const float w = x[i] * x[i];
    sumlx += w * x[i] * l;
    suml2 += w * l * l;
  }
  float scale = suml2 != 0 ? sumlx / suml2 : 0.0f;
  float best = scale * sumlx;
  for (int is = -9; is <= 9; ++is) {
    if (is == 0) continue;
    iscale = -(nmax + 0.1f * is) / max;
    sumlx = suml2 = 0;
    for (int i = 0; i < n; ++i) {
      const int l = q6_k_code(iscale, x[i]);
      const float w = x[i] * x[i];
      sumlx += w * x[i] * l;
      suml2 += w * l * l;
    }
    if (suml2 > 0 && sumlx * sumlx > best * suml2) {
      for (int i = 0; i < n; ++i) L[i] = static_cast<int8_t>(nmax + q6_k_code(iscale, x[i]));
      scale = sumlx / suml2;
      best = scale * sumlx;
    }
  }
  return scale;
}

// The 6-bit scale and min of sub-block j from the packed scales[12] (layout in quantize.cpp).
void q4_k_unpack(int j, const uint8_t* s, uint8_t* scale, uint8_t* min) {
  if (j < 4) {
    *scale = s[j] & 63;
    *min = s[j + 4] & 63;
  } else {
    *scale = static_cast<uint8_t>((s[j + 4] & 0x0F) | ((s[j - 4] >> 6) << 4));
    *min = static_cast<uint8_t>((s[j + 4] >> 4) | ((s[j] >> 6) << 4));
  }
}

}  // namespace

void quantize_q4_k(const float* x, BlockQ4_K* y, int64_t blocks) {
  uint8_t L[kQKK];
  float weights[32];
  float mins[8];
  float scales[8];
  for (int64_t b = 0; b < blocks; ++b, x += kQKK) {
    BlockQ4_K& out = y[b];
    float max_scale = 0;  // scales are >= 0 as the min is subtracted
    float max_min = 0;
    for (int j = 0; j < 8; ++j) {
      const float* xs = x + 32 * j;
      float sum_x2 = 0;
      for (int l = 0; l < 32; ++l) sum_x2 += xs[l] * xs[l];
      const float av_x = std::sqrt(sum_x2 / 32);
      for (int l = 0; l < 32; ++l) weights[l] = av_x + std::fabs(xs[l]);
      scales[j] = fit_q4_k_sub_block(xs, weights, L + 32 * j, &mins[j]);
      if (scales[j] > max_scale) max_scale = scales[j];
      if (mins[j] > max_min) max_min = mins[j];
    }
    const float inv_scale = max_scale > 0 ? 63.f / max_scale : 0.f;
    const float inv_min = max_min > 0 ? 63.f / max_min : 0.f;
    for (int j = 0; j < 8; ++j) {
      // ggml stores the rounded value into a uint8_t before the min (a modular conversion).
      const auto ls =
          std::min<uint8_t>(63, static_cast<uint8_t>(nearest_int(inv_scale * scales[j])));
      const auto lm = std::min<uint8_t>(63, static_cast<uint8_t>(nearest_int(inv_min * mins[j])));
      if (j < 4) {
        out.scales[j] = ls;
        out.scales[j + 4] = lm;
      } else {
        out.scales[j + 4] = static_cast<uint8_t>((ls & 0xF) | ((lm & 0xF) << 4));
        out.scales[j - 4] |= static_cast<uint8_t>((ls >> 4) << 6);
        out.scales[j] |= static_cast<uint8_t>((lm >> 4) << 6);
      }
    }
    out.d = f32_to_f16(max_scale / 63.f);
    out.dmin = f32_to_f16(max_min / 63.f);
    // Codes against the stored scales; a sub-block whose scale is 0 keeps the fit's codes.
    for (int j = 0; j < 8; ++j) {
      uint8_t sc = 0, m = 0;
      q4_k_unpack(j, out.scales, &sc, &m);
      const float d = f16_to_f32(out.d) * sc;
      if (d == 0) continue;
      const float dm = f16_to_f32(out.dmin) * m;
      for (int i = 0; i < 32; ++i) {
        L[32 * j + i] =
            static_cast<uint8_t>(std::clamp(nearest_int((x[32 * j + i] + dm) / d), 0, 15));
      }
    }
    // Per 64 elements: 32 bytes, sub-block 2k in the low nibbles, 2k + 1 in the high ones.
    for (int j = 0; j < kQKK; j += 64) {
      for (int l = 0; l < 32; ++l) {
        out.qs[j / 2 + l] = static_cast<uint8_t>(L[j + l] | (L[j + l + 32] << 4));
      }
    }
  }
}

void quantize_q6_k(const float* x, BlockQ6_K* y, int64_t blocks) {
  int8_t L[kQKK];
  float scales[16];
  for (int64_t b = 0; b < blocks; ++b, x += kQKK) {
    BlockQ6_K& out = y[b];
    float max_scale = 0;  // the scale of largest magnitude, sign kept (the first one on ties)
    float max_abs_scale = 0;
    for (int ib = 0; ib < 16; ++ib) {
      scales[ib] = fit_q6_k_sub_block(x + 16 * ib, L + 16 * ib);
      const float abs_scale = std::fabs(scales[ib]);
      if (abs_scale > max_abs_scale) {
        max_abs_scale = abs_scale;
        max_scale = scales[ib];
      }
    }
    if (max_abs_scale < kGroupMaxEps) {  // all zero: every byte 0 (d = +0)
      std::memset(&out, 0, sizeof(out));
      continue;
    }
    const float iscale = -128.f / max_scale;
    out.d = f32_to_f16(1 / iscale);
    for (int ib = 0; ib < 16; ++ib) {
      // In [-128, 128] for finite inputs; ggml keeps min(127, .).
      out.scales[ib] = static_cast<int8_t>(std::clamp(nearest_int(iscale * scales[ib]), -128, 127));
    }
    // Codes against the stored scales; a sub-block whose scale is 0 keeps the fit's codes.
    for (int j = 0; j < 16; ++j) {
      const float d = f16_to_f32(out.d) * out.scales[j];
      if (d == 0) continue;
      for (int i = 0; i < 16; ++i) {
        L[16 * j + i] =
            static_cast<int8_t>(std::clamp(nearest_int(x[16 * j + i] / d), -32, 31) + 32);
      }
    }
    // Per 128 elements (layout in quantize.cpp): element l + 32 k puts its low nibble in
    // ql[l + 32 (k & 1)] (low half for k < 2) and its top 2 bits in bits 2k..2k+1 of qh[l].
    for (int h = 0; h < 2; ++h) {
      const int8_t* q = L + 128 * h;
      uint8_t* ql = out.ql + 64 * h;
      uint8_t* qh = out.qh + 32 * h;
      for (int l = 0; l < 32; ++l) {
        ql[l] = static_cast<uint8_t>((q[l] & 0xF) | ((q[l + 64] & 0xF) << 4));
        ql[l + 32] = static_cast<uint8_t>((q[l + 32] & 0xF) | ((q[l + 96] & 0xF) << 4));
        qh[l] = static_cast<uint8_t>((q[l] >> 4) | ((q[l + 32] >> 4) << 2) |
                                     ((q[l + 64] >> 4) << 4) | ((q[l + 96] >> 4) << 6));
      }
    }
  }
}

}  // namespace llmkit::io::detail
