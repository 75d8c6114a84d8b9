// llama.cpp's conventions for the gemma, gemma2, gemma3 and llama architectures in GGUF files,
// shared by the GGUF reader (model_file.h: open_model_file, config_from_gguf) and the exporter
// (add_model_to_gguf). Facts from llama.cpp's conversion/{llama,gemma}.py and src/models/*.cpp.
//
// Value conventions (llmkit keeps Hugging Face's, see tensor_names.h):
//   - Llama q/k rows: llama.cpp's RoPE for `llama` rotates adjacent pairs (2i, 2i + 1), so its
//     converter permutes the rows of attn_q / attn_k (per head of D rows, HF row
//     c * D/2 + i goes to GGUF row 2 i + c, c in {0, 1}, i < D/2). llmkit rotates (i, i + D/2).
//     The Gemma architectures use the half-split RoPE in llama.cpp too: no permutation.
//   - Gemma norms: the Gemma RMSNorms multiply by (1 + w); llama.cpp's converter stores 1 + w for
//     every tensor named *norm.weight (attn_norm, ffn_norm, post_attention_norm, post_ffw_norm,
//     output_norm and gemma3's attn_q_norm / attn_k_norm). In llmkit these are exactly the specs
//     with TensorInit::kZeros.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "llmkit/io/ggml_types.h"
#include "llmkit/io/gguf.h"
#include "llmkit/models/model_config.h"
#include "llmkit/models/tensor_names.h"

namespace llmkit::models {

// The tensor's rows are stored RoPE-permuted in llama.cpp's GGUF (llama attn_q / attn_k).
bool gguf_rows_permuted(Arch arch, const std::string& name);
// Heads of a permuted tensor: n_head for attn_q, n_head_kv for attn_k (config resolved).
int64_t gguf_permuted_heads(const ModelConfig& config, const std::string& name);
// The tensor is a (1 + w) norm stored as 1 + w in GGUF.
bool gguf_norm_offset(const TensorSpec& spec);

enum class RowPermutation {
  kHfToGguf,  // llmkit / HF layout -> llama.cpp's
  kGgufToHf,  // llama.cpp's -> llmkit / HF layout
};
// Copies n_head * head_dim rows of row_bytes each from src to dst (not overlapping), moving whole
// rows as described above, so it works for any row type (quantized rows included).
void permute_qk_rows(const void* src, void* dst, int64_t n_head, int64_t head_dim,
                     int64_t row_bytes, RowPermutation direction);

// The llama_ftype value (general.file_type) of files whose matrices are `type`:
// F32 0, F16 1, Q4_0 2, Q8_0 7, Q4_K 15 (Q4_K_M), Q6_K 18, BF16 32. Throws Error(kUnsupported)
// for other types.
uint32_t llama_file_type(io::GgmlType type);

// llama.cpp's fixed query scale rule for gemma2 / gemma3: queries are scaled by
// 1/sqrt(n_embd / n_head) for the 27B shapes (gemma2 with 46 layers, gemma3 with 62 layers) and
// by 1/sqrt(head_dim) otherwise; GGUF has no key for it. Returns that query_pre_attn_scalar
// (config resolved; head_dim for gemma and llama).
float gguf_query_pre_attn_scalar(const ModelConfig& config);

// The per-frequency divisors llama.cpp's converter stores as rope_freqs.weight [D/2] for llama3
// RoPE scaling (conversion/llama.py generate_extra_tensors), from the config's rope_theta,
// head_dim, rope_scaling_factor, rope_low_freq_factor, rope_high_freq_factor, rope_original_ctx.
std::vector<float> llama3_rope_factors(const ModelConfig& config);

// Writes every {arch}.* key llama.cpp reads for the architecture (see gguf_config.cpp for the
// list and types), general.architecture, and the config's token ids (tokenizer.ggml.*_token_id,
// only those >= 0). Throws Error(kUnsupported) for a config llama.cpp cannot express (see
// gguf_config.cpp). The config must be valid.
void add_config_to_gguf(const ModelConfig& config, io::GgufWriter& writer);

}  // namespace llmkit::models
