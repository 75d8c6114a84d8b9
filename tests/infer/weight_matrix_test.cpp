// WeightMatrix products against double-precision references written here, for every supported
// weight type, odd shapes, strided batches and several thread counts.
#include "llmkit/infer/weight_matrix.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <random>
#include <vector>

#include "llmkit/base/context.h"
#include "llmkit/base/error.h"
#include "llmkit/infer/dot_kernels.h"
#include "llmkit/infer/dot_kernels_x86.h"
#include "llmkit/io/quantize.h"
#include "tests/support/random_floats.h"

namespace llmkit::infer {
namespace {

using io::GgmlType;

// The matrix's values as the kernels see them (after conversion), via io::dequantize_row.
std::vector<float> dequantized(const WeightMatrix& w) {
  std::vector<float> out(static_cast<size_t>(w.rows() * w.cols()));
  for (int64_t r = 0; r < w.rows(); ++r) {
    io::dequantize_row(w.type(), static_cast<const uint8_t*>(w.data()) + r * w.row_bytes(),
                       out.data() + r * w.cols(), w.cols());
  }
  return out;
}

struct Shape2 {
  int64_t rows, cols;
};

const GgmlType kTypes[] = {GgmlType::kF32, GgmlType::kF16, GgmlType::kBF16, GgmlType::kQ8_0,
                           GgmlType::kQ4_0};

bool is_block(GgmlType t) {
  return t == GgmlType::kQ8_0 || t == GgmlType::kQ4_0;
}

std::vector<Shape2> shapes_for(GgmlType t) {
  if (is_block(t)) return {{1, 32}, {7, 64}, {33, 96}, {300, 160}, {19, 576}};
  return {{1, 1}, {7, 17}, {33, 45}, {300, 128}};
}

TEST(WeightMatrix, FromF32StoresTheQuantizedBytes) {
  const std::vector<float> v = llmkit::test::normal_floats(4 * 64, 1);
  for (GgmlType t : kTypes) {
    WeightMatrix w = WeightMatrix::from_f32(v.data(), 4, 64, t);
    EXPECT_EQ(w.rows(), 4);
    EXPECT_EQ(w.cols(), 64);
    EXPECT_EQ(w.row_bytes(), io::ggml_row_bytes(t, 64));
    std::vector<uint8_t> want(static_cast<size_t>(w.n_bytes()));
    for (int64_t r = 0; r < 4; ++r) {
      io::quantize_row(t, v.data() + r * 64, want.data() + r * w.row_bytes(), 64);
    }
    EXPECT_EQ(0, std::memcmp(want.data(), w.data(), want.size())) << io::ggml_type_name(t);
    // row() returns the dequantized row.
    std::vector<float> row(64), all = dequantized(w);
    w.row(2, row.data());
    EXPECT_EQ(row, std::vector<float>(all.begin() + 128, all.begin() + 192));
  }
}

TEST(WeightMatrix, MatvecMatchesDoubleReference) {
  for (GgmlType t : kTypes) {
    for (const Shape2& s : shapes_for(t)) {
      const std::vector<float> v = llmkit::test::normal_floats(s.rows * s.cols, 2);
      const std::vector<float> x = llmkit::test::normal_floats(s.cols, 3);
      const WeightMatrix w = WeightMatrix::from_f32(v.data(), s.rows, s.cols, t);
      const std::vector<float> wf = dequantized(w);
      // The quantised kernels see x rounded to Q8_0 (that error is the point of checking
      // against the unrounded x separately, with a looser bound, below).
      std::vector<float> xs = x;
      if (is_block(t)) {
        std::vector<io::BlockQ8_0> xq(s.cols / 32);
        kernels::ref::quantize_q8_0(x.data(), s.cols, xq.data());
        kernels::ref::dequantize_q8_0_row(xq.data(), xs.data(), s.cols);
      }
      for (int threads : {1, 3}) {
        Context ctx(threads);
        Context::Scope scope(ctx);
        MatmulScratch scratch;
        std::vector<float> y(s.rows, -1.0f);
        w.matvec(x.data(), y.data(), scratch);
        for (int64_t r = 0; r < s.rows; ++r) {
          double want = 0.0, exact = 0.0, mag = 0.0;
          for (int64_t i = 0; i < s.cols; ++i) {
            want += double(wf[r * s.cols + i]) * xs[i];
            exact += double(wf[r * s.cols + i]) * x[i];
            mag += std::fabs(double(wf[r * s.cols + i]) * x[i]);
          }
          EXPECT_NEAR(y[r], want, 1e-5 * mag + 1e-6)
              << io::ggml_type_name(t) << " [" << s.rows << ", " << s.cols << "] row " << r;
          // Q8_0 rounding of x moves each product by at most |w| * d_x / 2 (~0.4 % of max |x|).
          EXPECT_NEAR(y[r], exact, (is_block(t) ? 1e-2 : 1e-5) * mag + 1e-6);
        }
      }
    }
  }
}

TEST(WeightMatrix, MatmulMatchesDoubleReference) {
  for (GgmlType t : kTypes) {
    for (const Shape2& s : shapes_for(t)) {
      for (int64_t n : {2, 5}) {
        const int64_t ldx = s.cols + 3, ldy = s.rows + 2;
        const std::vector<float> v = llmkit::test::normal_floats(s.rows * s.cols, 4);
        const std::vector<float> x = llmkit::test::normal_floats(n * ldx, 5);
        const WeightMatrix w = WeightMatrix::from_f32(v.data(), s.rows, s.cols, t);
        const std::vector<float> wf = dequantized(w);
        for (int threads : {1, 2, 4}) {
          Context ctx(threads);
          Context::Scope scope(ctx);
          MatmulScratch scratch;
          std::vector<float> y(static_cast<size_t>(n * ldy), -7.0f);
          w.matmul(x.data(), n, ldx, y.data(), ldy, scratch);
          for (int64_t i = 0; i < n; ++i) {
            for (int64_t r = 0; r < s.rows; ++r) {
              double want = 0.0, mag = 0.0;
              for (int64_t c = 0; c < s.cols; ++c) {
                want += double(wf[r * s.cols + c]) * x[i * ldx + c];
                mag += std::fabs(double(wf[r * s.cols + c]) * x[i * ldx + c]);
              }
              EXPECT_NEAR(y[i * ldy + r], want, 1e-5 * mag + 1e-6)
                  << io::ggml_type_name(t) << " threads " << threads << " row " << i << "," << r;
            }
            // Padding columns of Y are untouched.
            for (int64_t r = s.rows; r < ldy; ++r) EXPECT_EQ(y[i * ldy + r], -7.0f);
          }
        }
      }
    }
  }
}

TEST(WeightMatrix, ScratchReservationCoversProducts) {
  const std::vector<float> v = llmkit::test::normal_floats(300 * 160, 6);
  const WeightMatrix w = WeightMatrix::from_f32(v.data(), 300, 160, GgmlType::kQ4_0);
  MatmulScratch scratch;
  scratch.reserve_for(w, 2);
  const int64_t reserved = scratch.bytes();
  EXPECT_EQ(reserved, w.scratch_bytes(2));
  EXPECT_GT(w.input_blocks(), 0);
  Context ctx(2);
  Context::Scope scope(ctx);
  const std::vector<float> x = llmkit::test::normal_floats(3 * 160, 7);
  std::vector<float> y(3 * 300);
  w.matmul(x.data(), 3, 160, y.data(), 300, scratch);
  w.matvec(x.data(), y.data(), scratch);
  EXPECT_EQ(scratch.bytes(), reserved);  // nothing grew
}

// A group (one quantisation of x, one loop over the stacked rows) gives each matrix exactly what
// its own matvec gives, whatever the mix of types and however the rows fall into thread chunks.
TEST(WeightMatrix, MatvecGroupEqualsSeparateMatvecs) {
  const int64_t cols = 96;
  const std::vector<std::pair<GgmlType, int64_t>> parts = {
      {GgmlType::kQ8_0, 5}, {GgmlType::kF32, 3}, {GgmlType::kQ4_0, 70}, {GgmlType::kF16, 33}};
  std::vector<WeightMatrix> ws;
  for (size_t i = 0; i < parts.size(); ++i) {
    const std::vector<float> v =
        llmkit::test::normal_floats(parts[i].second * cols, 10 + static_cast<uint32_t>(i));
    ws.push_back(WeightMatrix::from_f32(v.data(), parts[i].second, cols, parts[i].first));
  }
  const std::vector<float> x = llmkit::test::normal_floats(cols, 20);
  for (int threads : {1, 2, 3}) {
    Context ctx(threads);
    Context::Scope scope(ctx);
    MatmulScratch scratch;
    std::vector<std::vector<float>> grouped, separate;
    std::vector<const WeightMatrix*> pointers;
    std::vector<float*> outs;
    for (const WeightMatrix& w : ws) {
      grouped.emplace_back(w.rows(), -1.0f);
      separate.emplace_back(w.rows(), -2.0f);
    }
    for (size_t i = 0; i < ws.size(); ++i) {
      pointers.push_back(&ws[i]);
      outs.push_back(grouped[i].data());
      ws[i].matvec(x.data(), separate[i].data(), scratch);
    }
    WeightMatrix::matvec_group(pointers, x.data(), outs, scratch);
    for (size_t i = 0; i < ws.size(); ++i) {
      EXPECT_EQ(grouped[i], separate[i])
          << io::ggml_type_name(parts[i].first) << ", " << threads << " threads";
    }
  }
  const std::vector<float> v(4 * 64, 1.0f);
  const WeightMatrix narrow = WeightMatrix::from_f32(v.data(), 4, 64);
  const WeightMatrix* mixed[] = {&ws[0], &narrow};
  std::vector<float> a(5), b(4);
  float* const mixed_out[] = {a.data(), b.data()};
  MatmulScratch scratch;
  EXPECT_THROW(WeightMatrix::matvec_group(mixed, x.data(), mixed_out, scratch), Error);
}

// The split layout changes nothing observable: products and rows equal the block layout's bit for
// bit (on CPUs without the split kernels split_blocks() is the identity, and this still holds).
TEST(WeightMatrix, SplitLayoutGivesIdenticalResults) {
  for (GgmlType t : {GgmlType::kQ8_0, GgmlType::kQ4_0, GgmlType::kF16}) {
    for (const Shape2& s : shapes_for(t)) {
      const std::vector<float> v = llmkit::test::normal_floats(s.rows * s.cols, 30);
      const WeightMatrix w = WeightMatrix::from_f32(v.data(), s.rows, s.cols, t);
      const WeightMatrix split = w.split_blocks();
      EXPECT_EQ(split.is_split(), is_block(t) && kernels::x86::has_avx512_vnni());
      EXPECT_EQ(split.n_bytes(), w.n_bytes());
      const int64_t n = 3;
      const std::vector<float> x = llmkit::test::normal_floats(n * s.cols, 31);
      for (int threads : {1, 2}) {
        Context ctx(threads);
        Context::Scope scope(ctx);
        MatmulScratch scratch;
        std::vector<float> a(s.rows), b(s.rows);
        w.matvec(x.data(), a.data(), scratch);
        split.matvec(x.data(), b.data(), scratch);
        EXPECT_EQ(a, b) << io::ggml_type_name(t) << " [" << s.rows << ", " << s.cols << "]";
        std::vector<float> ya(n * s.rows), yb(n * s.rows);
        w.matmul(x.data(), n, s.cols, ya.data(), s.rows, scratch);
        split.matmul(x.data(), n, s.cols, yb.data(), s.rows, scratch);
        EXPECT_EQ(ya, yb) << io::ggml_type_name(t);
      }
      std::vector<float> ra(s.cols), rb(s.cols);
      w.row(s.rows - 1, ra.data());
      split.row(s.rows - 1, rb.data());
      EXPECT_EQ(ra, rb) << io::ggml_type_name(t);
    }
  }
}

// matvec_rows (several activations at once; the multi-activation split kernels where the CPU has
// them) gives every row exactly what matvec gives for that activation alone.
TEST(WeightMatrix, MatvecRowsEqualsMatvecOfEachRow) {
  for (GgmlType t :
       {GgmlType::kF32, GgmlType::kF16, GgmlType::kBF16, GgmlType::kQ8_0, GgmlType::kQ4_0}) {
    for (const Shape2& s : shapes_for(t)) {
      const std::vector<float> v = llmkit::test::normal_floats(s.rows * s.cols, 40);
      const WeightMatrix plain = WeightMatrix::from_f32(v.data(), s.rows, s.cols, t);
      for (const WeightMatrix& w : {plain, plain.split_blocks()}) {
        for (int64_t n : {1, 2, 3, 5, 8}) {
          const std::vector<float> x = llmkit::test::normal_floats(n * s.cols, 41 + n);
          for (int threads : {1, 2}) {
            Context ctx(threads);
            Context::Scope scope(ctx);
            MatmulScratch scratch;
            std::vector<float> got(n * s.rows), want(n * s.rows);
            w.matvec_rows(x.data(), n, got.data(), scratch);
            for (int64_t i = 0; i < n; ++i) {
              w.matvec(x.data() + i * s.cols, want.data() + i * s.rows, scratch);
            }
            EXPECT_EQ(got, want) << io::ggml_type_name(t) << (w.is_split() ? " split" : "") << " ["
                                 << s.rows << ", " << s.cols << "] n " << n;
          }
        }
      }
    }
  }
}

TEST(WeightMatrix, RejectsBadInput) {
  const std::vector<float> v(64 * 3, 1.0f);
  try {
    WeightMatrix(GgmlType::kQ4_K, 1, 256, v.data(), nullptr);
    FAIL() << "Q4_K accepted";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kUnsupported);
    EXPECT_NE(std::string(e.what()).find("q4_K"), std::string::npos) << e.what();
  }
  EXPECT_THROW(WeightMatrix::from_f32(v.data(), 2, 48, GgmlType::kQ8_0), Error);
  EXPECT_THROW(WeightMatrix(GgmlType::kF32, 2, 3, nullptr, nullptr), Error);
  const WeightMatrix w = WeightMatrix::from_f32(v.data(), 3, 64);
  std::vector<float> row(64);
  try {
    w.row(3, row.data());
    FAIL() << "row 3 of 3 accepted";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kOutOfRange);
  }
  EXPECT_THROW(w.row(-1, row.data()), Error);
  MatmulScratch scratch;
  std::vector<float> y(6);
  EXPECT_THROW(w.matmul(v.data(), 2, 63, y.data(), 3, scratch), Error);  // ldx < cols
}

}  // namespace
}  // namespace llmkit::infer
