// Highway implementations of dot_kernels.h. This file is compiled once per SIMD target
// (foreach_target.h re-includes it); the HWY_ONCE part holds the dispatchers and the scalar
// references.
//
// Integer block dots: int8 values are widened to int16 and multiplied pairwise into int32 lanes
// (ReorderWidenMulAccumulate, pmaddwd on x86); products are at most 127 * 128, so the int32 sums
// of a 32-element block are exact. Each block's lane sums are converted to f32 and scaled by
// d_w * d_x into a vector accumulator, reduced once per row.
#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "llmkit/infer/dot_kernels.cpp"
#include "hwy/foreach_target.h"  // IWYU pragma: keep
// clang-format off
#include "hwy/highway.h"
// clang-format on

#include <algorithm>
#include <cmath>

#include "llmkit/infer/dot_kernels.h"
#include "llmkit/infer/dot_kernels_x86.h"
#include "llmkit/io/quantize.h"
#include "llmkit/tensor/dtype.h"

HWY_BEFORE_NAMESPACE();
namespace llmkit::infer::kernels {
namespace HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

constexpr int64_t kBlock = 32;

HWY_INLINE float DotF32(const float* w, const float* x, int64_t n) {
  const hn::ScalableTag<float> d;
  const int64_t N = static_cast<int64_t>(hn::Lanes(d));
  auto s0 = hn::Zero(d), s1 = hn::Zero(d), s2 = hn::Zero(d), s3 = hn::Zero(d);
  int64_t i = 0;
  for (; i + 4 * N <= n; i += 4 * N) {
    s0 = hn::MulAdd(hn::LoadU(d, w + i), hn::LoadU(d, x + i), s0);
    s1 = hn::MulAdd(hn::LoadU(d, w + i + N), hn::LoadU(d, x + i + N), s1);
    s2 = hn::MulAdd(hn::LoadU(d, w + i + 2 * N), hn::LoadU(d, x + i + 2 * N), s2);
    s3 = hn::MulAdd(hn::LoadU(d, w + i + 3 * N), hn::LoadU(d, x + i + 3 * N), s3);
  }
  for (; i + N <= n; i += N) s0 = hn::MulAdd(hn::LoadU(d, w + i), hn::LoadU(d, x + i), s0);
  s0 = hn::Add(hn::Add(s0, s1), hn::Add(s2, s3));
  float total = hn::GetLane(hn::SumOfLanes(d, s0));
  for (; i < n; ++i) total += w[i] * x[i];
  return total;
}

HWY_INLINE float DotF16(const uint16_t* w, const float* x, int64_t n) {
  const hn::ScalableTag<float> d;
  const hn::Rebind<hwy::float16_t, decltype(d)> dh;
  const int64_t N = static_cast<int64_t>(hn::Lanes(d));
  const auto* h = reinterpret_cast<const hwy::float16_t*>(w);
  auto s0 = hn::Zero(d), s1 = hn::Zero(d);
  int64_t i = 0;
  for (; i + 2 * N <= n; i += 2 * N) {
    s0 = hn::MulAdd(hn::PromoteTo(d, hn::LoadU(dh, h + i)), hn::LoadU(d, x + i), s0);
    s1 = hn::MulAdd(hn::PromoteTo(d, hn::LoadU(dh, h + i + N)), hn::LoadU(d, x + i + N), s1);
  }
  for (; i + N <= n; i += N) {
    s0 = hn::MulAdd(hn::PromoteTo(d, hn::LoadU(dh, h + i)), hn::LoadU(d, x + i), s0);
  }
  float total = hn::GetLane(hn::SumOfLanes(d, hn::Add(s0, s1)));
  for (; i < n; ++i) total += f16_to_f32(w[i]) * x[i];
  return total;
}

// bf16 -> f32 is a 16-bit left shift of the bit pattern.
template <class D, class DU16>
HWY_INLINE hn::Vec<D> LoadBf16(D d, DU16 du16, const uint16_t* p) {
  const hn::Rebind<uint32_t, D> du32;
  return hn::BitCast(d, hn::ShiftLeft<16>(hn::PromoteTo(du32, hn::LoadU(du16, p))));
}

HWY_INLINE float DotBf16(const uint16_t* w, const float* x, int64_t n) {
  const hn::ScalableTag<float> d;
  const hn::Rebind<uint16_t, decltype(d)> du16;
  const int64_t N = static_cast<int64_t>(hn::Lanes(d));
  auto s0 = hn::Zero(d), s1 = hn::Zero(d);
  int64_t i = 0;
  for (; i + 2 * N <= n; i += 2 * N) {
    s0 = hn::MulAdd(LoadBf16(d, du16, w + i), hn::LoadU(d, x + i), s0);
    s1 = hn::MulAdd(LoadBf16(d, du16, w + i + N), hn::LoadU(d, x + i + N), s1);
  }
  for (; i + N <= n; i += N) s0 = hn::MulAdd(LoadBf16(d, du16, w + i), hn::LoadU(d, x + i), s0);
  float total = hn::GetLane(hn::SumOfLanes(d, hn::Add(s0, s1)));
  for (; i < n; ++i) total += bf16_to_f32(w[i]) * x[i];
  return total;
}

// Tags of the integer dots: at most 16 int16 lanes, so that a 32-element block is a whole number
// of vectors on every target.
using D16 = hn::CappedTag<int16_t, 16>;
using D32 = hn::Repartition<int32_t, D16>;
using DF = hn::Rebind<float, D32>;

HWY_INLINE float DotQ8(const io::BlockQ8_0* w, const io::BlockQ8_0* x, int64_t n_blocks) {
  const D16 d16;
  const D32 d32;
  const DF df;
  const hn::Rebind<int8_t, D16> d8;
  const int64_t N16 = static_cast<int64_t>(hn::Lanes(d16));
  auto acc = hn::Zero(df);
  for (int64_t b = 0; b < n_blocks; ++b) {
    auto s0 = hn::Zero(d32), s1 = hn::Zero(d32);
    for (int64_t j = 0; j < kBlock; j += N16) {
      const auto a = hn::PromoteTo(d16, hn::LoadU(d8, w[b].qs + j));
      const auto c = hn::PromoteTo(d16, hn::LoadU(d8, x[b].qs + j));
      s0 = hn::ReorderWidenMulAccumulate(d32, a, c, s0, s1);
    }
    const float scale = f16_to_f32(w[b].d) * f16_to_f32(x[b].d);
    acc =
        hn::MulAdd(hn::ConvertTo(df, hn::RearrangeToOddPlusEven(s0, s1)), hn::Set(df, scale), acc);
  }
  return hn::GetLane(hn::SumOfLanes(df, acc));
}

// Q4_0 block: byte i holds element i (low nibble) and element i + 16 (high nibble), each minus 8.
HWY_INLINE float DotQ4(const io::BlockQ4_0* w, const io::BlockQ8_0* x, int64_t n_blocks) {
  const D16 d16;
  const D32 d32;
  const DF df;
  const hn::Rebind<int8_t, D16> d8;
  const hn::Rebind<uint8_t, D16> du8;
  const int64_t N16 = static_cast<int64_t>(hn::Lanes(d16));
  const auto mask = hn::Set(du8, uint8_t{0x0F});
  const auto eight = hn::Set(d16, int16_t{8});
  auto acc = hn::Zero(df);
  for (int64_t b = 0; b < n_blocks; ++b) {
    auto s0 = hn::Zero(d32), s1 = hn::Zero(d32);
    for (int64_t j = 0; j < kBlock / 2; j += N16) {
      const auto bytes = hn::LoadU(du8, w[b].qs + j);
      const auto lo = hn::Sub(hn::PromoteTo(d16, hn::And(bytes, mask)), eight);
      const auto hi = hn::Sub(hn::PromoteTo(d16, hn::ShiftRight<4>(bytes)), eight);
      s0 = hn::ReorderWidenMulAccumulate(d32, lo, hn::PromoteTo(d16, hn::LoadU(d8, x[b].qs + j)),
                                         s0, s1);
      s0 = hn::ReorderWidenMulAccumulate(
          d32, hi, hn::PromoteTo(d16, hn::LoadU(d8, x[b].qs + kBlock / 2 + j)), s0, s1);
    }
    const float scale = f16_to_f32(w[b].d) * f16_to_f32(x[b].d);
    acc =
        hn::MulAdd(hn::ConvertTo(df, hn::RearrangeToOddPlusEven(s0, s1)), hn::Set(df, scale), acc);
  }
  return hn::GetLane(hn::SumOfLanes(df, acc));
}

void DotRowsF32Impl(const float* w, int64_t n_rows, int64_t n, const float* x, float* out) {
  for (int64_t r = 0; r < n_rows; ++r) out[r] = DotF32(w + r * n, x, n);
}
void DotRowsF16Impl(const uint16_t* w, int64_t n_rows, int64_t n, const float* x, float* out) {
  for (int64_t r = 0; r < n_rows; ++r) out[r] = DotF16(w + r * n, x, n);
}
void DotRowsBf16Impl(const uint16_t* w, int64_t n_rows, int64_t n, const float* x, float* out) {
  for (int64_t r = 0; r < n_rows; ++r) out[r] = DotBf16(w + r * n, x, n);
}
void DotRowsQ8Impl(const io::BlockQ8_0* w, int64_t n_rows, int64_t n_blocks, const io::BlockQ8_0* x,
                   float* out) {
  for (int64_t r = 0; r < n_rows; ++r) out[r] = DotQ8(w + r * n_blocks, x, n_blocks);
}
void DotRowsQ4Impl(const io::BlockQ4_0* w, int64_t n_rows, int64_t n_blocks, const io::BlockQ8_0* x,
                   float* out) {
  for (int64_t r = 0; r < n_rows; ++r) out[r] = DotQ4(w + r * n_blocks, x, n_blocks);
}

void QuantizeQ8Impl(const float* x, int64_t n, io::BlockQ8_0* out) {
  const hn::CappedTag<float, 16> df;
  const hn::Rebind<int32_t, decltype(df)> di32;
  const hn::Rebind<int8_t, decltype(df)> di8;
  const int64_t N = static_cast<int64_t>(hn::Lanes(df));
  for (int64_t b = 0; b < n / kBlock; ++b) {
    const float* xb = x + b * kBlock;
    auto m = hn::Zero(df);
    for (int64_t j = 0; j < kBlock; j += N) m = hn::Max(m, hn::Abs(hn::LoadU(df, xb + j)));
    const float amax = hn::GetLane(hn::MaxOfLanes(df, m));
    const float d = amax / 127.0f;
    const float id = d != 0.0f ? 1.0f / d : 0.0f;
    out[b].d = f32_to_f16(d);
    const auto vid = hn::Set(df, id);
    for (int64_t j = 0; j < kBlock; j += N) {
      const auto q = hn::NearestInt(hn::Mul(hn::LoadU(df, xb + j), vid));
      hn::StoreU(hn::DemoteTo(di8, hn::Min(hn::Max(q, hn::Set(di32, -127)), hn::Set(di32, 127))),
                 di8, out[b].qs + j);
    }
  }
}

void F16RowImpl(const uint16_t* src, float* dst, int64_t n) {
  const hn::ScalableTag<float> d;
  const hn::Rebind<hwy::float16_t, decltype(d)> dh;
  const int64_t N = static_cast<int64_t>(hn::Lanes(d));
  const auto* h = reinterpret_cast<const hwy::float16_t*>(src);
  int64_t i = 0;
  for (; i + N <= n; i += N) hn::StoreU(hn::PromoteTo(d, hn::LoadU(dh, h + i)), d, dst + i);
  for (; i < n; ++i) dst[i] = f16_to_f32(src[i]);
}

void Bf16RowImpl(const uint16_t* src, float* dst, int64_t n) {
  const hn::ScalableTag<float> d;
  const hn::Rebind<uint16_t, decltype(d)> du16;
  const int64_t N = static_cast<int64_t>(hn::Lanes(d));
  int64_t i = 0;
  for (; i + N <= n; i += N) hn::StoreU(LoadBf16(d, du16, src + i), d, dst + i);
  for (; i < n; ++i) dst[i] = bf16_to_f32(src[i]);
}

void DequantQ8Impl(const io::BlockQ8_0* src, float* dst, int64_t n) {
  const hn::CappedTag<float, 16> df;
  const hn::Rebind<int32_t, decltype(df)> di32;
  const hn::Rebind<int8_t, decltype(df)> di8;
  const int64_t N = static_cast<int64_t>(hn::Lanes(df));
  for (int64_t b = 0; b < n / kBlock; ++b) {
    const auto d = hn::Set(df, f16_to_f32(src[b].d));
    for (int64_t j = 0; j < kBlock; j += N) {
      const auto q = hn::ConvertTo(df, hn::PromoteTo(di32, hn::LoadU(di8, src[b].qs + j)));
      hn::StoreU(hn::Mul(d, q), df, dst + b * kBlock + j);
    }
  }
}

void DequantQ4Impl(const io::BlockQ4_0* src, float* dst, int64_t n) {
  const hn::CappedTag<float, 16> df;
  const hn::Rebind<int32_t, decltype(df)> di32;
  const hn::Rebind<uint8_t, decltype(df)> du8;
  const int64_t N = static_cast<int64_t>(hn::Lanes(df));
  const auto mask = hn::Set(du8, uint8_t{0x0F});
  const auto eight = hn::Set(di32, 8);
  for (int64_t b = 0; b < n / kBlock; ++b) {
    const auto d = hn::Set(df, f16_to_f32(src[b].d));
    float* out = dst + b * kBlock;
    for (int64_t j = 0; j < kBlock / 2; j += N) {
      const auto bytes = hn::LoadU(du8, src[b].qs + j);
      const auto lo = hn::Sub(hn::PromoteTo(di32, hn::And(bytes, mask)), eight);
      const auto hi = hn::Sub(hn::PromoteTo(di32, hn::ShiftRight<4>(bytes)), eight);
      hn::StoreU(hn::Mul(d, hn::ConvertTo(df, lo)), df, out + j);
      hn::StoreU(hn::Mul(d, hn::ConvertTo(df, hi)), df, out + kBlock / 2 + j);
    }
  }
}

const char* TargetNameImpl() {
  return hwy::TargetName(HWY_TARGET);
}

}  // namespace HWY_NAMESPACE
}  // namespace llmkit::infer::kernels
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace llmkit::infer::kernels {

HWY_EXPORT(DotRowsF32Impl);
HWY_EXPORT(DotRowsF16Impl);
HWY_EXPORT(DotRowsBf16Impl);
HWY_EXPORT(DotRowsQ8Impl);
HWY_EXPORT(DotRowsQ4Impl);
HWY_EXPORT(QuantizeQ8Impl);
HWY_EXPORT(F16RowImpl);
HWY_EXPORT(Bf16RowImpl);
HWY_EXPORT(DequantQ8Impl);
HWY_EXPORT(DequantQ4Impl);
HWY_EXPORT(TargetNameImpl);

void dot_rows_f32(const float* w, int64_t n_rows, int64_t n, const float* x, float* out) {
  HWY_DYNAMIC_DISPATCH(DotRowsF32Impl)(w, n_rows, n, x, out);
}
void dot_rows_f16(const uint16_t* w, int64_t n_rows, int64_t n, const float* x, float* out) {
  HWY_DYNAMIC_DISPATCH(DotRowsF16Impl)(w, n_rows, n, x, out);
}
void dot_rows_bf16(const uint16_t* w, int64_t n_rows, int64_t n, const float* x, float* out) {
  HWY_DYNAMIC_DISPATCH(DotRowsBf16Impl)(w, n_rows, n, x, out);
}
void dot_rows_q8_0(const io::BlockQ8_0* w, int64_t n_rows, int64_t n_blocks, const io::BlockQ8_0* x,
                   float* out) {
  if (x86::has_avx512_vnni()) return x86::dot_rows_q8_0_vnni(w, n_rows, n_blocks, x, out);
  if (x86::has_avx2()) return x86::dot_rows_q8_0_avx2(w, n_rows, n_blocks, x, out);
  HWY_DYNAMIC_DISPATCH(DotRowsQ8Impl)(w, n_rows, n_blocks, x, out);
}
void dot_rows_q4_0(const io::BlockQ4_0* w, int64_t n_rows, int64_t n_blocks, const io::BlockQ8_0* x,
                   float* out) {
  if (x86::has_avx512_vnni()) return x86::dot_rows_q4_0_vnni(w, n_rows, n_blocks, x, out);
  if (x86::has_avx2()) return x86::dot_rows_q4_0_avx2(w, n_rows, n_blocks, x, out);
  HWY_DYNAMIC_DISPATCH(DotRowsQ4Impl)(w, n_rows, n_blocks, x, out);
}
void dot_rows_q8_0_portable(const io::BlockQ8_0* w, int64_t n_rows, int64_t n_blocks,
                            const io::BlockQ8_0* x, float* out) {
  HWY_DYNAMIC_DISPATCH(DotRowsQ8Impl)(w, n_rows, n_blocks, x, out);
}
void dot_rows_q4_0_portable(const io::BlockQ4_0* w, int64_t n_rows, int64_t n_blocks,
                            const io::BlockQ8_0* x, float* out) {
  HWY_DYNAMIC_DISPATCH(DotRowsQ4Impl)(w, n_rows, n_blocks, x, out);
}
const char* quantized_dot_variant() {
  if (x86::has_avx512_vnni()) return "AVX512-VNNI";
  if (x86::has_avx2()) return "AVX2";
  return target_name();
}
void quantize_q8_0(const float* x, int64_t n, io::BlockQ8_0* out) {
  HWY_DYNAMIC_DISPATCH(QuantizeQ8Impl)(x, n, out);
}
void f16_to_f32_row(const uint16_t* src, float* dst, int64_t n) {
  HWY_DYNAMIC_DISPATCH(F16RowImpl)(src, dst, n);
}
void bf16_to_f32_row(const uint16_t* src, float* dst, int64_t n) {
  HWY_DYNAMIC_DISPATCH(Bf16RowImpl)(src, dst, n);
}
void dequantize_q8_0_row(const io::BlockQ8_0* src, float* dst, int64_t n) {
  HWY_DYNAMIC_DISPATCH(DequantQ8Impl)(src, dst, n);
}
void dequantize_q4_0_row(const io::BlockQ4_0* src, float* dst, int64_t n) {
  HWY_DYNAMIC_DISPATCH(DequantQ4Impl)(src, dst, n);
}
const char* target_name() {
  return HWY_DYNAMIC_DISPATCH(TargetNameImpl)();
}

namespace ref {

constexpr int64_t kBlock = 32;

void dot_rows_f32(const float* w, int64_t n_rows, int64_t n, const float* x, float* out) {
  for (int64_t r = 0; r < n_rows; ++r) {
    float s = 0.0f;
    for (int64_t i = 0; i < n; ++i) s += w[r * n + i] * x[i];
    out[r] = s;
  }
}

void dot_rows_f16(const uint16_t* w, int64_t n_rows, int64_t n, const float* x, float* out) {
  for (int64_t r = 0; r < n_rows; ++r) {
    float s = 0.0f;
    for (int64_t i = 0; i < n; ++i) s += f16_to_f32(w[r * n + i]) * x[i];
    out[r] = s;
  }
}

void dot_rows_bf16(const uint16_t* w, int64_t n_rows, int64_t n, const float* x, float* out) {
  for (int64_t r = 0; r < n_rows; ++r) {
    float s = 0.0f;
    for (int64_t i = 0; i < n; ++i) s += bf16_to_f32(w[r * n + i]) * x[i];
    out[r] = s;
  }
}

void dot_rows_q8_0(const io::BlockQ8_0* w, int64_t n_rows, int64_t n_blocks, const io::BlockQ8_0* x,
                   float* out) {
  for (int64_t r = 0; r < n_rows; ++r) {
    float s = 0.0f;
    for (int64_t b = 0; b < n_blocks; ++b) {
      const io::BlockQ8_0& wb = w[r * n_blocks + b];
      int32_t sum = 0;
      for (int64_t i = 0; i < kBlock; ++i) sum += int32_t{wb.qs[i]} * int32_t{x[b].qs[i]};
      s += static_cast<float>(sum) * (f16_to_f32(wb.d) * f16_to_f32(x[b].d));
    }
    out[r] = s;
  }
}

void dot_rows_q4_0(const io::BlockQ4_0* w, int64_t n_rows, int64_t n_blocks, const io::BlockQ8_0* x,
                   float* out) {
  for (int64_t r = 0; r < n_rows; ++r) {
    float s = 0.0f;
    for (int64_t b = 0; b < n_blocks; ++b) {
      const io::BlockQ4_0& wb = w[r * n_blocks + b];
      int32_t sum = 0;
      for (int64_t i = 0; i < kBlock / 2; ++i) {
        sum += (int32_t{wb.qs[i] & 15} - 8) * int32_t{x[b].qs[i]};
        sum += (int32_t{wb.qs[i] >> 4} - 8) * int32_t{x[b].qs[i + kBlock / 2]};
      }
      s += static_cast<float>(sum) * (f16_to_f32(wb.d) * f16_to_f32(x[b].d));
    }
    out[r] = s;
  }
}

void quantize_q8_0(const float* x, int64_t n, io::BlockQ8_0* out) {
  for (int64_t b = 0; b < n / kBlock; ++b) {
    const float* xb = x + b * kBlock;
    float amax = 0.0f;
    for (int64_t i = 0; i < kBlock; ++i) amax = std::max(amax, std::fabs(xb[i]));
    const float d = amax / 127.0f;
    const float id = d != 0.0f ? 1.0f / d : 0.0f;
    out[b].d = f32_to_f16(d);
    for (int64_t i = 0; i < kBlock; ++i) {
      const float q = std::nearbyint(xb[i] * id);
      out[b].qs[i] = static_cast<int8_t>(std::clamp(q, -127.0f, 127.0f));
    }
  }
}

// The row conversions are io::dequantize_row, the file format's own definition.
void f16_to_f32_row(const uint16_t* src, float* dst, int64_t n) {
  io::dequantize_row(io::GgmlType::kF16, src, dst, n);
}

void bf16_to_f32_row(const uint16_t* src, float* dst, int64_t n) {
  io::dequantize_row(io::GgmlType::kBF16, src, dst, n);
}

void dequantize_q8_0_row(const io::BlockQ8_0* src, float* dst, int64_t n) {
  io::dequantize_row(io::GgmlType::kQ8_0, src, dst, n);
}

void dequantize_q4_0_row(const io::BlockQ4_0* src, float* dst, int64_t n) {
  io::dequantize_row(io::GgmlType::kQ4_0, src, dst, n);
}

}  // namespace ref
}  // namespace llmkit::infer::kernels
#endif  // HWY_ONCE
