// Llama (2/3): plain RMSNorm (x / rms(x) * w), SwiGLU MLP (silu gate), grouped-query attention,
// RoPE (half-split in the HF layout llmkit stores) with a configurable base, queries scaled by
// 1/sqrt(head_dim), unscaled embeddings, output tied or untied (output.weight).
// Sources (docs/models.md): HF transformers models/llama/{modeling,configuration}_llama.py,
// meta-llama/Llama-3.2-1B config.json, llama.cpp src/models/llama.cpp.
#include "llmkit/base/error.h"
#include "llmkit/models/arch.h"

namespace llmkit::models {
namespace {

// LlamaConfig defaults that are not sizes.
ModelConfig defaults() {
  ModelConfig c;
  c.arch = Arch::kLlama;
  c.n_ctx = 2048;
  c.norm_eps = 1e-6f;
  c.rope_theta = 10000.0f;
  c.tie_embeddings = false;
  c.bos_id = 1;
  c.eos_id = 2;
  c.pad_id = -1;
  return c;
}

void validate_llama(const ModelConfig& c, const std::string& p) {
  LLMKIT_CHECK(c.sliding_window == 0, p, "llama has no sliding-window layers; sliding_window must ",
               "be 0 (null), got ", c.sliding_window);
  LLMKIT_CHECK(c.attn_softcap == 0.0f && c.final_softcap == 0.0f, p,
               "llama has no soft-capping; attn_softcap and final_softcap must be 0 (null), got ",
               c.attn_softcap, " and ", c.final_softcap);
  const ModelConfig r = resolve(c);
  LLMKIT_CHECK(r.query_pre_attn_scalar == static_cast<float>(r.head_dim), p,
               "llama scales queries by 1/sqrt(head_dim); query_pre_attn_scalar must be 0 or ",
               r.head_dim, ", got ", c.query_pre_attn_scalar);
}

nn::BlockConfig block_config(const ModelConfig& c, int64_t layer) {
  nn::BlockConfig b = common_block_config(c, layer);  // plain RMSNorm, SwiGLU
  return b;
}

float embedding_scale(const ModelConfig&) {
  return 1.0f;
}

float no_softcap(const ModelConfig&) {
  return 0.0f;
}

const std::vector<NamedPreset>& presets() {
  static const std::vector<NamedPreset> list = [] {
    ModelConfig d = defaults();
    d.bos_id = d.eos_id = -1;
    d.norm_eps = 1e-5f;
    d.tie_embeddings = true;
    std::vector<NamedPreset> v;
    v.push_back({"tiny", "~0.9M parameters, for tests",
                 with_sizes(d, kPresetVocab, 256, 64, 6, 4, 2, 16, 256)});
    v.push_back(
        {"small", "~10M parameters", with_sizes(d, kPresetVocab, 512, 256, 8, 4, 2, 64, 1024)});
    v.push_back(
        {"base", "~44M parameters", with_sizes(d, kPresetVocab, 1024, 512, 10, 8, 4, 64, 2048)});
    // A Llama-2-shaped ~110M model (32000-token SentencePiece vocabulary, MHA, tied embeddings):
    // the size class of the llama2.c / TinyStories checkpoints, for benchmarks.
    ModelConfig m = with_sizes(d, 32000, 2048, 768, 12, 12, 12, 64, 2048);
    m.bos_id = 1;
    m.eos_id = 2;
    v.push_back({"llama-110m", "Llama-2-shaped 110M (32000 vocab, 12 x 768), for benchmarks", m});
    // meta-llama/Llama-3.2-1B: 1.24B parameters, tied embeddings, llama3 RoPE scaling.
    ModelConfig l = with_sizes(defaults(), 128256, 131072, 2048, 16, 32, 8, 64, 8192);
    l.norm_eps = 1e-5f;
    l.rope_theta = 500000.0f;
    l.rope_scaling = RopeScaling::kLlama3;
    l.rope_scaling_factor = 32.0f;
    l.rope_low_freq_factor = 1.0f;
    l.rope_high_freq_factor = 4.0f;
    l.rope_original_ctx = 8192;
    l.tie_embeddings = true;
    l.bos_id = 128000;
    l.eos_id = 128001;
    l.pad_id = -1;
    v.push_back({"llama-1b", "Llama 3.2 1B (meta-llama/Llama-3.2-1B), 1.24B parameters", l});
    return v;
  }();
  return list;
}

}  // namespace

const ArchTraits& llama_traits() {
  static const ArchTraits traits{Arch::kLlama,    "llama",        "LlamaForCausalLM",
                                 "hidden_act",    "silu",         false,
                                 false,           false,          "post_attention_layernorm",
                                 defaults,        validate_llama, block_config,
                                 embedding_scale, no_softcap,     presets};
  return traits;
}

}  // namespace llmkit::models
