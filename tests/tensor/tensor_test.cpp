#include "llmkit/tensor/tensor.h"

#include <gtest/gtest.h>

#include <cmath>

#include "llmkit/base/context.h"
#include "llmkit/tensor/creation.h"
#include "llmkit/tensor/view.h"

namespace llmkit {
namespace {

TEST(Tensor, EmptyIsZeroFilledAndContiguous) {
  Tensor t = Tensor::empty({2, 3, 4, 5});
  EXPECT_EQ(t.dim(), 4);
  EXPECT_EQ(t.numel(), 120);
  EXPECT_EQ(t.strides(), (Strides{60, 20, 5, 1}));
  EXPECT_TRUE(t.is_contiguous());
  for (float v : t.to_vector()) EXPECT_EQ(v, 0.0f);
}

TEST(Tensor, NegativeDimensionThrows) {
  EXPECT_THROW(Tensor::empty({2, -1}), Error);
}

TEST(Tensor, ArangeAndAt) {
  Tensor t = ops::reshape(arange(0.0, 24.0, 1.0), {2, 3, 4});
  EXPECT_EQ(t.at({1, 2, 3}), 23.0f);
  EXPECT_EQ(t.at({-1, 0, -1}), 15.0f);
  EXPECT_THROW(t.at({2, 0, 0}), Error);
}

TEST(Tensor, TransposeIsAViewWithSwappedStrides) {
  Tensor t = ops::reshape(arange(0.0, 6.0, 1.0), {2, 3});
  Tensor tt = ops::transpose(t, 0, 1);
  EXPECT_EQ(tt.shape(), (Shape{3, 2}));
  EXPECT_FALSE(tt.is_contiguous());
  EXPECT_EQ(tt.storage(), t.storage());
  EXPECT_EQ(tt.to_vector(), (std::vector<float>{0, 3, 1, 4, 2, 5}));
  EXPECT_EQ(ops::contiguous(tt).to_vector(), (std::vector<float>{0, 3, 1, 4, 2, 5}));
}

TEST(Tensor, SliceSelectExpandSqueeze) {
  Tensor t = ops::reshape(arange(0.0, 12.0, 1.0), {3, 4});
  EXPECT_EQ(ops::slice(t, 1, 1, 4, 2).to_vector(), (std::vector<float>{1, 3, 5, 7, 9, 11}));
  EXPECT_EQ(ops::slice(t, 0, -2, 100).to_vector(), (std::vector<float>{4, 5, 6, 7, 8, 9, 10, 11}));
  EXPECT_EQ(ops::select(t, 1, -1).to_vector(), (std::vector<float>{3, 7, 11}));
  Tensor row = ops::slice(t, 0, 0, 1);
  Tensor e = ops::expand(row, {2, 3, 4});
  EXPECT_EQ(e.strides()[0], 0);
  EXPECT_EQ(e.at({1, 2, 3}), 3.0f);
  EXPECT_EQ(ops::squeeze(row, 0).shape(), (Shape{4}));
  EXPECT_EQ(ops::unsqueeze(t, -1).shape(), (Shape{3, 4, 1}));
  EXPECT_THROW(ops::squeeze(t, 0), Error);
  EXPECT_THROW(ops::expand(t, {3, 5}), Error);
}

TEST(Tensor, ReshapeInfersAndCopiesNonContiguous) {
  Tensor t = ops::reshape(arange(0.0, 6.0, 1.0), {2, -1});
  EXPECT_EQ(t.shape(), (Shape{2, 3}));
  Tensor r = ops::reshape(ops::transpose(t, 0, 1), {6});
  EXPECT_EQ(r.to_vector(), (std::vector<float>{0, 3, 1, 4, 2, 5}));
  EXPECT_THROW(ops::view(ops::transpose(t, 0, 1), {6}), Error);
  EXPECT_THROW(ops::reshape(t, {4, -1}), Error);
}

TEST(Tensor, PermuteFourD) {
  Tensor t = ops::reshape(arange(0.0, 120.0, 1.0), {2, 3, 4, 5});
  Tensor p = ops::permute(t, {0, 2, 1, 3});
  EXPECT_EQ(p.shape(), (Shape{2, 4, 3, 5}));
  EXPECT_EQ(p.at({1, 3, 2, 4}), t.at({1, 2, 3, 4}));
  EXPECT_THROW(ops::permute(t, {0, 0, 1, 2}), Error);
}

TEST(Tensor, DtypeRoundTrips) {
  Tensor f = from_vector({1.5f, -2.25f, 65504.0f, 1e-6f}, {4});
  Tensor h = ops::to_dtype(f, DType::kF16);
  Tensor b = ops::to_dtype(f, DType::kBF16);
  std::vector<float> hv = h.to_vector();
  EXPECT_EQ(hv[0], 1.5f);
  EXPECT_EQ(hv[1], -2.25f);
  EXPECT_EQ(hv[2], 65504.0f);
  EXPECT_NEAR(hv[3], 1e-6f, 6e-8f);  // f16 subnormal spacing is 2^-24
  EXPECT_EQ(b.to_vector()[0], 1.5f);
  EXPECT_EQ(ops::to_dtype(f, DType::kI32).to_int_vector(), (std::vector<int32_t>{1, -2, 65504, 0}));
}

// Exhaustive f16 check against an independent decode: every finite half decodes to the value
// m * 2^e computed with ldexp, and re-encoding returns the same bits.
TEST(Tensor, F16ConversionExhaustive) {
  for (uint32_t bits = 0; bits < 0x10000; ++bits) {
    auto h = static_cast<uint16_t>(bits);
    uint32_t exp = (h >> 10) & 31, mant = h & 1023;
    if (exp == 31) continue;
    double mag = exp == 0 ? std::ldexp(mant, -24) : std::ldexp(1024 + mant, int(exp) - 25);
    double expect = (h & 0x8000) ? -mag : mag;
    ASSERT_EQ(static_cast<double>(f16_to_f32(h)), expect) << bits;
    ASSERT_EQ(f32_to_f16(f16_to_f32(h)), h) << bits;
  }
}

TEST(Tensor, RandomStreamIndependentOfThreads) {
  Generator g1(7), g2(7);
  Tensor a = randn({1000, 33}, g1);
  Tensor b;
  {
    Context ctx(2);
    Context::Scope scope(ctx);
    b = randn({1000, 33}, g2);
  }
  EXPECT_EQ(a.to_vector(), b.to_vector());
  EXPECT_EQ(g1.counter(), 33000u);
  double s = 0, s2 = 0;
  for (float v : a.to_vector()) {
    s += v;
    s2 += v * v;
  }
  EXPECT_NEAR(s / 33000, 0.0, 0.03);
  EXPECT_NEAR(s2 / 33000, 1.0, 0.03);
}

TEST(Tensor, PrinterShowsValues) {
  std::string s = ops::reshape(arange(0.0, 4.0, 1.0), {2, 2}).to_string();
  EXPECT_NE(s.find("[[0.0000, 1.0000],\n        [2.0000, 3.0000]]"), std::string::npos) << s;
  std::string big = zeros({100, 100}).to_string();
  EXPECT_NE(big.find("..."), std::string::npos);
  EXPECT_LT(big.size(), 2000u);
}

TEST(Tensor, FromStorageRejectsOutOfBoundsView) {
  auto st = Storage::allocate(16);
  EXPECT_THROW(Tensor::from_storage(st, {5}, {1}, 0, DType::kF32), Error);
  EXPECT_NO_THROW(Tensor::from_storage(st, {2, 2}, {2, 1}, 0, DType::kF32));
}

}  // namespace
}  // namespace llmkit
