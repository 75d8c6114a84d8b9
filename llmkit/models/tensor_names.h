// The tensor-name table: every weight of a model (GGUF names, shapes, initialisation) derived from
// its ModelConfig, and the mapping between GGUF and Hugging Face names.
//
// GGUF names (what llmkit uses everywhere, also inside model.safetensors):
//   token_embd.weight [V, C]                         output_norm.weight [C]
//   output.weight [V, C]              (untied only)
//   blk.N.attn_norm.weight [C]                       blk.N.ffn_norm.weight [C]
//   blk.N.attn_q.weight [H*D, C]                     blk.N.attn_k.weight / attn_v.weight [Hkv*D, C]
//   blk.N.attn_output.weight [C, H*D]                blk.N.attn_q_norm / attn_k_norm.weight [D]
//   blk.N.post_attention_norm.weight [C]             blk.N.post_ffw_norm.weight [C]  (gemma2/3)
//   blk.N.ffn_gate.weight / ffn_up.weight [F, C]     blk.N.ffn_down.weight [C, F]
// Values are stored in the Hugging Face conventions: RoPE pairs (i, i + D/2) (llama.cpp permutes
// Llama's q/k rows to interleaved pairs in its GGUF files) and Gemma norm weights w of (1 + w)
// (llama.cpp's GGUF files store 1 + w). The GGUF reader/writer converts; see docs/models.md.
#pragma once

#include <string>
#include <vector>

#include "llmkit/models/model_config.h"
#include "llmkit/tensor/shape.h"

namespace llmkit::models {

enum class TensorInit {
  kNormal,    // N(0, init_std^2)
  kResidual,  // N(0, (init_std / sqrt(2 * n_layer))^2): projections into the residual stream
  kOnes,      // plain RMSNorm weight
  kZeros,     // (1 + w) RMSNorm weight
};

struct TensorSpec {
  std::string name;  // GGUF name
  Shape shape;
  TensorInit init;
};

// All weights of the model, in TransformerLM's parameter order (which is also the order the
// random initialisation draws them). The config must be valid.
std::vector<TensorSpec> tensor_specs(const ModelConfig& config);
// Sum of the specs' element counts (no allocation: works for the billion-parameter presets).
int64_t parameter_count(const ModelConfig& config);

// GGUF name -> Hugging Face name for `arch`: "blk.3.ffn_norm.weight" ->
// "model.layers.3.pre_feedforward_layernorm.weight" (gemma2/gemma3) or
// "model.layers.3.post_attention_layernorm.weight" (gemma/llama). Throws Error(kNotFound) for a
// name the architecture does not have.
std::string hf_tensor_name(const std::string& gguf_name, Arch arch);
// The inverse. Accepts the "model.", "model.language_model." and "language_model.model." prefixes
// of Gemma 3 multimodal checkpoints. Throws Error(kNotFound).
std::string gguf_tensor_name(const std::string& hf_name, Arch arch);

}  // namespace llmkit::models
