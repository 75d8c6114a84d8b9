// Format constants and helpers shared by the GGUF reader and writer (not part of the public API).
#pragma once

#include <cstdint>

#include "llmkit/io/gguf.h"

namespace llmkit::io::gguf_detail {

constexpr char kMagic[4] = {'G', 'G', 'U', 'F'};
constexpr uint32_t kVersion = 3;            // written; versions 2 and 3 are read
constexpr uint64_t kDefaultAlignment = 32;  // when general.alignment is absent
constexpr const char* kAlignmentKey = "general.alignment";
constexpr uint32_t kMaxDims = 4;        // ggml's GGML_MAX_DIMS
constexpr int kMaxArrayDepth = 8;       // arrays of arrays nested deeper are rejected
constexpr uint64_t kMaxNameBytes = 63;  // ggml's GGML_MAX_NAME - 1 (writer only)

// True for the 13 value type ids of the format.
inline bool is_value_type(uint32_t t) {
  return t <= static_cast<uint32_t>(GgufValueType::kF64);
}

// Bytes of a scalar of type t (0 for string and array).
inline uint64_t scalar_size(GgufValueType t) {
  switch (t) {
    case GgufValueType::kU8:
    case GgufValueType::kI8:
    case GgufValueType::kBool:
      return 1;
    case GgufValueType::kU16:
    case GgufValueType::kI16:
      return 2;
    case GgufValueType::kU32:
    case GgufValueType::kI32:
    case GgufValueType::kF32:
      return 4;
    case GgufValueType::kU64:
    case GgufValueType::kI64:
    case GgufValueType::kF64:
      return 8;
    case GgufValueType::kString:
    case GgufValueType::kArray:
      return 0;
  }
  return 0;
}

// Smallest encoding of one value of type t: a scalar, an empty string (u64 length), an empty
// array (u32 type + u64 count). Bounds element counts read from a file by the bytes left.
inline uint64_t min_encoded_size(GgufValueType t) {
  if (t == GgufValueType::kString) return 8;
  if (t == GgufValueType::kArray) return 12;
  return scalar_size(t);
}

// x rounded up to a multiple of a power of two (no overflow for x below 2^63).
inline uint64_t align_up(uint64_t x, uint64_t alignment) {
  return (x + alignment - 1) & ~(alignment - 1);
}

}  // namespace llmkit::io::gguf_detail
