// ops::rope against a double-precision rotation written here; its inverse against the transpose
// (gradient of the double forward by central differences).
#include <gtest/gtest.h>

#include <cmath>

#include "fused_reference.h"
#include "llmkit/ops/fused.h"
#include "llmkit/tensor/view.h"

namespace llmkit::ops {
namespace {
using testing::expect_close;
using testing::numeric_grad;
using testing::random_tensor;
using testing::to_doubles;

// x [B, T, H, D] flat row-major; pairs (i, i + D/2) rotate by pos[t] * theta^(-2i/D) * sign.
std::vector<double> ref_rope(const std::vector<double>& x, const Shape& s,
                             const std::vector<int32_t>& pos, double theta, double sign) {
  const int64_t t_n = s[1], h_n = s[2], d_n = s[3], half = d_n / 2;
  std::vector<double> y(x.size());
  for (int64_t b = 0; b < s[0]; ++b) {
    for (int64_t t = 0; t < t_n; ++t) {
      for (int64_t h = 0; h < h_n; ++h) {
        const int64_t o = ((b * t_n + t) * h_n + h) * d_n;
        for (int64_t i = 0; i < half; ++i) {
          const double a = sign * pos[t] * std::pow(theta, -2.0 * i / d_n);
          y[o + i] = x[o + i] * std::cos(a) - x[o + i + half] * std::sin(a);
          y[o + i + half] = x[o + i + half] * std::cos(a) + x[o + i] * std::sin(a);
        }
      }
    }
  }
  return y;
}

TEST(Rope, MatchesReference) {
  const Shape s{2, 5, 3, 8};
  Tensor x = random_tensor(s, 1);
  std::vector<int32_t> pos{0, 1, 2, 7, 100};
  Tensor y = rope(x, from_ints(pos, {5}), 10000.0f);
  ASSERT_EQ(y.shape(), s);
  expect_close(y, ref_rope(to_doubles(x), s, pos, 10000.0, 1.0), 1e-5, 1e-5, "y");
  // Position 0 is the identity.
  for (int64_t i = 0; i < 8; ++i) EXPECT_EQ(y.at({1, 0, 2, i}), x.at({1, 0, 2, i}));
}

TEST(Rope, LargePositionsKeepTheirAngles) {
  const Shape s{1, 3, 1, 4};
  Tensor x = random_tensor(s, 2);
  std::vector<int32_t> pos{8191, 100000, 1234567};
  Tensor y = rope(x, from_ints(pos, {3}), 500000.0f);
  expect_close(y, ref_rope(to_doubles(x), s, pos, 500000.0, 1.0), 2e-5, 1e-5, "y");
}

TEST(Rope, InverseIsTheBackward) {
  const Shape s{1, 3, 2, 6};
  Tensor x = random_tensor(s, 3);
  std::vector<int32_t> pos{3, 4, 9};
  Tensor p = from_ints(pos, {3});
  Tensor dy = random_tensor(s, 4);
  Tensor dx = rope(dy, p, 100.0f, /*inverse=*/true);
  auto f = [&](const std::vector<std::vector<double>>& in) {
    return ref_rope(in[0], s, pos, 100.0, 1.0);
  };
  expect_close(dx, numeric_grad(f, {to_doubles(x)}, 0, to_doubles(dy)), 1e-5, 1e-5, "dx");
  // And it undoes the forward rotation.
  expect_close(rope(rope(x, p, 100.0f), p, 100.0f, true), to_doubles(x), 1e-5, 1e-5, "round trip");
}

TEST(Rope, StridedAndBf16Inputs) {
  // x as a [B, T, H, D] view of a [B, H, T, D] tensor, and with the head dim itself strided.
  Tensor bhtd = random_tensor({2, 3, 4, 6}, 5);
  Tensor x = transpose(bhtd, 1, 2);  // [2, 4, 3, 6]
  ASSERT_FALSE(x.is_contiguous());
  std::vector<int32_t> pos{5, 6, 7, 8};
  Tensor p = from_ints(pos, {4});
  expect_close(rope(x, p, 10000.0f), ref_rope(to_doubles(x), x.shape(), pos, 10000.0, 1.0), 1e-5,
               1e-5, "strided");
  Tensor xd = permute(random_tensor({2, 6, 4, 3}, 6), {0, 2, 3, 1});  // D has stride 36
  expect_close(rope(xd, p, 10000.0f), ref_rope(to_doubles(xd), xd.shape(), pos, 10000.0, 1.0), 1e-5,
               1e-5, "strided head dim");
  Tensor xb = to_dtype(random_tensor({1, 4, 2, 4}, 7), DType::kBF16);
  expect_close(rope(xb, p, 10000.0f), ref_rope(to_doubles(xb), xb.shape(), pos, 10000.0, 1.0), 1e-5,
               1e-5, "bf16");
  // Positions given as a strided view.
  Tensor pos_view = slice(from_ints({5, 0, 6, 0, 7, 0, 8, 0}, {8}), 0, 0, 8, 2);
  EXPECT_EQ(rope(x, pos_view, 10000.0f).to_vector(), rope(x, p, 10000.0f).to_vector());
}

TEST(Rope, BadInputsThrow) {
  Tensor p = from_ints({0, 1}, {2});
  EXPECT_THROW(rope(random_tensor({1, 2, 1, 5}, 1), p, 10000.0f), Error);          // odd D
  EXPECT_THROW(rope(random_tensor({2, 1, 4}, 1), p, 10000.0f), Error);             // 3-D
  EXPECT_THROW(rope(random_tensor({1, 3, 1, 4}, 1), p, 10000.0f), Error);          // T mismatch
  EXPECT_THROW(rope(random_tensor({1, 2, 1, 4}, 1), ones({2}), 10000.0f), Error);  // f32 positions
  EXPECT_THROW(rope(random_tensor({1, 2, 1, 4}, 1), p, 0.0f), Error);
  try {
    rope(random_tensor({1, 2, 1, 5}, 1), p, 10000.0f);
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("even"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace llmkit::ops
