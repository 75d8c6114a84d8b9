// KvCache in both element types: rows read back as written (f32 exactly, f16 as the f16 rounding
// of each value), layout of heads and positions, sizes, and the type names.
#include "llmkit/infer/kv_cache.h"

#include <gtest/gtest.h>

#include <vector>

#include "llmkit/base/error.h"
#include "llmkit/tensor/dtype.h"
#include "tests/support/random_floats.h"

namespace llmkit::infer {
namespace {

TEST(KvCache, RowsReadBackAsWritten) {
  const int64_t L = 2, H = 3, D = 8, N = 70;  // N > one attention block of 64 positions
  for (KvType type : {KvType::kF32, KvType::kF16}) {
    KvCache cache(L, H, D, N, type);
    EXPECT_EQ(cache.bytes(), 2 * L * H * N * D * (type == KvType::kF16 ? 2 : 4));
    EXPECT_EQ(cache.bytes(), KvCache::bytes_for(L, H, D, N, type));
    const std::vector<float> values = llmkit::test::normal_floats(2 * L * H * N * D, 5, 3.0f);
    auto value = [&](int kind, int64_t l, int64_t h, int64_t p, int64_t i) {
      return values[static_cast<size_t>((((kind * L + l) * H + h) * N + p) * D + i)];
    };
    for (int64_t l = 0; l < L; ++l) {
      for (int64_t h = 0; h < H; ++h) {
        for (int64_t p = 0; p < N; ++p) {
          cache.write_k(l, h, p, &values[static_cast<size_t>(((l * H + h) * N + p) * D)]);
          cache.write_v(l, h, p, &values[static_cast<size_t>((((L + l) * H + h) * N + p) * D)]);
        }
      }
    }
    std::vector<float> buffer(static_cast<size_t>(N * D));
    for (int64_t l = 0; l < L; ++l) {
      for (int64_t h = 0; h < H; ++h) {
        for (int kind = 0; kind < 2; ++kind) {
          const int64_t p0 = 3, n = N - p0;
          const float* rows = kind == 0 ? cache.k_rows(l, h, p0, n, buffer.data())
                                        : cache.v_rows(l, h, p0, n, buffer.data());
          for (int64_t p = 0; p < n; ++p) {
            for (int64_t i = 0; i < D; ++i) {
              const float written = value(kind, l, h, p0 + p, i);
              const float want = type == KvType::kF32 ? written : f16_to_f32(f32_to_f16(written));
              ASSERT_EQ(rows[p * D + i], want) << kv_type_name(type) << " l" << l << " h" << h;
            }
          }
        }
      }
    }
  }
}

TEST(KvCache, TypeNamesAndErrors) {
  EXPECT_EQ(parse_kv_type("f16"), KvType::kF16);
  EXPECT_EQ(parse_kv_type("f32"), KvType::kF32);
  EXPECT_STREQ(kv_type_name(KvType::kF16), "f16");
  try {
    parse_kv_type("q8_0");
    FAIL() << "q8_0 accepted";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("q8_0"), std::string::npos) << e.what();
  }
  EXPECT_THROW(KvCache(0, 1, 1, 1), Error);
}

}  // namespace
}  // namespace llmkit::infer
