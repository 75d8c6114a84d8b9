#include "llmkit/tensor/dtype.h"

#include <cmath>

#include "llmkit/base/error.h"

namespace llmkit {

size_t dtype_size(DType dtype) {
  switch (dtype) {
    case DType::kF32:
      return 4;
    case DType::kF16:
      return 2;
    case DType::kBF16:
      return 2;
    case DType::kI32:
      return 4;
  }
  return 0;
}

const char* dtype_name(DType dtype) {
  switch (dtype) {
    case DType::kF32:
      return "f32";
    case DType::kF16:
      return "f16";
    case DType::kBF16:
      return "bf16";
    case DType::kI32:
      return "i32";
  }
  return "?";
}

bool is_floating(DType dtype) {
  return dtype != DType::kI32;
}

DType promote_dtypes(DType a, DType b) {
  if (a == b) return a;
  if (a == DType::kI32) return b;
  if (b == DType::kI32) return a;
  return DType::kF32;
}

// binary16 layout: 1 sign, 5 exponent (bias 15), 10 mantissa bits.
float f16_to_f32(uint16_t h) {
  uint32_t sign = static_cast<uint32_t>(h & 0x8000u) << 16;
  uint32_t exp = (h >> 10) & 0x1fu;
  uint32_t mant = h & 0x3ffu;
  uint32_t bits;
  if (exp == 0) {
    if (mant == 0) {
      bits = sign;
    } else {  // subnormal: value = mant * 2^-24
      float v = std::ldexp(static_cast<float>(mant), -24);
      return sign ? -v : v;
    }
  } else if (exp == 31) {
    bits = sign | 0x7f800000u | (mant << 13);
  } else {
    bits = sign | ((exp + 112) << 23) | (mant << 13);
  }
  return bits_f32(bits);
}

uint16_t f32_to_f16(float f) {
  uint32_t u = f32_bits(f);
  uint32_t sign = (u >> 16) & 0x8000u;
  uint32_t abs = u & 0x7fffffffu;
  if (abs > 0x7f800000u) return static_cast<uint16_t>(sign | 0x7e00u);   // NaN
  if (abs >= 0x477ff000u) return static_cast<uint16_t>(sign | 0x7c00u);  // overflow -> inf
  if (abs < 0x38800000u) {  // below the smallest normal (2^-14): subnormal or zero
    // Scale so that one f16 subnormal ulp (2^-24) becomes 1, then round to nearest-even.
    float scaled = bits_f32(abs) * 16777216.0f;  // exact: multiply by 2^24
    auto m = static_cast<uint32_t>(std::nearbyint(scaled));
    return static_cast<uint16_t>(sign | m);
  }
  uint32_t exp = (abs >> 23) - 112;
  uint32_t mant = abs & 0x7fffffu;
  uint32_t h = (exp << 10) | (mant >> 13);
  uint32_t rest = mant & 0x1fffu;
  if (rest > 0x1000u || (rest == 0x1000u && (h & 1u))) ++h;  // carries into exponent correctly
  return static_cast<uint16_t>(sign | h);
}

namespace {
template <typename Load>
void store_all(Load load, void* dst, DType dst_dtype, int64_t n) {
  switch (dst_dtype) {
    case DType::kF32: {
      auto* d = static_cast<float*>(dst);
      for (int64_t i = 0; i < n; ++i) d[i] = load(i);
      break;
    }
    case DType::kF16: {
      auto* d = static_cast<uint16_t*>(dst);
      for (int64_t i = 0; i < n; ++i) d[i] = f32_to_f16(load(i));
      break;
    }
    case DType::kBF16: {
      auto* d = static_cast<uint16_t*>(dst);
      for (int64_t i = 0; i < n; ++i) d[i] = f32_to_bf16(load(i));
      break;
    }
    case DType::kI32: {
      auto* d = static_cast<int32_t*>(dst);
      for (int64_t i = 0; i < n; ++i) d[i] = static_cast<int32_t>(load(i));
      break;
    }
  }
}
}  // namespace

void convert_elements(const void* src, DType src_dtype, void* dst, DType dst_dtype, int64_t n) {
  if (src_dtype == dst_dtype) {
    std::memcpy(dst, src, static_cast<size_t>(n) * dtype_size(src_dtype));
    return;
  }
  if (src_dtype == DType::kI32 && dst_dtype == DType::kF32) {
    const auto* s = static_cast<const int32_t*>(src);
    auto* d = static_cast<float*>(dst);
    for (int64_t i = 0; i < n; ++i) d[i] = static_cast<float>(s[i]);
    return;
  }
  switch (src_dtype) {
    case DType::kF32: {
      const auto* s = static_cast<const float*>(src);
      store_all([s](int64_t i) { return s[i]; }, dst, dst_dtype, n);
      break;
    }
    case DType::kF16: {
      const auto* s = static_cast<const uint16_t*>(src);
      store_all([s](int64_t i) { return f16_to_f32(s[i]); }, dst, dst_dtype, n);
      break;
    }
    case DType::kBF16: {
      const auto* s = static_cast<const uint16_t*>(src);
      store_all([s](int64_t i) { return bf16_to_f32(s[i]); }, dst, dst_dtype, n);
      break;
    }
    case DType::kI32: {
      const auto* s = static_cast<const int32_t*>(src);
      store_all([s](int64_t i) { return static_cast<float>(s[i]); }, dst, dst_dtype, n);
      break;
    }
  }
}

}  // namespace llmkit
