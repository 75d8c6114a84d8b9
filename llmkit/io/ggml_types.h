// ggml tensor types as GGUF files store them: the type ids, block geometry, and the exact block
// layouts of the types llmkit reads and writes (format facts from ggml's ggml-common.h).
//
// Every quantized type stores a row of n elements as n / block_elems blocks (n must be a multiple
// of block_elems); rows are independent, so permuting whole rows of a quantized matrix is a byte
// copy of row_bytes() each. All multi-byte fields are little-endian; `d` fields are IEEE f16.
//
//   Q8_0 (32 elements, 34 bytes): x[i] = d * qs[i]
//   Q4_0 (32 elements, 18 bytes): x[i] = d * ((qs[i] & 15) - 8),
//                                 x[i + 16] = d * ((qs[i] >> 4) - 8) for i < 16
//   Q4_K (256 elements, 144 bytes): 8 sub-blocks of 32, 6-bit scale and min each (packed in
//                                 scales[12]); x = d * sc * q - dmin * m, q a 4-bit value
//   Q6_K (256 elements, 210 bytes): 16 sub-blocks of 16, int8 scale each; 6-bit q from 4 low bits
//                                 (ql) and 2 high bits (qh); x = d * sc * (q - 32)
#pragma once

#include <cstdint>
#include <string>

namespace llmkit::io {

enum class GgmlType : uint32_t {
  kF32 = 0,
  kF16 = 1,
  kQ4_0 = 2,
  kQ4_1 = 3,
  kQ5_0 = 6,
  kQ5_1 = 7,
  kQ8_0 = 8,
  kQ8_1 = 9,
  kQ2_K = 10,
  kQ3_K = 11,
  kQ4_K = 12,
  kQ5_K = 13,
  kQ6_K = 14,
  kQ8_K = 15,
  kBF16 = 30,
};

struct GgmlTypeInfo {
  GgmlType type;
  const char* name;     // "f32", "q4_0", "q6_K" (ggml's names)
  int64_t block_elems;  // elements per block (1 for f32/f16/bf16)
  int64_t block_bytes;  // bytes per block
  bool readable;        // llmkit can dequantize it (f32 f16 bf16 q8_0 q4_0 q4_K q6_K)
  bool writable;        // llmkit can quantize to it (f32 f16 bf16 q8_0 q4_0 q4_K q6_K)
};

// The info of a type id as found in a file, or nullptr for an id ggml does not define (or one
// llmkit does not know the geometry of).
const GgmlTypeInfo* find_ggml_type(uint32_t id);
// Same, but throws Error(kUnsupported) naming the id for an unknown one.
const GgmlTypeInfo& ggml_type_info(GgmlType type);
const char* ggml_type_name(GgmlType type);
// Parses "f32", "f16", "bf16", "q8_0", "q4_0", "q4_k", "q6_k" (case-insensitive) for the writable
// types; throws Error(kInvalidArgument) listing them.
GgmlType parse_writable_ggml_type(const std::string& name);

// Bytes of a row of n elements. Throws Error(kInvalidArgument) when n is not a multiple of the
// type's block size.
int64_t ggml_row_bytes(GgmlType type, int64_t n);

#pragma pack(push, 1)
struct BlockQ8_0 {
  uint16_t d;
  int8_t qs[32];
};
struct BlockQ4_0 {
  uint16_t d;
  uint8_t qs[16];
};
struct BlockQ4_K {
  uint16_t d;
  uint16_t dmin;
  uint8_t scales[12];
  uint8_t qs[128];
};
struct BlockQ6_K {
  uint8_t ql[128];
  uint8_t qh[64];
  int8_t scales[16];
  uint16_t d;
};
#pragma pack(pop)
static_assert(sizeof(BlockQ8_0) == 34 && sizeof(BlockQ4_0) == 18);
static_assert(sizeof(BlockQ4_K) == 144 && sizeof(BlockQ6_K) == 210);

}  // namespace llmkit::io
