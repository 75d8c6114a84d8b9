// Gemma 2: Gemma plus attention-logit soft-capping (cap * tanh(logits / cap), before the causal
// mask), final-logit soft-capping, sliding-window attention on every other layer (layer 0 local,
// layer 1 global, ...), RMSNorms both before and after attention and MLP, and queries scaled by
// 1/sqrt(query_pre_attn_scalar). One RoPE base for all layers.
// Sources (docs/models.md): HF transformers models/gemma2/modeling_gemma2.py (Gemma2Attention:
// scaling = query_pre_attn_scalar**-0.5, sliding_window if not layer_idx % 2;
// Gemma2ForCausalLM: final_logit_softcapping), google/gemma-2-2b config.json,
// llama.cpp src/models/gemma2.cpp.
#include <cmath>

#include "llmkit/base/error.h"
#include "llmkit/models/arch.h"

namespace llmkit::models {
namespace {

// Gemma2Config defaults that are not sizes.
ModelConfig defaults() {
  ModelConfig c;
  c.arch = Arch::kGemma2;
  c.n_ctx = 8192;
  c.head_dim = 256;
  c.norm_eps = 1e-6f;
  c.rope_theta = 10000.0f;
  c.sliding_window = 4096;
  c.sliding_window_pattern = 2;
  c.attn_softcap = 50.0f;
  c.final_softcap = 30.0f;
  c.query_pre_attn_scalar = 256.0f;
  c.tie_embeddings = true;
  c.bos_id = 2;
  c.eos_id = 1;
  c.pad_id = 0;
  return c;
}

// Every Gemma 2 feature is optional in the config (null soft-caps, no window); nothing to reject
// beyond the generic checks.
void validate_gemma2(const ModelConfig&, const std::string&) {}

nn::BlockConfig block_config(const ModelConfig& c, int64_t layer) {
  nn::BlockConfig b = common_block_config(c, layer);
  b.norm_unit_offset = true;
  b.post_norms = true;
  b.mlp.kind = nn::MlpKind::kGeGLU;
  b.attention.softcap = c.attn_softcap;
  b.attention.window = is_local_layer(c, layer) ? c.sliding_window : 0;
  return b;
}

float embedding_scale(const ModelConfig& c) {
  return static_cast<float>(std::sqrt(static_cast<double>(c.n_embd)));
}

float final_softcap(const ModelConfig& c) {
  return c.final_softcap;
}

const std::vector<NamedPreset>& presets() {
  static const std::vector<NamedPreset> list = [] {
    ModelConfig d = defaults();
    d.bos_id = d.eos_id = d.pad_id = -1;
    auto small = [&](int64_t ctx, int64_t embd, int64_t layers, int64_t heads, int64_t kv,
                     int64_t hd, int64_t ff, int64_t window) {
      ModelConfig c = with_sizes(d, kPresetVocab, ctx, embd, layers, heads, kv, hd, ff);
      c.sliding_window = window;
      c.query_pre_attn_scalar = static_cast<float>(hd);
      return c;
    };
    std::vector<NamedPreset> v;
    v.push_back({"tiny", "~0.9M parameters, for tests", small(256, 64, 6, 2, 1, 32, 256, 64)});
    v.push_back({"small", "~10M parameters", small(512, 256, 8, 4, 2, 64, 1024, 128)});
    v.push_back({"base", "~44M parameters", small(1024, 512, 10, 8, 4, 64, 2048, 256)});
    // google/gemma-2-2b: 2.61B parameters.
    v.push_back({"gemma2-2b", "Gemma 2 2B (google/gemma-2-2b), 2.61B parameters",
                 with_sizes(defaults(), 256000, 8192, 2304, 26, 8, 4, 256, 9216)});
    return v;
  }();
  return list;
}

}  // namespace

const ArchTraits& gemma2_traits() {
  static const ArchTraits traits{Arch::kGemma2,
                                 "gemma2",
                                 "Gemma2ForCausalLM",
                                 "hidden_activation",
                                 "gelu_pytorch_tanh",
                                 true,
                                 true,
                                 false,
                                 "pre_feedforward_layernorm",
                                 defaults,
                                 validate_gemma2,
                                 block_config,
                                 embedding_scale,
                                 final_softcap,
                                 presets};
  return traits;
}

}  // namespace llmkit::models
