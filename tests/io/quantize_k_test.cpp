// Q4_K / Q6_K quantizers. Checked against the format's decoding grid (ggml-common.h block
// layouts, decoded here from the raw bytes independently of dequantize_row): every element's code
// is a nearest grid point of its sub-block under the stored scales, so the error is at most half a
// step wherever the value lies inside the grid; the largest sub-block scale uses the full 6-bit /
// 8-bit range (d = max scale / 63, resp. / -128); dequantize_row agrees with the hand decoding;
// the RMS error on gaussian data ranks Q6_K < Q4_K < Q4_0 as the bit counts say; and special
// blocks (all zero, one huge value, negative only, tiny values) behave.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <random>
#include <vector>

#include "llmkit/base/error.h"
#include "llmkit/io/quantize.h"
#include "llmkit/tensor/dtype.h"
#include "tests/support/random_floats.h"

namespace llmkit::io {
namespace {

std::vector<uint8_t> quantize(GgmlType type, const std::vector<float>& x) {
  std::vector<uint8_t> out(
      static_cast<size_t>(ggml_row_bytes(type, static_cast<int64_t>(x.size()))));
  quantize_row(type, x.data(), out.data(), static_cast<int64_t>(x.size()));
  return out;
}

std::vector<float> dequantize(GgmlType type, const std::vector<uint8_t>& q, size_t n) {
  std::vector<float> y(n);
  dequantize_row(type, q.data(), y.data(), static_cast<int64_t>(n));
  return y;
}

double rms_error(const std::vector<float>& x, const std::vector<float>& y) {
  double s = 0;
  for (size_t i = 0; i < x.size(); ++i) s += (double(x[i]) - y[i]) * (double(x[i]) - y[i]);
  return std::sqrt(s / static_cast<double>(x.size()));
}

float f16_at(const uint8_t* p) {
  return f16_to_f32(static_cast<uint16_t>(p[0] | p[1] << 8));
}

// One decoded super-block: per element its code, its sub-block's step and offset (value =
// step * code - offset), and the code range.
struct Decoded {
  std::vector<int> code;
  std::vector<float> step, offset;
  std::vector<int> sub_scale;  // the raw 6-bit (Q4_K) or int8 (Q6_K) scale per sub-block
  int code_min = 0, code_max = 0;
};

// Q4_K (144 bytes): d, dmin (f16), scales[12], qs[128]. Sub-block s < 4: scale = scales[s] & 63,
// min = scales[s + 4] & 63; s >= 4: low nibbles of scales[s + 4], top two bits in the top bits of
// scales[s - 4] (scale) and scales[s] (min). Element i = 64 k + 32 h + l: nibble h of qs[32 k + l].
Decoded decode_q4_k(const uint8_t* b) {
  Decoded out;
  const float d = f16_at(b), dmin = f16_at(b + 2);
  const uint8_t* s = b + 4;
  const uint8_t* qs = b + 16;
  for (int i = 0; i < 256; ++i) {
    const int sub = i / 32, k = i / 64, h = (i / 32) % 2, l = i % 32;
    int sc, m;
    if (sub < 4) {
      sc = s[sub] & 63;
      m = s[sub + 4] & 63;
    } else {
      sc = (s[sub + 4] & 15) | (s[sub - 4] >> 6) << 4;
      m = (s[sub + 4] >> 4) | (s[sub] >> 6) << 4;
    }
    if (i % 32 == 0) out.sub_scale.push_back(sc);
    out.code.push_back(h == 0 ? qs[32 * k + l] & 15 : qs[32 * k + l] >> 4);
    out.step.push_back(d * static_cast<float>(sc));
    out.offset.push_back(dmin * static_cast<float>(m));
  }
  out.code_min = 0;
  out.code_max = 15;
  return out;
}

// Q6_K (210 bytes): ql[128], qh[64], scales[16] (int8), d (f16). Element i = 128 h + 32 k + l:
// low nibble in ql[64 h + 32 (k % 2) + l] (low half for k < 2), top two bits at bit 2k of
// qh[32 h + l]; code = q - 32; scale scales[i / 16].
Decoded decode_q6_k(const uint8_t* b) {
  Decoded out;
  const float d = f16_at(b + 208);
  for (int i = 0; i < 256; ++i) {
    const int h = i / 128, k = (i % 128) / 32, l = i % 32;
    const uint8_t lo = b[64 * h + 32 * (k % 2) + l];
    const int q = (k < 2 ? lo & 15 : lo >> 4) | ((b[128 + 32 * h + l] >> (2 * k)) & 3) << 4;
    const int sc = static_cast<int8_t>(b[192 + i / 16]);
    if (i % 16 == 0) out.sub_scale.push_back(sc);
    out.code.push_back(q - 32);
    out.step.push_back(d * static_cast<float>(sc));
    out.offset.push_back(0.0f);
  }
  out.code_min = -32;
  out.code_max = 31;
  return out;
}

Decoded decode(GgmlType type, const uint8_t* block) {
  return type == GgmlType::kQ4_K ? decode_q4_k(block) : decode_q6_k(block);
}

int64_t block_bytes(GgmlType type) {
  return ggml_type_info(type).block_bytes;
}

// For every super-block of x: the hand decoding equals dequantize_row, and each element's code is
// a nearest grid point (no other code of the range is closer than the slack allows), which bounds
// the error by half a step inside the grid. Returns the largest error / step seen inside the grid.
double check_nearest_grid(GgmlType type, const std::vector<float>& x) {
  const std::vector<uint8_t> q = quantize(type, x);
  const std::vector<float> y = dequantize(type, q, x.size());
  double worst = 0;
  for (size_t b = 0; b < x.size() / 256; ++b) {
    const Decoded dec = decode(type, q.data() + b * block_bytes(type));
    for (int i = 0; i < 256; ++i) {
      const size_t at = b * 256 + i;
      const float step = dec.step[i], off = dec.offset[i];
      const float value = step * static_cast<float>(dec.code[i]) - off;
      EXPECT_EQ(y[at], value) << "block " << b << " element " << i;
      if (step == 0.0f) continue;  // the whole sub-block decodes to -offset whatever the codes
      const double err = std::fabs(double(x[at]) - value);
      const double slack = 1e-5 * (std::fabs(x[at]) + std::fabs(step) + off);
      for (int c = dec.code_min; c <= dec.code_max; ++c) {
        const double other = std::fabs(double(x[at]) - (double(step) * c - off));
        if (other + slack < err) {
          ADD_FAILURE() << ggml_type_name(type) << " block " << b << " element " << i << " x "
                        << x[at] << ": code " << dec.code[i] << " gives " << value << " but code "
                        << c << " gives " << double(step) * c - off;
          return worst;
        }
      }
      const double g0 = double(step) * dec.code_min - off, g1 = double(step) * dec.code_max - off;
      if (x[at] >= std::min(g0, g1) && x[at] <= std::max(g0, g1)) {
        EXPECT_LE(err, std::fabs(step) / 2 + slack) << "block " << b << " element " << i;
        worst = std::max(worst, err / std::fabs(step));
      }
    }
  }
  return worst;
}

// The largest sub-block scale of each super-block uses the full range: 63 for Q4_K's 6-bit
// scales, -128 for Q6_K (d = max / -128 keeps the sign of the largest scale).
void check_full_scale_range(GgmlType type, const std::vector<float>& x) {
  const std::vector<uint8_t> q = quantize(type, x);
  for (size_t b = 0; b < x.size() / 256; ++b) {
    const Decoded dec = decode(type, q.data() + b * block_bytes(type));
    int extreme = 0;
    for (int s : dec.sub_scale) extreme = std::abs(s) > std::abs(extreme) ? s : extreme;
    EXPECT_EQ(extreme, type == GgmlType::kQ4_K ? 63 : -128)
        << ggml_type_name(type) << " block " << b;
  }
}

TEST(QuantizeKTest, NearestGridOnGaussianAndSkewedData) {
  for (GgmlType type : {GgmlType::kQ4_K, GgmlType::kQ6_K}) {
    std::vector<float> x = llmkit::test::normal_floats(256 * 16, 7, 0.02f);
    std::vector<float> skew = llmkit::test::normal_floats(256 * 8, 8, 1.0f);
    for (float& v : skew) v = v * v * v + 0.5f;  // heavy tails and a shifted mean
    x.insert(x.end(), skew.begin(), skew.end());
    const double worst = check_nearest_grid(type, x);
    EXPECT_GT(worst, 0.4) << "the half-step bound should be nearly reached";
    check_full_scale_range(type, x);
  }
}

TEST(QuantizeKTest, RmsErrorRanksWithBits) {
  const std::vector<float> x = llmkit::test::normal_floats(256 * 64, 21);
  const double e8 =
      rms_error(x, dequantize(GgmlType::kQ8_0, quantize(GgmlType::kQ8_0, x), x.size()));
  const double e6 =
      rms_error(x, dequantize(GgmlType::kQ6_K, quantize(GgmlType::kQ6_K, x), x.size()));
  const double k4 =
      rms_error(x, dequantize(GgmlType::kQ4_K, quantize(GgmlType::kQ4_K, x), x.size()));
  const double e4 =
      rms_error(x, dequantize(GgmlType::kQ4_0, quantize(GgmlType::kQ4_0, x), x.size()));
  // Q6_K has 4x the levels of Q4_0 over a similar range: its error is far below (uniform-noise
  // model: step / sqrt(12), about 4x smaller); Q4_K's fitted scale and offset beat Q4_0's max-based
  // scale at the same 4 bits; 8 bits beat 6.
  EXPECT_LT(e6, e4 / 3.5) << "q6_K " << e6 << " q4_0 " << e4;
  EXPECT_LT(k4, e4 * 0.9) << "q4_K " << k4 << " q4_0 " << e4;
  EXPECT_LT(e8, e6) << "q8_0 " << e8 << " q6_K " << e6;
  // And in absolute terms, against the step sizes of the formats for sigma = 1 data
  // (max |x| over 16 or 32 gaussians is ~2-3.5): Q6_K step ~ 3 / 32, RMS ~ step / sqrt(12).
  EXPECT_LT(e6, 0.04);
  EXPECT_LT(k4, 0.12);
}

TEST(QuantizeKTest, Deterministic) {
  // Same floats, same bytes; rows are independent, so quantizing 3 blocks at once equals
  // quantizing each block alone.
  const std::vector<float> x = llmkit::test::normal_floats(256 * 3, 5);
  for (GgmlType type : {GgmlType::kQ4_K, GgmlType::kQ6_K}) {
    const std::vector<uint8_t> all = quantize(type, x);
    EXPECT_EQ(all, quantize(type, x));
    std::vector<uint8_t> pieces;
    for (int b = 0; b < 3; ++b) {
      std::vector<float> part(x.begin() + 256 * b, x.begin() + 256 * (b + 1));
      const std::vector<uint8_t> q = quantize(type, part);
      pieces.insert(pieces.end(), q.begin(), q.end());
    }
    EXPECT_EQ(all, pieces) << ggml_type_name(type);
  }
}

TEST(QuantizeKTest, AllZeroBlockIsAllZeroBytes) {
  // ggml writes an all-zero super-block as zero bytes (d = dmin = 0); it decodes to zeros.
  for (GgmlType type : {GgmlType::kQ4_K, GgmlType::kQ6_K}) {
    std::vector<float> x(512, 0.0f);
    for (int i = 256; i < 512; ++i) x[i] = -0.0f;
    const std::vector<uint8_t> q = quantize(type, x);
    for (size_t i = 0; i < q.size(); ++i) ASSERT_EQ(q[i], 0) << ggml_type_name(type) << " " << i;
    for (float v : dequantize(type, q, x.size())) EXPECT_EQ(v, 0.0f);
  }
}

TEST(QuantizeKTest, OneHugeValue) {
  // One value 10^4 times the rest: its sub-block takes the largest scale and it comes back within
  // half a step (step = its scale / the code range); elsewhere the scales round down towards 0 and
  // the nearest-grid property still holds (Q6_K's grid contains 0, so no error exceeds |x|).
  for (GgmlType type : {GgmlType::kQ4_K, GgmlType::kQ6_K}) {
    std::vector<float> x = llmkit::test::normal_floats(256, 3, 0.01f);
    x[77] = 100.0f;
    check_nearest_grid(type, x);
    const std::vector<uint8_t> q = quantize(type, x);
    const std::vector<float> y = dequantize(type, q, x.size());
    const Decoded dec = decode(type, q.data());
    EXPECT_LE(std::fabs(y[77] - 100.0f), std::fabs(dec.step[77]) / 2 + 1e-3f)
        << ggml_type_name(type);
    EXPECT_LE(std::fabs(dec.step[77]), 100.0f / (type == GgmlType::kQ4_K ? 13 : 31))
        << ggml_type_name(type);
    if (type == GgmlType::kQ6_K) {
      for (size_t i = 0; i < x.size(); ++i)
        EXPECT_LE(std::fabs(y[i] - x[i]), std::fabs(x[i]) + 1e-7f) << i;
    }
  }
}

TEST(QuantizeKTest, NegativeOnlyAndPositiveOnlyBlocks) {
  // Q4_K's offset (min) makes a one-signed block use all 16 levels: for a negative-only block the
  // offset is the most negative value (up to the 6-bit rounding of the min), for a positive-only
  // block the min is clamped to 0 (ggml's fit forces min <= 0).
  std::vector<float> neg = llmkit::test::normal_floats(512, 9, 1.0f);
  for (size_t i = 0; i < neg.size(); ++i)
    neg[i] = i < 256 ? -1.0f - std::fabs(neg[i]) : 1.0f + std::fabs(neg[i]);
  for (GgmlType type : {GgmlType::kQ4_K, GgmlType::kQ6_K}) check_nearest_grid(type, neg);
  const std::vector<uint8_t> q = quantize(GgmlType::kQ4_K, neg);
  const std::vector<float> y = dequantize(GgmlType::kQ4_K, q, neg.size());
  for (size_t i = 0; i < 256; ++i) EXPECT_LT(y[i], 0.0f) << i;
  for (size_t i = 256; i < 512; ++i) EXPECT_GE(y[i], 0.0f) << i;
  // The one-signed Q4_K blocks are far more precise than Q4_0 (which spends half its levels on the
  // unused sign).
  const std::vector<float> y40 =
      dequantize(GgmlType::kQ4_0, quantize(GgmlType::kQ4_0, neg), neg.size());
  EXPECT_LT(rms_error(neg, y), rms_error(neg, y40) / 2);
}

TEST(QuantizeKTest, TinyAndMixedMagnitudes) {
  // Values at the bottom of f16 (super-block scales round to f16 subnormals or 0) and sub-blocks
  // spanning many orders of magnitude: decoding stays consistent and finite.
  std::vector<float> x = llmkit::test::normal_floats(512, 13, 1e-6f);
  for (int i = 256; i < 512; ++i) x[i] *= std::pow(10.0f, static_cast<float>((i / 16) % 8));
  for (GgmlType type : {GgmlType::kQ4_K, GgmlType::kQ6_K}) {
    check_nearest_grid(type, x);
    for (float v : dequantize(type, quantize(type, x), x.size())) EXPECT_TRUE(std::isfinite(v));
  }
}

TEST(QuantizeKTest, NonFiniteInputsAreDefined) {
  // ggml leaves these undefined; llmkit must not crash (UBSan checks the float -> int casts).
  std::vector<float> x = llmkit::test::normal_floats(512, 4);
  x[3] = std::nanf("");
  x[300] = INFINITY;
  x[301] = -INFINITY;
  for (GgmlType type : {GgmlType::kQ4_K, GgmlType::kQ6_K}) {
    EXPECT_EQ(dequantize(type, quantize(type, x), x.size()).size(), x.size());
  }
}

TEST(QuantizeKTest, RowLengthMustBeAMultipleOf256) {
  std::vector<float> x(384, 1.0f);
  std::vector<uint8_t> buf(1024);
  EXPECT_THROW(quantize_row(GgmlType::kQ4_K, x.data(), buf.data(), 384), Error);
  EXPECT_THROW(quantize_row(GgmlType::kQ6_K, x.data(), buf.data(), 128), Error);
}

}  // namespace
}  // namespace llmkit::io
