// Gemma 3 (text): Gemma 2's block (pre and post norms around attention and MLP, GeGLU, (1 + w)
// RMSNorm, sqrt(n_embd) embedding scale, 1/sqrt(query_pre_attn_scalar) query scale) plus QK-norm
// (a (1 + w) RMSNorm over each head's D values of q and k, before RoPE), a 5 local : 1 global layer
// pattern (layer i global when (i + 1) % 6 == 0), RoPE base 10k on local layers and 1M on global
// ones, and no attention soft-capping (the final soft-cap is applied only when configured).
// Sources (docs/models.md): HF transformers models/gemma3/{modeling,configuration}_gemma3.py,
// google/gemma-3-270m config.json, llama.cpp src/models/gemma3.cpp.
#include <cmath>

#include "llmkit/base/error.h"
#include "llmkit/models/arch.h"

namespace llmkit::models {
namespace {

// Gemma3TextConfig defaults that are not sizes.
ModelConfig defaults() {
  ModelConfig c;
  c.arch = Arch::kGemma3;
  c.n_ctx = 131072;
  c.head_dim = 256;
  c.norm_eps = 1e-6f;
  c.rope_theta = 1000000.0f;
  c.rope_theta_local = 10000.0f;
  c.sliding_window = 4096;
  c.sliding_window_pattern = 6;
  c.query_pre_attn_scalar = 256.0f;
  c.tie_embeddings = true;
  c.bos_id = 2;
  c.eos_id = 1;
  c.pad_id = 0;
  return c;
}

void validate_gemma3(const ModelConfig& c, const std::string& p) {
  LLMKIT_CHECK(c.attn_softcap == 0.0f, p,
               "gemma3 has no attention soft-capping; attn_softcap must be 0 (null), got ",
               c.attn_softcap);
}

nn::BlockConfig block_config(const ModelConfig& c, int64_t layer) {
  // common_block_config takes the layer's RoPE base from layer_rope_theta(): rope_theta_local
  // on local layers, rope_theta on global ones.
  nn::BlockConfig b = common_block_config(c, layer);
  b.norm_unit_offset = true;
  b.post_norms = true;
  b.mlp.kind = nn::MlpKind::kGeGLU;
  b.attention.qk_norm = true;
  b.attention.norm_unit_offset = true;
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
    v.push_back({"small", "~9.7M parameters", small(512, 256, 8, 4, 1, 64, 1024, 128)});
    v.push_back({"base", "~42M parameters", small(1024, 512, 10, 8, 2, 64, 2048, 256)});
    // google/gemma-3-270m: 268M parameters (170M of them in the embedding).
    ModelConfig g = with_sizes(defaults(), 262144, 32768, 640, 18, 4, 1, 256, 2048);
    g.sliding_window = 512;
    v.push_back({"gemma3-270m", "Gemma 3 270M (google/gemma-3-270m), 268M parameters", g});
    return v;
  }();
  return list;
}

}  // namespace

const ArchTraits& gemma3_traits() {
  static const ArchTraits traits{Arch::kGemma3,
                                 "gemma3_text",
                                 "Gemma3ForCausalLM",
                                 "hidden_activation",
                                 "gelu_pytorch_tanh",
                                 true,
                                 true,
                                 true,
                                 "pre_feedforward_layernorm",
                                 defaults,
                                 validate_gemma3,
                                 block_config,
                                 embedding_scale,
                                 final_softcap,
                                 presets};
  return traits;
}

}  // namespace llmkit::models
