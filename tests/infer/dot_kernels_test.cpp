// The SIMD inference kernels against their scalar references (and both against double-precision
// sums written here), on random data of odd sizes.
#include "llmkit/infer/dot_kernels.h"
#include "llmkit/infer/dot_kernels_x86.h"

#include <gtest/gtest.h>
#include <hwy/targets.h>

#include <cmath>
#include <random>
#include <vector>

#include "llmkit/tensor/dtype.h"
#include "tests/support/random_floats.h"

namespace llmkit::infer::kernels {
namespace {

// Relative closeness of two dot products of length n: rounding grows with sqrt(n) * sum |a_i b_i|.
void expect_close_dot(double got, double want, double abs_sum, int64_t n, const char* what) {
  const double tol = 1e-6 * abs_sum * std::sqrt(static_cast<double>(n) + 1.0) + 1e-30;
  EXPECT_NEAR(got, want, tol) << what << " n=" << n;
}

const int64_t kSizes[] = {0, 1, 3, 7, 8, 15, 16, 17, 31, 33, 64, 100, 257, 1000};

TEST(DotKernels, ReportsTarget) {
  EXPECT_STRNE(target_name(), "");
  std::printf("inference kernels dispatch to %s\n", target_name());
}

void check_float_rows() {
  for (int64_t n : kSizes) {
    const int64_t rows = 3;
    std::vector<float> w = llmkit::test::normal_floats(rows * n, 1 + static_cast<uint32_t>(n));
    std::vector<float> x = llmkit::test::normal_floats(n, 100 + static_cast<uint32_t>(n));
    std::vector<uint16_t> h(w.size()), b(w.size());
    for (size_t i = 0; i < w.size(); ++i) {
      h[i] = f32_to_f16(w[i]);
      b[i] = f32_to_bf16(w[i]);
    }
    std::vector<float> simd(rows), ref_out(rows);
    for (int kind = 0; kind < 3; ++kind) {
      if (kind == 0) {
        dot_rows_f32(w.data(), rows, n, x.data(), simd.data());
        ref::dot_rows_f32(w.data(), rows, n, x.data(), ref_out.data());
      } else if (kind == 1) {
        dot_rows_f16(h.data(), rows, n, x.data(), simd.data());
        ref::dot_rows_f16(h.data(), rows, n, x.data(), ref_out.data());
      } else {
        dot_rows_bf16(b.data(), rows, n, x.data(), simd.data());
        ref::dot_rows_bf16(b.data(), rows, n, x.data(), ref_out.data());
      }
      for (int64_t r = 0; r < rows; ++r) {
        double want = 0.0, abs_sum = 0.0;
        for (int64_t i = 0; i < n; ++i) {
          const size_t j = static_cast<size_t>(r * n + i);
          const double wv = kind == 0 ? w[j] : kind == 1 ? f16_to_f32(h[j]) : bf16_to_f32(b[j]);
          want += wv * x[i];
          abs_sum += std::fabs(wv * x[i]);
        }
        const char* what = kind == 0 ? "f32" : kind == 1 ? "f16" : "bf16";
        expect_close_dot(simd[r], want, abs_sum, n, what);
        expect_close_dot(ref_out[r], want, abs_sum, n, what);
      }
    }
  }
}

void check_quantize() {
  for (int64_t n : {32, 64, 96, 320}) {
    std::vector<float> x = llmkit::test::normal_floats(n, 7 + static_cast<uint32_t>(n), 3.0f);
    if (n >= 64) std::fill(x.begin() + 32, x.begin() + 64, 0.0f);  // an all-zero block
    std::vector<io::BlockQ8_0> a(n / 32), b(n / 32);
    quantize_q8_0(x.data(), n, a.data());
    ref::quantize_q8_0(x.data(), n, b.data());
    for (int64_t blk = 0; blk < n / 32; ++blk) {
      EXPECT_EQ(a[blk].d, b[blk].d) << "block " << blk;
      float amax = 0.0f;
      for (int i = 0; i < 32; ++i) amax = std::max(amax, std::fabs(x[blk * 32 + i]));
      const float d = f16_to_f32(b[blk].d);
      EXPECT_NEAR(d, amax / 127.0f, 1e-3 * amax / 127.0f + 1e-30);
      for (int i = 0; i < 32; ++i) {
        EXPECT_EQ(a[blk].qs[i], b[blk].qs[i]) << "block " << blk << " element " << i;
        // The quantised value is within half a step (plus the f16 rounding of d) of x.
        EXPECT_NEAR(d * b[blk].qs[i], x[blk * 32 + i], 0.51 * amax / 127.0f + 2e-3 * amax);
      }
    }
  }
}

// Q8_0 weights from random bytes, so that every int8 value (and -128) occurs.
std::vector<io::BlockQ8_0> random_q8(int64_t n_blocks, uint32_t seed) {
  std::mt19937 gen(seed);
  std::vector<io::BlockQ8_0> v(static_cast<size_t>(n_blocks));
  for (auto& b : v) {
    b.d = f32_to_f16(std::uniform_real_distribution<float>(-0.05f, 0.05f)(gen));
    for (auto& q : b.qs) q = static_cast<int8_t>(gen() & 0xFF);
  }
  return v;
}

std::vector<io::BlockQ4_0> random_q4(int64_t n_blocks, uint32_t seed) {
  std::mt19937 gen(seed);
  std::vector<io::BlockQ4_0> v(static_cast<size_t>(n_blocks));
  for (auto& b : v) {
    b.d = f32_to_f16(std::uniform_real_distribution<float>(-0.05f, 0.05f)(gen));
    for (auto& q : b.qs) q = static_cast<uint8_t>(gen() & 0xFF);
  }
  return v;
}

using DotQ8Fn = void (*)(const io::BlockQ8_0*, int64_t, int64_t, const io::BlockQ8_0*, float*);
using DotQ4Fn = void (*)(const io::BlockQ4_0*, int64_t, int64_t, const io::BlockQ8_0*, float*);

// The quantised dots (the dispatched ones unless given) against the scalar reference and a double
// sum over the dequantised values.
void check_block_dots(DotQ8Fn dot_q8 = dot_rows_q8_0, DotQ4Fn dot_q4 = dot_rows_q4_0) {
  for (int64_t nb : {1, 2, 3, 5, 8, 13, 20, 64, 81}) {
    const int64_t rows = 4;
    std::vector<float> xf = llmkit::test::normal_floats(nb * 32, 11 + static_cast<uint32_t>(nb));
    std::vector<io::BlockQ8_0> x(nb);
    ref::quantize_q8_0(xf.data(), nb * 32, x.data());
    std::vector<io::BlockQ8_0> w8 = random_q8(rows * nb, 3 + static_cast<uint32_t>(nb));
    std::vector<io::BlockQ4_0> w4 = random_q4(rows * nb, 5 + static_cast<uint32_t>(nb));
    std::vector<float> s8(rows), r8(rows), s4(rows), r4(rows);
    dot_q8(w8.data(), rows, nb, x.data(), s8.data());
    ref::dot_rows_q8_0(w8.data(), rows, nb, x.data(), r8.data());
    dot_q4(w4.data(), rows, nb, x.data(), s4.data());
    ref::dot_rows_q4_0(w4.data(), rows, nb, x.data(), r4.data());
    // Independent double sums over the dequantised values.
    std::vector<float> wrow(nb * 32), xrow(nb * 32);
    ref::dequantize_q8_0_row(x.data(), xrow.data(), nb * 32);
    for (int64_t r = 0; r < rows; ++r) {
      for (int kind = 0; kind < 2; ++kind) {
        if (kind == 0) {
          ref::dequantize_q8_0_row(w8.data() + r * nb, wrow.data(), nb * 32);
        } else {
          ref::dequantize_q4_0_row(w4.data() + r * nb, wrow.data(), nb * 32);
        }
        double want = 0.0, abs_sum = 0.0;
        for (int64_t i = 0; i < nb * 32; ++i) {
          want += double(wrow[i]) * xrow[i];
          abs_sum += std::fabs(double(wrow[i]) * xrow[i]);
        }
        const float got_simd = kind == 0 ? s8[r] : s4[r];
        const float got_ref = kind == 0 ? r8[r] : r4[r];
        expect_close_dot(got_simd, want, abs_sum, nb * 32, kind == 0 ? "q8_0" : "q4_0");
        expect_close_dot(got_ref, want, abs_sum, nb * 32, kind == 0 ? "q8_0 ref" : "q4_0 ref");
      }
    }
  }
}

void check_conversions() {
  for (int64_t n : {0, 1, 7, 8, 9, 31, 100, 257}) {
    std::vector<float> f = llmkit::test::normal_floats(n, 21 + static_cast<uint32_t>(n), 100.0f);
    std::vector<uint16_t> h(n), b(n);
    for (int64_t i = 0; i < n; ++i) {
      h[i] = f32_to_f16(f[i]);
      b[i] = f32_to_bf16(f[i]);
    }
    if (n > 2) h[1] = 0x0001;  // the smallest f16 subnormal
    std::vector<float> a(n), r(n);
    f16_to_f32_row(h.data(), a.data(), n);
    ref::f16_to_f32_row(h.data(), r.data(), n);
    EXPECT_EQ(a, r) << "f16 n=" << n;
    for (int64_t i = 0; i < n; ++i) EXPECT_EQ(r[i], f16_to_f32(h[i]));
    bf16_to_f32_row(b.data(), a.data(), n);
    ref::bf16_to_f32_row(b.data(), r.data(), n);
    EXPECT_EQ(a, r) << "bf16 n=" << n;
    for (int64_t i = 0; i < n; ++i) EXPECT_EQ(r[i], bf16_to_f32(b[i]));
  }
  for (int64_t nb : {1, 3, 8}) {
    std::vector<io::BlockQ8_0> q8 = random_q8(nb, 31 + static_cast<uint32_t>(nb));
    std::vector<io::BlockQ4_0> q4 = random_q4(nb, 37 + static_cast<uint32_t>(nb));
    std::vector<float> a(nb * 32), r(nb * 32);
    dequantize_q8_0_row(q8.data(), a.data(), nb * 32);
    ref::dequantize_q8_0_row(q8.data(), r.data(), nb * 32);
    EXPECT_EQ(a, r);
    for (int64_t i = 0; i < nb * 32; ++i) {
      EXPECT_EQ(r[i], f16_to_f32(q8[i / 32].d) * static_cast<float>(q8[i / 32].qs[i % 32]));
    }
    dequantize_q4_0_row(q4.data(), a.data(), nb * 32);
    ref::dequantize_q4_0_row(q4.data(), r.data(), nb * 32);
    EXPECT_EQ(a, r);
    for (int64_t i = 0; i < nb * 32; ++i) {
      const io::BlockQ4_0& blk = q4[i / 32];
      const int j = static_cast<int>(i % 32);
      const int nibble = j < 16 ? (blk.qs[j] & 15) : (blk.qs[j - 16] >> 4);
      EXPECT_EQ(r[i], f16_to_f32(blk.d) * static_cast<float>(nibble - 8));
    }
  }
}

TEST(DotKernels, FloatRowsMatchReferenceAndDouble) {
  check_float_rows();
}
TEST(DotKernels, QuantizeQ8MatchesReferenceExactly) {
  check_quantize();
}
TEST(DotKernels, BlockDotsMatchReferenceAndDouble) {
  check_block_dots();
}
TEST(DotKernels, RowConversionsMatchReferenceExactly) {
  check_conversions();
}

// The hand-written x86 variants this CPU can run, each on its own (the dispatcher uses only the
// best one).
TEST(DotKernels, X86VariantsMatchReferenceAndDouble) {
  std::printf("quantised dots use %s\n", quantized_dot_variant());
  if (x86::has_avx512_vnni()) {
    SCOPED_TRACE("AVX512-VNNI");
    check_block_dots(x86::dot_rows_q8_0_vnni, x86::dot_rows_q4_0_vnni);
  }
  if (x86::has_avx2()) {
    SCOPED_TRACE("AVX2");
    check_block_dots(x86::dot_rows_q8_0_avx2, x86::dot_rows_q4_0_avx2);
  }
}

// The split layout (values and scales apart) gives the block-layout kernel's results bit for bit,
// and both stay within rounding of the scalar reference.
TEST(DotKernels, SplitLayoutMatchesBlockLayout) {
  if (!x86::has_avx512_vnni()) {
    GTEST_SKIP() << "no AVX-512 VNNI on this CPU: the split kernels are never used here";
  }
  for (int64_t nb : {1, 2, 3, 15, 16, 17, 20, 33, 64, 81}) {
    const int64_t rows = 5;
    std::vector<float> xf = llmkit::test::normal_floats(nb * 32, 31 + static_cast<uint32_t>(nb));
    std::vector<io::BlockQ8_0> x(nb);
    ref::quantize_q8_0(xf.data(), nb * 32, x.data());
    const std::vector<io::BlockQ8_0> w8 = random_q8(rows * nb, 41 + static_cast<uint32_t>(nb));
    const std::vector<io::BlockQ4_0> w4 = random_q4(rows * nb, 51 + static_cast<uint32_t>(nb));
    std::vector<int8_t> q8(rows * nb * 32);
    std::vector<uint8_t> q4(rows * nb * 16);
    std::vector<uint16_t> d8(rows * nb), d4(rows * nb);
    for (int64_t b = 0; b < rows * nb; ++b) {
      std::copy(w8[b].qs, w8[b].qs + 32, q8.begin() + b * 32);
      std::copy(w4[b].qs, w4[b].qs + 16, q4.begin() + b * 16);
      d8[b] = w8[b].d;
      d4[b] = w4[b].d;
    }
    std::vector<float> split8(rows), block8(rows), ref8(rows), split4(rows), block4(rows),
        ref4(rows);
    x86::dot_rows_q8_0_split_vnni(q8.data(), d8.data(), rows, nb, x.data(), split8.data());
    x86::dot_rows_q8_0_vnni(w8.data(), rows, nb, x.data(), block8.data());
    ref::dot_rows_q8_0(w8.data(), rows, nb, x.data(), ref8.data());
    x86::dot_rows_q4_0_split_vnni(q4.data(), d4.data(), rows, nb, x.data(), split4.data());
    x86::dot_rows_q4_0_vnni(w4.data(), rows, nb, x.data(), block4.data());
    ref::dot_rows_q4_0(w4.data(), rows, nb, x.data(), ref4.data());
    EXPECT_EQ(split8, block8) << "q8_0, " << nb << " blocks";
    EXPECT_EQ(split4, block4) << "q4_0, " << nb << " blocks";
    for (int64_t r = 0; r < rows; ++r) {
      EXPECT_NEAR(split8[r], ref8[r], 1e-4 * (std::fabs(ref8[r]) + 1.0f)) << nb;
      EXPECT_NEAR(split4[r], ref4[r], 1e-4 * (std::fabs(ref4[r]) + 1.0f)) << nb;
    }
  }
}

// The same checks on every SIMD target this CPU supports (AVX2, SSE4, the portable fallback ...).
TEST(DotKernels, EverySupportedTarget) {
  const std::vector<int64_t> targets = hwy::SupportedAndGeneratedTargets();
  ASSERT_FALSE(targets.empty());
  for (int64_t target : targets) {
    hwy::SetSupportedTargetsForTest(target);
    SCOPED_TRACE(hwy::TargetName(target));
    EXPECT_STREQ(target_name(), hwy::TargetName(target));
    check_float_rows();
    check_quantize();
    check_block_dots(dot_rows_q8_0_portable, dot_rows_q4_0_portable);
    check_conversions();
  }
  hwy::SetSupportedTargetsForTest(0);
}

}  // namespace
}  // namespace llmkit::infer::kernels
