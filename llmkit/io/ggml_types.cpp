#include "llmkit/io/ggml_types.h"

#include <cctype>
#include <limits>

#include "llmkit/base/error.h"

namespace llmkit::io {
namespace {

constexpr GgmlType id(uint32_t v) {
  return static_cast<GgmlType>(v);
}

// Every type id ggml defines (ggml.h's enum ggml_type) with its block geometry (ggml.c's
// type_traits, block sizes from ggml-common.h). Ids 4, 5 and 31..33, 36..38 were removed from ggml
// and are rejected like unknown ids; ids above 39 are too recent to be listed here.
constexpr GgmlTypeInfo kTypes[] = {
    {GgmlType::kF32, "f32", 1, 4, true, true},
    {GgmlType::kF16, "f16", 1, 2, true, true},
    {GgmlType::kQ4_0, "q4_0", 32, 18, true, true},
    {GgmlType::kQ4_1, "q4_1", 32, 20, false, false},
    {GgmlType::kQ5_0, "q5_0", 32, 22, false, false},
    {GgmlType::kQ5_1, "q5_1", 32, 24, false, false},
    {GgmlType::kQ8_0, "q8_0", 32, 34, true, true},
    {GgmlType::kQ8_1, "q8_1", 32, 36, false, false},
    {GgmlType::kQ2_K, "q2_K", 256, 84, false, false},
    {GgmlType::kQ3_K, "q3_K", 256, 110, false, false},
    {GgmlType::kQ4_K, "q4_K", 256, 144, true, true},
    {GgmlType::kQ5_K, "q5_K", 256, 176, false, false},
    {GgmlType::kQ6_K, "q6_K", 256, 210, true, true},
    {GgmlType::kQ8_K, "q8_K", 256, 292, false, false},
    {id(16), "iq2_xxs", 256, 66, false, false},
    {id(17), "iq2_xs", 256, 74, false, false},
    {id(18), "iq3_xxs", 256, 98, false, false},
    {id(19), "iq1_s", 256, 50, false, false},
    {id(20), "iq4_nl", 32, 18, false, false},
    {id(21), "iq3_s", 256, 110, false, false},
    {id(22), "iq2_s", 256, 82, false, false},
    {id(23), "iq4_xs", 256, 136, false, false},
    {id(24), "i8", 1, 1, false, false},
    {id(25), "i16", 1, 2, false, false},
    {id(26), "i32", 1, 4, false, false},
    {id(27), "i64", 1, 8, false, false},
    {id(28), "f64", 1, 8, false, false},
    {id(29), "iq1_m", 256, 56, false, false},
    {GgmlType::kBF16, "bf16", 1, 2, true, true},
    {id(34), "tq1_0", 256, 54, false, false},
    {id(35), "tq2_0", 256, 66, false, false},
    {id(39), "mxfp4", 32, 17, false, false},
};

constexpr const char* kWritableList = "f32, f16, bf16, q8_0, q4_0, q4_k, q6_k";

}  // namespace

const GgmlTypeInfo* find_ggml_type(uint32_t type_id) {
  for (const GgmlTypeInfo& info : kTypes) {
    if (static_cast<uint32_t>(info.type) == type_id) return &info;
  }
  return nullptr;
}

const GgmlTypeInfo& ggml_type_info(GgmlType type) {
  const GgmlTypeInfo* info = find_ggml_type(static_cast<uint32_t>(type));
  LLMKIT_CHECK_CODE(info != nullptr, ErrorCode::kUnsupported, "unknown ggml type id ",
                    static_cast<uint32_t>(type));
  return *info;
}

const char* ggml_type_name(GgmlType type) {
  return ggml_type_info(type).name;
}

GgmlType parse_writable_ggml_type(const std::string& name) {
  std::string lower;
  for (char c : name) lower += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  for (const GgmlTypeInfo& info : kTypes) {
    std::string candidate;
    for (const char* p = info.name; *p != '\0'; ++p) {
      candidate += static_cast<char>(std::tolower(static_cast<unsigned char>(*p)));
    }
    if (info.writable && candidate == lower) return info.type;
  }
  throw_error(ErrorCode::kInvalidArgument,
              str_cat("unknown weight type '", name, "' (expected one of ", kWritableList, ")"));
}

int64_t ggml_row_bytes(GgmlType type, int64_t n) {
  const GgmlTypeInfo& info = ggml_type_info(type);
  LLMKIT_CHECK(n >= 0 && n % info.block_elems == 0, "a ", info.name, " row of ", n,
               " elements: the element count must be a non-negative multiple of the block size ",
               info.block_elems);
  const int64_t blocks = n / info.block_elems;
  LLMKIT_CHECK(blocks <= std::numeric_limits<int64_t>::max() / info.block_bytes, "a ", info.name,
               " row of ", n, " elements is too large");
  return blocks * info.block_bytes;
}

}  // namespace llmkit::io
