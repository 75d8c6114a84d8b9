// Weight-type conversions: Q8_0 / Q4_0 quantizers against the formulas of quantize.h written out
// here, round-trip error bounds, and Q4_K / Q6_K dequantizers against blocks packed by hand from
// chosen scales, mins and codes (the expected values come from the chosen numbers, not from
// decoding the bytes). Also the ggml type table.
#include "llmkit/io/quantize.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <random>
#include <vector>

#include "llmkit/base/error.h"
#include "llmkit/tensor/dtype.h"

namespace llmkit::io {
namespace {

// Random rows of n values with a few special blocks: all zeros, one large negative value among
// small ones, one large positive value, and ties in magnitude.
std::vector<float> sample_row(int64_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  std::vector<float> x(static_cast<size_t>(n));
  for (float& v : x) v = normal(rng) * 0.3f;
  for (int64_t i = 0; i < 32 && n >= 32; ++i) x[i] = 0.0f;  // block 0: all zero
  if (n >= 64) x[32 + 7] = -25.0f;                          // block 1: one large negative
  if (n >= 96) x[64 + 20] = 9.0f;                           // block 2: one large positive
  if (n >= 128) {                                           // block 3: tie, first is negative
    x[96 + 3] = -2.0f;
    x[96 + 9] = 2.0f;
  }
  return x;
}

// Q8_0 per quantize.h (with ggml's x * (1 / d) for x / d): amax = max |x|, d = amax / 127,
// q = round(x / d), 0 when d == 0.
std::vector<uint8_t> expected_q8_0(const std::vector<float>& x) {
  std::vector<uint8_t> out;
  for (size_t b = 0; b < x.size() / 32; ++b) {
    const float* v = &x[b * 32];
    float amax = 0.0f;
    for (int j = 0; j < 32; ++j) amax = std::max(amax, std::fabs(v[j]));
    const float d = amax / 127.0f;
    const float id = d == 0.0f ? 0.0f : 1.0f / d;
    const uint16_t dh = f32_to_f16(d);
    out.push_back(static_cast<uint8_t>(dh & 0xff));
    out.push_back(static_cast<uint8_t>(dh >> 8));
    for (int j = 0; j < 32; ++j) {
      out.push_back(static_cast<uint8_t>(static_cast<int8_t>(std::lround(v[j] * id))));
    }
  }
  return out;
}

// Q4_0 per quantize.h: m = the x of largest |x| (the first one on ties), d = m / -8,
// q = min(15, trunc(x / d + 8.5)); element j in the low nibble of byte j, j + 16 in the high.
std::vector<uint8_t> expected_q4_0(const std::vector<float>& x) {
  std::vector<uint8_t> out;
  for (size_t b = 0; b < x.size() / 32; ++b) {
    const float* v = &x[b * 32];
    float m = 0.0f;
    for (int j = 0; j < 32; ++j) {
      if (std::fabs(v[j]) > std::fabs(m)) m = v[j];
    }
    const float d = m / -8.0f;
    const float id = d == 0.0f ? 0.0f : 1.0f / d;
    const uint16_t dh = f32_to_f16(d);
    out.push_back(static_cast<uint8_t>(dh & 0xff));
    out.push_back(static_cast<uint8_t>(dh >> 8));
    auto code = [&](float value) {
      const float scaled = value * id;
      return std::min(15, static_cast<int>(std::trunc(scaled + 8.5f)));
    };
    for (int j = 0; j < 16; ++j)
      out.push_back(static_cast<uint8_t>(code(v[j]) | code(v[j + 16]) << 4));
  }
  return out;
}

std::vector<uint8_t> quantize(GgmlType type, const std::vector<float>& x) {
  std::vector<uint8_t> out(
      static_cast<size_t>(ggml_row_bytes(type, static_cast<int64_t>(x.size()))));
  quantize_row(type, x.data(), out.data(), static_cast<int64_t>(x.size()));
  return out;
}

std::vector<float> dequantize(GgmlType type, const std::vector<uint8_t>& bytes, int64_t n) {
  std::vector<float> out(static_cast<size_t>(n));
  dequantize_row(type, bytes.data(), out.data(), n);
  return out;
}

float block_d(const std::vector<uint8_t>& bytes, size_t block, size_t block_bytes) {
  return f16_to_f32(
      static_cast<uint16_t>(bytes[block * block_bytes] | bytes[block * block_bytes + 1] << 8));
}

TEST(QuantizeTest, Q8_0MatchesFormula) {
  for (uint32_t seed : {1u, 2u, 3u}) {
    std::vector<float> x = sample_row(32 * 6, seed);
    EXPECT_EQ(quantize(GgmlType::kQ8_0, x), expected_q8_0(x)) << "seed " << seed;
  }
}

TEST(QuantizeTest, Q4_0MatchesFormula) {
  for (uint32_t seed : {1u, 2u, 3u}) {
    std::vector<float> x = sample_row(32 * 6, seed);
    EXPECT_EQ(quantize(GgmlType::kQ4_0, x), expected_q4_0(x)) << "seed " << seed;
  }
}

TEST(QuantizeTest, SpecialBlocks) {
  std::vector<float> x = sample_row(32 * 4, 9);
  std::vector<uint8_t> q8 = quantize(GgmlType::kQ8_0, x);
  // All-zero block: d = 0 and every code 0.
  for (int i = 0; i < 34; ++i) EXPECT_EQ(q8[i], 0) << i;
  // A single large negative value gets code -127 and d = 25 / 127.
  EXPECT_EQ(static_cast<int8_t>(q8[34 + 2 + 7]), -127);
  EXPECT_FLOAT_EQ(block_d(q8, 1, 34), f16_to_f32(f32_to_f16(25.0f / 127.0f)));

  std::vector<uint8_t> q4 = quantize(GgmlType::kQ4_0, x);
  // All-zero block: d = 0 / -8 = -0 (f16 0x8000, as ggml computes it), every code 8 (zero).
  EXPECT_EQ(q4[0], 0x00);
  EXPECT_EQ(q4[1], 0x80);
  for (int i = 2; i < 18; ++i) EXPECT_EQ(q4[i], 0x88) << i;
  // Block 1: m = -25, d = 25 / 8 > 0, so -25 gets code 0 (low nibble of byte 7).
  EXPECT_FLOAT_EQ(block_d(q4, 1, 18), f16_to_f32(f32_to_f16(25.0f / 8.0f)));
  EXPECT_EQ(q4[18 + 2 + 7] & 0x0F, 0);
  // Block 2: m = +9, d = -9/8: 9 maps to code 0 as well (the sign lives in d).
  EXPECT_LT(block_d(q4, 2, 18), 0.0f);
  EXPECT_EQ(q4[36 + 2 + 4] >> 4, 0);  // element 20 = 16 + 4: high nibble of byte 4
  // Block 3: the tie keeps the first value (-2): d = 0.25, and +2 clamps to code 15.
  EXPECT_FLOAT_EQ(block_d(q4, 3, 18), 0.25f);
  EXPECT_EQ(q4[54 + 2 + 3] & 0x0F, 0);
  EXPECT_EQ(q4[54 + 2 + 9] & 0x0F, 15);
}

TEST(QuantizeTest, RoundTripErrorBounds) {
  std::vector<float> x = sample_row(32 * 16, 5);
  std::vector<uint8_t> q8 = quantize(GgmlType::kQ8_0, x);
  std::vector<float> y8 = dequantize(GgmlType::kQ8_0, q8, static_cast<int64_t>(x.size()));
  std::vector<uint8_t> q4 = quantize(GgmlType::kQ4_0, x);
  std::vector<float> y4 = dequantize(GgmlType::kQ4_0, q4, static_cast<int64_t>(x.size()));
  for (size_t i = 0; i < x.size(); ++i) {
    const size_t b = i / 32;
    // d as stored (f16) and as computed (f32): the codes use the exact d, the values the stored
    // one, so the bound is half a step plus |code| times the f16 rounding of d.
    float amax = 0.0f;
    for (int j = 0; j < 32; ++j) amax = std::max(amax, std::fabs(x[b * 32 + j]));
    const double d8 = amax / 127.0, d8h = block_d(q8, b, 34);
    EXPECT_LE(std::fabs(y8[i] - x[i]), d8h / 2 + 127 * std::fabs(d8h - d8) + 1e-6) << i;
    const double d4 = amax / 8.0, d4h = std::fabs(block_d(q4, b, 18));
    EXPECT_LE(std::fabs(y4[i] - x[i]), d4h + 8 * std::fabs(d4h - d4) + 1e-6) << i;
  }
  // With d exactly representable in f16 the bounds are exactly d / 2 and d.
  std::vector<float> z(32);
  std::mt19937 rng(3);
  std::uniform_real_distribution<float> uni(-1.0f, 1.0f);
  for (float& v : z) v = uni(rng);
  z[5] = 127.0f / 64.0f;  // Q8_0: d = 1/64
  std::vector<float> w8 = dequantize(GgmlType::kQ8_0, quantize(GgmlType::kQ8_0, z), 32);
  for (int i = 0; i < 32; ++i) EXPECT_LE(std::fabs(w8[i] - z[i]), 1.0 / 128 + 1e-7) << i;
  z[5] = -2.0f;  // Q4_0: d = 0.25
  std::vector<float> w4 = dequantize(GgmlType::kQ4_0, quantize(GgmlType::kQ4_0, z), 32);
  for (int i = 0; i < 32; ++i) EXPECT_LE(std::fabs(w4[i] - z[i]), 0.25 + 1e-7) << i;
}

TEST(QuantizeTest, DequantizeQ8_0AndQ4_0ByHand) {
  // Q8_0: d = 0.5, codes -128..: x = d * q.
  std::vector<uint8_t> q8(34);
  const uint16_t half = f32_to_f16(0.5f);
  q8[0] = half & 0xff;
  q8[1] = half >> 8;
  for (int i = 0; i < 32; ++i) q8[2 + i] = static_cast<uint8_t>(static_cast<int8_t>(i * 8 - 128));
  std::vector<float> y = dequantize(GgmlType::kQ8_0, q8, 32);
  for (int i = 0; i < 32; ++i) EXPECT_EQ(y[i], 0.5f * static_cast<float>(i * 8 - 128)) << i;
  // Q4_0: byte j = (code of j) | (code of j + 16) << 4, x = d * (code - 8).
  std::vector<uint8_t> q4(18);
  q4[0] = half & 0xff;
  q4[1] = half >> 8;
  for (int j = 0; j < 16; ++j) q4[2 + j] = static_cast<uint8_t>(j | (15 - j) << 4);
  y = dequantize(GgmlType::kQ4_0, q4, 32);
  for (int j = 0; j < 16; ++j) {
    EXPECT_EQ(y[j], 0.5f * static_cast<float>(j - 8)) << j;
    EXPECT_EQ(y[j + 16], 0.5f * static_cast<float>(15 - j - 8)) << j;
  }
}

TEST(QuantizeTest, DequantizeQ4_KHandPacked) {
  // Two super-blocks with chosen d, dmin (powers of two, exact in f16 and in every product),
  // 6-bit scale sc[s] and min m[s] per sub-block of 32, and 4-bit codes q[i]:
  //   x[i] = d * sc[i / 32] * q[i] - dmin * m[i / 32].
  std::mt19937 rng(11);
  std::vector<uint8_t> bytes;
  std::vector<float> expected;
  for (int blk = 0; blk < 2; ++blk) {
    const float d = blk == 0 ? 0.25f : 2.0f, dmin = blk == 0 ? 0.125f : 0.5f;
    uint8_t sc[8], m[8], q[256];
    for (int s = 0; s < 8; ++s) {
      sc[s] = static_cast<uint8_t>(rng() % 64);
      m[s] = static_cast<uint8_t>(rng() % 64);
    }
    sc[7] = 63;  // extreme values exercise the split high bits
    m[4] = 63;
    for (int i = 0; i < 256; ++i) q[i] = static_cast<uint8_t>(rng() % 16);
    // Layout (ggml-common.h block_q4_K): d, dmin (f16), scales[12], qs[128].
    uint8_t block[144] = {};
    const uint16_t dh = f32_to_f16(d), mh = f32_to_f16(dmin);
    std::memcpy(block, &dh, 2);
    std::memcpy(block + 2, &mh, 2);
    uint8_t* s12 = block + 4;
    for (int s = 0; s < 4; ++s) {  // sub-blocks 0..3: low 6 bits of bytes s and s + 4
      s12[s] = sc[s];
      s12[s + 4] = m[s];
    }
    for (int s = 4; s < 8; ++s) {  // 4..7: low nibbles in byte s + 4, top 2 bits above 0..3 / 4..7
      s12[s + 4] = static_cast<uint8_t>((sc[s] & 15) | (m[s] & 15) << 4);
      s12[s - 4] |= static_cast<uint8_t>((sc[s] >> 4) << 6);
      s12[s] |= static_cast<uint8_t>((m[s] >> 4) << 6);
    }
    uint8_t* qs = block + 16;  // sub-blocks 2k and 2k+1 share 32 bytes: low and high nibbles
    for (int i = 0; i < 256; ++i) {
      const int s = i / 32, l = i % 32;
      qs[32 * (s / 2) + l] |= static_cast<uint8_t>(s % 2 == 0 ? q[i] : q[i] << 4);
    }
    bytes.insert(bytes.end(), block, block + 144);
    for (int i = 0; i < 256; ++i) {
      expected.push_back(d * sc[i / 32] * q[i] - dmin * m[i / 32]);
    }
  }
  EXPECT_EQ(dequantize(GgmlType::kQ4_K, bytes, 512), expected);
}

TEST(QuantizeTest, DequantizeQ6_KHandPacked) {
  // x[i] = d * scales[i / 16] * (q[i] - 32), q a 6-bit code. Element i = 128 h + 32 k + l keeps
  // its low nibble in ql[64 h + l + 32 (k % 2)] (low half for k < 2) and its top 2 bits in bits
  // 2k..2k+1 of qh[32 h + l] (ggml-common.h block_q6_K: ql[128], qh[64], scales[16], d).
  std::mt19937 rng(12);
  std::vector<uint8_t> bytes;
  std::vector<float> expected;
  for (int blk = 0; blk < 2; ++blk) {
    const float d = blk == 0 ? 0.0625f : 1.0f;
    int8_t scales[16];
    uint8_t q[256];
    for (int s = 0; s < 16; ++s)
      scales[s] = static_cast<int8_t>(static_cast<int>(rng() % 256) - 128);
    for (int i = 0; i < 256; ++i) q[i] = static_cast<uint8_t>(rng() % 64);
    q[0] = 0;
    q[255] = 63;
    uint8_t block[210] = {};
    uint8_t* ql = block;
    uint8_t* qh = block + 128;
    for (int i = 0; i < 256; ++i) {
      const int h = i / 128, k = (i % 128) / 32, l = i % 32;
      uint8_t& lo = ql[64 * h + l + 32 * (k % 2)];
      lo |= static_cast<uint8_t>(k < 2 ? (q[i] & 15) : (q[i] & 15) << 4);
      qh[32 * h + l] |= static_cast<uint8_t>((q[i] >> 4) << (2 * k));
    }
    std::memcpy(block + 192, scales, 16);
    const uint16_t dh = f32_to_f16(d);
    std::memcpy(block + 208, &dh, 2);
    bytes.insert(bytes.end(), block, block + 210);
    for (int i = 0; i < 256; ++i) expected.push_back(d * scales[i / 16] * (q[i] - 32));
  }
  EXPECT_EQ(dequantize(GgmlType::kQ6_K, bytes, 512), expected);
}

TEST(QuantizeTest, HalfTypesRoundToNearestEven) {
  std::vector<float> x = {1.0f, -0.5f, 65504.0f, 1.0f + 1.0f / 4096, 3.0e-5f, 1.0e9f, -0.0f};
  std::vector<uint8_t> h(x.size() * 2), b(x.size() * 2);
  quantize_row(GgmlType::kF16, x.data(), h.data(), static_cast<int64_t>(x.size()));
  quantize_row(GgmlType::kBF16, x.data(), b.data(), static_cast<int64_t>(x.size()));
  std::vector<float> yh = dequantize(GgmlType::kF16, h, static_cast<int64_t>(x.size()));
  std::vector<float> yb = dequantize(GgmlType::kBF16, b, static_cast<int64_t>(x.size()));
  for (size_t i = 0; i < x.size(); ++i) {
    EXPECT_EQ(h[2 * i] | h[2 * i + 1] << 8, f32_to_f16(x[i])) << i;
    EXPECT_EQ(b[2 * i] | b[2 * i + 1] << 8, f32_to_bf16(x[i])) << i;
    EXPECT_EQ(yh[i], f16_to_f32(f32_to_f16(x[i]))) << i;
    EXPECT_EQ(yb[i], bf16_to_f32(f32_to_bf16(x[i]))) << i;
  }
  EXPECT_EQ(f32_to_f16(1.0f + 1.0f / 4096), f32_to_f16(1.0f));  // a tie rounds to even
}

TEST(QuantizeTest, NonFiniteInputsAreDefined) {
  // ggml leaves these undefined; llmkit must not crash (UBSan checks the float -> int casts).
  std::vector<float> x(64, 0.5f);
  x[3] = std::nanf("");
  x[40] = INFINITY;
  x[41] = -INFINITY;
  for (GgmlType t : {GgmlType::kQ8_0, GgmlType::kQ4_0}) {
    std::vector<uint8_t> q = quantize(t, x);
    std::vector<float> y = dequantize(t, q, 64);
    EXPECT_EQ(y.size(), 64u);
  }
}

TEST(QuantizeTest, Errors) {
  std::vector<float> x(48, 1.0f);
  std::vector<uint8_t> buf(1024);
  try {
    quantize_row(GgmlType::kQ8_0, x.data(), buf.data(), 48);
    ADD_FAILURE() << "expected an error";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kInvalidArgument);
    EXPECT_NE(std::string(e.what()).find("block size 32"), std::string::npos) << e.what();
  }
  EXPECT_THROW(quantize_row(GgmlType::kQ5_K, x.data(), buf.data(), 256), Error);
  try {
    dequantize_row(GgmlType::kQ5_K, buf.data(), x.data(), 256);
    ADD_FAILURE() << "expected an error";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kUnsupported);
    EXPECT_NE(std::string(e.what()).find("q5_K"), std::string::npos) << e.what();
  }
  EXPECT_THROW(dequantize_row(GgmlType::kQ6_K, buf.data(), x.data(), 100), Error);
}

