// llama.cpp's GGUF conventions (see gguf_conventions.h).
#include "llmkit/models/gguf_conventions.h"

#include <cstring>

#include "llmkit/base/error.h"

namespace llmkit::models {
namespace {

bool ends_with(const std::string& s, const char* suffix) {
  const size_t n = std::strlen(suffix);
  return s.size() >= n && s.compare(s.size() - n, n, suffix) == 0;
}

}  // namespace

bool gguf_rows_permuted(Arch arch, const std::string& name) {
  return arch == Arch::kLlama && name.starts_with("blk.") &&
         (ends_with(name, ".attn_q.weight") || ends_with(name, ".attn_k.weight"));
}

int64_t gguf_permuted_heads(const ModelConfig& config, const std::string& name) {
  return ends_with(name, ".attn_q.weight") ? config.n_head : config.n_head_kv;
}

bool gguf_norm_offset(const TensorSpec& spec) {
  return spec.init == TensorInit::kZeros;
}

// Within one head of D rows, HF row c * D/2 + i (c in {0, 1}, i < D/2) is GGUF row 2 i + c:
// llama.cpp's converter reshapes the rows to (2, D/2), swaps the two axes, and flattens.
void permute_qk_rows(const void* src, void* dst, int64_t n_head, int64_t head_dim,
                     int64_t row_bytes, RowPermutation direction) {
  LLMKIT_CHECK(n_head > 0 && head_dim > 0 && head_dim % 2 == 0 && row_bytes > 0,
               "permute_qk_rows: bad geometry (n_head ", n_head, ", head_dim ", head_dim,
               ", row_bytes ", row_bytes, ")");
  const auto* s = static_cast<const uint8_t*>(src);
  auto* d = static_cast<uint8_t*>(dst);
  const int64_t half = head_dim / 2;
  for (int64_t h = 0; h < n_head; ++h) {
    for (int64_t c = 0; c < 2; ++c) {
      for (int64_t i = 0; i < half; ++i) {
        const int64_t hf_row = h * head_dim + c * half + i;
        const int64_t gguf_row = h * head_dim + 2 * i + c;
        const bool to_gguf = direction == RowPermutation::kHfToGguf;
        const int64_t from = to_gguf ? hf_row : gguf_row;
        const int64_t to = to_gguf ? gguf_row : hf_row;
        std::memcpy(d + to * row_bytes, s + from * row_bytes, static_cast<size_t>(row_bytes));
      }
    }
  }
}

uint32_t llama_file_type(io::GgmlType type) {
  switch (type) {
    case io::GgmlType::kF32:
      return 0;
    case io::GgmlType::kF16:
      return 1;
    case io::GgmlType::kQ4_0:
      return 2;
    case io::GgmlType::kQ8_0:
      return 7;
    case io::GgmlType::kQ4_K:
      return 15;  // LLAMA_FTYPE_MOSTLY_Q4_K_M, as llama-quantize labels its Q4_K files
    case io::GgmlType::kQ6_K:
      return 18;  // LLAMA_FTYPE_MOSTLY_Q6_K
    case io::GgmlType::kBF16:
      return 32;
    default:
      throw_error(ErrorCode::kUnsupported,
                  str_cat("no llama.cpp file type for weights of type ", io::ggml_type_name(type),
                          " (llmkit exports f32, f16, bf16, q8_0, q4_0, q4_K, q6_K)"));
  }
}

}  // namespace llmkit::models
