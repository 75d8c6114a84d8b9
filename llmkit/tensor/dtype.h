// Element types and scalar conversions.
//
// f16 is IEEE binary16, bf16 is the top half of an IEEE binary32. Conversions to the 16-bit types
// round to nearest-even; NaN stays NaN. Quantized block types are added by the inference layer.
#pragma once

#include <cstdint>
#include <cstring>
#include <string>

namespace llmkit {

enum class DType : uint8_t { kF32, kF16, kBF16, kI32 };

size_t dtype_size(DType dtype);
const char* dtype_name(DType dtype);  // "f32", "f16", "bf16", "i32"
bool is_floating(DType dtype);

// The dtype two operands are computed in (NumPy-like promotion: f32 wins; f16 with bf16 -> f32;
// i32 with any float -> that float).
DType promote_dtypes(DType a, DType b);

inline uint32_t f32_bits(float f) {
  uint32_t u;
  std::memcpy(&u, &f, 4);
  return u;
}
inline float bits_f32(uint32_t u) {
  float f;
  std::memcpy(&f, &u, 4);
  return f;
}

inline float bf16_to_f32(uint16_t h) {
  return bits_f32(static_cast<uint32_t>(h) << 16);
}
inline uint16_t f32_to_bf16(float f) {
  uint32_t u = f32_bits(f);
  if ((u & 0x7fffffffu) > 0x7f800000u) return static_cast<uint16_t>((u >> 16) | 0x40);  // NaN
  u += 0x7fffu + ((u >> 16) & 1u);
  return static_cast<uint16_t>(u >> 16);
}

float f16_to_f32(uint16_t h);
uint16_t f32_to_f16(float f);

// Converts n elements between any two dtypes (i32 <-> float rounds toward zero like a C cast).
void convert_elements(const void* src, DType src_dtype, void* dst, DType dst_dtype, int64_t n);

}  // namespace llmkit