TEST(GgmlTypesTest, Table) {
  struct Want {
    GgmlType type;
    const char* name;
    int64_t elems, bytes;
  };
  // Block geometry from ggml-common.h.
  for (const Want& w :
       {Want{GgmlType::kF32, "f32", 1, 4}, Want{GgmlType::kF16, "f16", 1, 2},
        Want{GgmlType::kBF16, "bf16", 1, 2}, Want{GgmlType::kQ8_0, "q8_0", 32, 34},
        Want{GgmlType::kQ4_0, "q4_0", 32, 18}, Want{GgmlType::kQ4_1, "q4_1", 32, 20},
        Want{GgmlType::kQ5_0, "q5_0", 32, 22}, Want{GgmlType::kQ5_1, "q5_1", 32, 24},
        Want{GgmlType::kQ8_1, "q8_1", 32, 36}, Want{GgmlType::kQ2_K, "q2_K", 256, 84},
        Want{GgmlType::kQ3_K, "q3_K", 256, 110}, Want{GgmlType::kQ4_K, "q4_K", 256, 144},
        Want{GgmlType::kQ5_K, "q5_K", 256, 176}, Want{GgmlType::kQ6_K, "q6_K", 256, 210},
        Want{GgmlType::kQ8_K, "q8_K", 256, 292}}) {
    const GgmlTypeInfo* info = find_ggml_type(static_cast<uint32_t>(w.type));
    ASSERT_NE(info, nullptr) << w.name;
    EXPECT_STREQ(info->name, w.name);
    EXPECT_STREQ(ggml_type_name(w.type), w.name);
    EXPECT_EQ(info->block_elems, w.elems) << w.name;
    EXPECT_EQ(info->block_bytes, w.bytes) << w.name;
    EXPECT_EQ(ggml_row_bytes(w.type, w.elems * 3), w.bytes * 3) << w.name;
  }
  EXPECT_EQ(find_ggml_type(4), nullptr);  // removed from ggml
  EXPECT_EQ(find_ggml_type(1000), nullptr);
  EXPECT_THROW(ggml_type_info(static_cast<GgmlType>(1000)), Error);
  EXPECT_THROW(ggml_row_bytes(GgmlType::kQ4_0, 33), Error);
  EXPECT_EQ(parse_writable_ggml_type("Q8_0"), GgmlType::kQ8_0);
  EXPECT_EQ(parse_writable_ggml_type("bf16"), GgmlType::kBF16);
  EXPECT_EQ(parse_writable_ggml_type("q4_k"), GgmlType::kQ4_K);
  EXPECT_EQ(parse_writable_ggml_type("Q6_K"), GgmlType::kQ6_K);
  try {
    parse_writable_ggml_type("q5_k");
    ADD_FAILURE() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("q4_0"), std::string::npos) << e.what();
  }
  int readable = 0, writable = 0;
  for (uint32_t id = 0; id < 64; ++id) {
    if (const GgmlTypeInfo* info = find_ggml_type(id)) {
      readable += info->readable;
      writable += info->writable;
    }
  }
  EXPECT_EQ(readable, 7);
  EXPECT_EQ(writable, 7);
}

}  // namespace
}  // namespace llmkit::io
