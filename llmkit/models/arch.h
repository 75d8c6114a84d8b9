// Per-architecture facts, one implementation file each (gemma.cpp, gemma2.cpp, gemma3.cpp,
// llama.cpp): the Hugging Face names, the config-class defaults, the presets, the extra
// validation, the BlockConfig of each layer and the embedding / logit transforms. TransformerLM
// (training) and the inference engine both build their graphs from these, so the architectures are
// described once. Sources for every detail: docs/models.md.
#pragma once

#include <string>
#include <vector>

#include "llmkit/models/model_config.h"
#include "llmkit/nn/transformer_block.h"

namespace llmkit::models {

struct NamedPreset {
  std::string name;
  std::string description;
  ModelConfig config;
};

struct ArchTraits {
  Arch arch;
  const char* hf_model_type;      // config.json "model_type", e.g. "gemma3_text"
  const char* hf_architecture;    // config.json "architectures"[0], e.g. "Gemma3ForCausalLM"
  const char* hf_activation_key;  // "hidden_activation" (Gemma) or "hidden_act" (Llama)
  const char* hf_activation;      // "gelu_pytorch_tanh" or "silu"
  bool norm_unit_offset;          // RMSNorm multiplies by (1 + w)
  bool post_norms;                // post_attention_norm and post_ffw_norm exist
  bool qk_norm;                   // attn_q_norm and attn_k_norm exist
  // HF name of the pre-MLP norm relative to model.layers.N: Gemma 1 and Llama call it
  // post_attention_layernorm, Gemma 2/3 pre_feedforward_layernorm (and use
  // post_attention_layernorm for the post-attention norm).
  const char* hf_ffn_norm;

  // The HF config class defaults of the non-size fields (sizes left 0).
  ModelConfig (*defaults)();
  // Architecture-specific checks (fields it does not use must keep their "none" value).
  void (*validate)(const ModelConfig& config, const std::string& where);
  // The nn::BlockConfig of layer `layer` (config resolved and validated).
  nn::BlockConfig (*block_config)(const ModelConfig& config, int64_t layer);
  // Token embeddings are multiplied by this (Gemma: sqrt(n_embd); Llama: 1).
  float (*embedding_scale)(const ModelConfig& config);
  // Logits become cap * tanh(logits / cap) with this cap; 0: none.
  float (*final_softcap)(const ModelConfig& config);
  // tiny, small, base and the real shapes of this architecture.
  const std::vector<NamedPreset>& (*presets)();
};

const ArchTraits& arch_traits(Arch arch);

// The architecture-independent part of a layer's BlockConfig: dimensions, heads, RoPE base of
// the layer, 1/sqrt(query_pre_attn_scalar) query scale, plain RMSNorm, SwiGLU, no window, and the
// random init (init_std, scaled residual init of attn_output and ffn_down over n_layer).
nn::BlockConfig common_block_config(const ModelConfig& config, int64_t layer);

// ---- presets

// The default vocabulary of the tiny/small/base presets (llmkit init --vocab overrides it).
inline constexpr int64_t kPresetVocab = 8192;

// `base` with the size fields set (a helper for the preset tables of the architecture files).
ModelConfig with_sizes(ModelConfig base, int64_t n_vocab, int64_t n_ctx, int64_t n_embd,
                       int64_t n_layer, int64_t n_head, int64_t n_head_kv, int64_t head_dim,
                       int64_t n_ff);

// preset(Arch::kGemma3, "small"). Throws Error(kInvalidArgument) listing the valid names.
ModelConfig preset(Arch arch, const std::string& name);
std::vector<std::string> preset_names(Arch arch);

// The per-architecture definitions (each in its own file).
const ArchTraits& gemma_traits();
const ArchTraits& gemma2_traits();
const ArchTraits& gemma3_traits();
const ArchTraits& llama_traits();

}  // namespace llmkit::models
