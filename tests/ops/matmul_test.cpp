// ops::matmul / ops::linear / ops::sgemm against naive double-precision loops written here.
#include "llmkit/ops/matmul.h"

#include <gtest/gtest.h>

#include <cmath>

#include "llmkit/base/context.h"
#include "llmkit/tensor/creation.h"
#include "llmkit/tensor/view.h"

namespace llmkit {
namespace {

struct Ref {
  Shape shape;
  std::vector<double> v;
};

// Row-major flat index -> multi-index of `shape`.
std::vector<int64_t> unravel(int64_t i, const Shape& shape) {
  std::vector<int64_t> idx(shape.size());
  for (size_t d = shape.size(); d-- > 0;) {
    idx[d] = i % shape[d];
    i /= shape[d];
  }
  return idx;
}

// NumPy matmul semantics, written out independently of the library: 1-D promotion, batch
// broadcasting, double accumulation over the values the tensors hold (after any f16 rounding).
Ref naive_matmul(const Tensor& a, const Tensor& b) {
  Shape sa = a.shape(), sb = b.shape();
  bool av = sa.size() == 1, bv = sb.size() == 1;
  if (av) sa.insert(sa.begin(), 1);
  if (bv) sb.push_back(1);
  std::vector<float> va = a.to_vector(), vb = b.to_vector();
  int64_t m = sa[sa.size() - 2], k = sa.back(), n = sb.back();
  Shape ba(sa.begin(), sa.end() - 2), bb(sb.begin(), sb.end() - 2);
  size_t nd = std::max(ba.size(), bb.size());
  while (ba.size() < nd) ba.insert(ba.begin(), 1);
  while (bb.size() < nd) bb.insert(bb.begin(), 1);
  Shape batch(nd);
  for (size_t d = 0; d < nd; ++d) batch[d] = ba[d] == 1 ? bb[d] : ba[d];
  int64_t nbatch = 1;
  for (int64_t d : batch) nbatch *= d;
  Ref r;
  r.shape = batch;
  if (!av) r.shape.push_back(m);
  if (!bv) r.shape.push_back(n);
  r.v.assign(static_cast<size_t>(nbatch * m * n), 0.0);
  for (int64_t bi = 0; bi < nbatch; ++bi) {
    std::vector<int64_t> idx = unravel(bi, batch);
    int64_t ia = 0, ib = 0;
    for (size_t d = 0; d < nd; ++d) {
      ia = ia * ba[d] + (ba[d] == 1 ? 0 : idx[d]);
      ib = ib * bb[d] + (bb[d] == 1 ? 0 : idx[d]);
    }
    for (int64_t i = 0; i < m; ++i) {
      for (int64_t j = 0; j < n; ++j) {
        double s = 0;
        for (int64_t p = 0; p < k; ++p) {
          s += static_cast<double>(va[(ia * m + i) * k + p]) * vb[(ib * k + p) * n + j];
        }
        r.v[(bi * m + i) * n + j] = s;
      }
    }
  }
  return r;
}

void expect_matches(const Tensor& out, const Ref& ref, double tol = 1e-4) {
  ASSERT_EQ(out.shape(), ref.shape);
  ASSERT_EQ(out.dtype(), DType::kF32);
  std::vector<float> v = out.to_vector();
  ASSERT_EQ(v.size(), ref.v.size());
  for (size_t i = 0; i < v.size(); ++i) {
    ASSERT_NEAR(v[i], ref.v[i], tol * (1.0 + std::fabs(ref.v[i]))) << "element " << i;
  }
}

void check(const Tensor& a, const Tensor& b, double tol = 1e-4) {
  SCOPED_TRACE(describe(a) + " @ " + describe(b));
  expect_matches(ops::matmul(a, b), naive_matmul(a, b), tol);
}

class MatmulTest : public ::testing::Test {
 protected:
  Tensor rnd(const Shape& s) { return randn(s, gen_); }
  Generator gen_{42};
};

TEST_F(MatmulTest, TwoDimensionalShapes) {
  for (auto [m, k, n] : std::vector<std::tuple<int64_t, int64_t, int64_t>>{
           {1, 1, 1}, {3, 5, 4}, {17, 33, 9}, {64, 1, 64}, {1, 64, 1}, {2, 100, 3}}) {
    check(rnd({m, k}), rnd({k, n}));
  }
}

TEST_F(MatmulTest, OneDimensionalOperands) {
  check(rnd({5}), rnd({5, 3}));     // [K] @ [K, N] -> [N]
  check(rnd({4, 5}), rnd({5}));     // [M, K] @ [K] -> [M]
  check(rnd({7}), rnd({7}));        // dot product -> []
  check(rnd({5}), rnd({2, 5, 3}));  // [K] @ [B, K, N] -> [B, N]
  check(rnd({2, 3, 5}), rnd({5}));  // [B, M, K] @ [K] -> [B, M]
  EXPECT_EQ(ops::matmul(rnd({7}), rnd({7})).dim(), 0);
}

TEST_F(MatmulTest, BatchedBroadcast) {
  check(rnd({2, 1, 3, 4}), rnd({5, 4, 2}));  // -> [2, 5, 3, 2]
  check(rnd({3, 4}), rnd({2, 4, 5}));        // left operand shared by the batch
  check(rnd({2, 3, 4}), rnd({4, 5}));        // folds the batch into M
  check(rnd({2, 3, 4}), rnd({1, 4, 5}));     // folds too (b's batch has one entry)
  check(rnd({2, 3, 4}), rnd({1, 1, 4, 5}));  // b's extra leading 1s
  check(rnd({1, 3, 4}), rnd({6, 4, 2}));
  check(rnd({4, 1, 2, 3}), rnd({1, 3, 3, 2}));
}

TEST_F(MatmulTest, TransposedViewsGoStraightToBlas) {
  Tensor at = ops::transpose(rnd({6, 4}), 0, 1);  // [4, 6], strides (1, 4)
  Tensor bt = ops::transpose(rnd({5, 6}), 0, 1);  // [6, 5], strides (1, 6)
  check(at, rnd({6, 5}));
  check(rnd({4, 6}), bt);
  check(at, bt);
  Tensor batch_t = ops::transpose(rnd({3, 6, 4}), 1, 2);  // [3, 4, 6]
  check(batch_t, ops::transpose(rnd({3, 5, 6}), -1, -2));
  check(batch_t, rnd({6, 2}));  // transposed rows cannot fold: loops over the batch
}

TEST_F(MatmulTest, NonContiguousOperands) {
  Tensor big = rnd({5, 8});
  check(ops::slice(big, 1, 0, 3), rnd({3, 4}));     // row stride 8 > 3 columns: in place
  check(ops::slice(big, 1, 0, 8, 2), rnd({4, 2}));  // column stride 2: copied
  check(rnd({2, 5}), ops::slice(big, 1, 1, 7));
  Tensor mbk = rnd({3, 2, 4});
  check(ops::permute(mbk, {1, 0, 2}), rnd({2, 4, 5}));   // batch stride 4, row stride 8
  check(ops::permute(mbk, {1, 0, 2}), rnd({4, 5}));      // cannot fold: per-batch offsets
  check(ops::expand(rnd({1, 4}), {3, 4}), rnd({4, 2}));  // zero row stride: copied
  check(rnd({2, 3}), ops::expand(rnd({3, 1}), {3, 4}));
  Tensor wide = rnd({2, 3, 9});
  check(ops::slice(wide, 2, 2, 6), rnd({4, 5}));  // strided rows that still fold (ld 9)
  check(ops::expand(rnd({1, 3, 4}), {4, 3, 4}), rnd({4, 4, 2}));  // zero batch stride
  check(ops::select(rnd({3, 4, 5}), 1, 2), rnd({5, 2}));
}

TEST_F(MatmulTest, HalfPrecisionInputsComputeInF32) {
  Tensor a = ops::to_dtype(rnd({4, 6}), DType::kF16);
  Tensor b = ops::to_dtype(rnd({6, 3}), DType::kBF16);
  check(a, b);
  check(a, rnd({2, 6, 3}));
  check(ops::transpose(ops::to_dtype(rnd({6, 4}), DType::kF16), 0, 1), rnd({6}));
}

TEST_F(MatmulTest, EmptyAndUnitSizes) {
  Tensor out = ops::matmul(rnd({0, 3}), rnd({3, 4}));
  EXPECT_EQ(out.shape(), (Shape{0, 4}));
  Tensor zero_k = ops::matmul(rnd({3, 0}), rnd({0, 4}));  // empty sum: zeros
  check(rnd({3, 0}), rnd({0, 4}));
  for (float v : zero_k.to_vector()) EXPECT_EQ(v, 0.0f);
  EXPECT_EQ(ops::matmul(rnd({0, 3, 4}), rnd({4, 5})).shape(), (Shape{0, 3, 5}));
  EXPECT_EQ(ops::matmul(rnd({1, 3, 4}), rnd({0, 4, 5})).shape(), (Shape{0, 3, 5}));
  EXPECT_THROW(ops::matmul(rnd({2, 3, 4}), rnd({0, 4, 5})), Error);  // batch 2 vs 0
  EXPECT_EQ(ops::matmul(rnd({3, 4}), rnd({4, 0})).shape(), (Shape{3, 0}));
  check(rnd({1, 1, 1}), rnd({1, 1}));
}

TEST_F(MatmulTest, ShapeMismatchesThrow) {
  EXPECT_THROW(ops::matmul(rnd({2, 3}), rnd({4, 5})), Error);
  EXPECT_THROW(ops::matmul(rnd({3}), rnd({4})), Error);
  EXPECT_THROW(ops::matmul(rnd({2, 3, 4}), rnd({3, 4, 5})), Error);  // batch 2 vs 3
  EXPECT_THROW(ops::matmul(scalar(1.0f), rnd({2, 2})), Error);
  EXPECT_THROW(ops::matmul(from_ints({1, 2}, {1, 2}), rnd({2, 2})), Error);
  try {
    ops::matmul(rnd({2, 3}), rnd({4, 5}));
  } catch (const Error& e) {
    std::string msg = e.what();
    EXPECT_NE(msg.find("[2, 3]"), std::string::npos) << msg;
    EXPECT_NE(msg.find("[4, 5]"), std::string::npos) << msg;
  }
}

TEST_F(MatmulTest, ThreadedContextGivesSameProduct) {
  Tensor a = rnd({2, 40, 30}), b = rnd({30, 20});
  Ref ref = naive_matmul(a, b);
  Context ctx(2);
  Context::Scope scope(ctx);
  expect_matches(ops::matmul(a, b), ref);
}

// linear(x, w, b) = x @ w^T + b, against the same naive product.
Ref naive_linear(const Tensor& x, const Tensor& w, const Tensor& bias) {
  Ref r = naive_matmul(x, ops::transpose(w, 0, 1));
  if (bias.defined()) {
    std::vector<float> vb = bias.to_vector();
    for (size_t i = 0; i < r.v.size(); ++i) r.v[i] += vb[i % vb.size()];
  }
  return r;
}

void check_linear(const Tensor& x, const Tensor& w, const Tensor& bias = Tensor()) {
  SCOPED_TRACE("linear " + describe(x) + " " + describe(w) + " " + describe(bias));
  expect_matches(ops::linear(x, w, bias), naive_linear(x, w, bias));
}

TEST_F(MatmulTest, LinearFoldsLeadingAxes) {
  check_linear(rnd({2, 3, 4}), rnd({5, 4}), rnd({5}));
  check_linear(rnd({2, 3, 4}), rnd({5, 4}));
  check_linear(rnd({4}), rnd({5, 4}), rnd({5}));  // 1-D input -> [N]
  check_linear(rnd({1, 1, 4}), rnd({1, 4}), rnd({1}));
  check_linear(ops::transpose(rnd({4, 3}), 0, 1), rnd({5, 4}));              // transposed x
  check_linear(ops::permute(rnd({3, 2, 4}), {1, 0, 2}), rnd({5, 4}));        // rows do not fold
  check_linear(ops::slice(rnd({2, 3, 7}), 2, 1, 5), rnd({5, 4}), rnd({5}));  // rows fold, ld 7
  check_linear(rnd({3, 4}), ops::transpose(rnd({4, 5}), 0, 1), rnd({5}));    // transposed w
  check_linear(rnd({3, 4}), ops::to_dtype(rnd({5, 4}), DType::kBF16),
               ops::to_dtype(rnd({5}), DType::kF16));
  Tensor k0 = ops::linear(rnd({3, 0}), rnd({2, 0}), from_vector({1.5f, -2.0f}, {2}));
  EXPECT_EQ(k0.to_vector(), (std::vector<float>{1.5f, -2.0f, 1.5f, -2.0f, 1.5f, -2.0f}));
  EXPECT_EQ(ops::linear(rnd({0, 4}), rnd({5, 4})).shape(), (Shape{0, 5}));
}

TEST_F(MatmulTest, LinearRejectsBadShapes) {
  EXPECT_THROW(ops::linear(rnd({3, 4}), rnd({4})), Error);
  EXPECT_THROW(ops::linear(rnd({3, 4}), rnd({5, 3})), Error);
  EXPECT_THROW(ops::linear(rnd({3, 4}), rnd({5, 4}), rnd({4})), Error);
  EXPECT_THROW(ops::linear(scalar(1.0f), rnd({5, 1})), Error);
}

TEST_F(MatmulTest, RawSgemmHonoursAlphaBetaAndLeadingDimensions) {
  // C[2, 3] (ld 4) = 2 * A^T B + 0.5 C, A stored [K=3, M=2] (ld 5), B stored [K, N] (ld 3).
  std::vector<float> a(3 * 5), b(3 * 3), c(2 * 4);
  for (size_t i = 0; i < a.size(); ++i) a[i] = 0.25f * static_cast<float>(i) - 1.0f;
  for (size_t i = 0; i < b.size(); ++i) b[i] = 0.5f * static_cast<float>(i % 5) - 0.75f;
  for (size_t i = 0; i < c.size(); ++i) c[i] = static_cast<float>(i);
  std::vector<float> expect = c;
  for (int i = 0; i < 2; ++i) {
    for (int j = 0; j < 3; ++j) {
      double s = 0;
      for (int p = 0; p < 3; ++p) s += static_cast<double>(a[p * 5 + i]) * b[p * 3 + j];
      expect[i * 4 + j] = static_cast<float>(2.0 * s + 0.5 * c[i * 4 + j]);
    }
  }
  ops::sgemm(true, false, 2, 3, 3, 2.0f, a.data(), 5, b.data(), 3, 0.5f, c.data(), 4);
  for (size_t i = 0; i < c.size(); ++i) EXPECT_NEAR(c[i], expect[i], 1e-5) << i;
  EXPECT_THROW(ops::sgemm(false, false, 2, 3, 3, 1.0f, a.data(), 2, b.data(), 3, 0.0f, c.data(), 4),
               Error);  // lda 2 < k 3
}

}  // namespace
}  // namespace llmkit
