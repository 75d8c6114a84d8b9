// Gemma (1): RMSNorm with (1 + w), GeGLU MLP with tanh-approximated GELU, RoPE (half-split),
// MHA or MQA, token embeddings scaled by sqrt(n_embd), output tied to the embedding, queries scaled
// by 1/sqrt(head_dim). No soft-capping, no sliding window.
// Sources (docs/models.md): HF transformers models/gemma/{modeling,configuration}_gemma.py,
// google/gemma-2b config.json, llama.cpp src/models/gemma.cpp.
#include <cmath>

#include "llmkit/base/error.h"
#include "llmkit/models/arch.h"

namespace llmkit::models {
namespace {

// GemmaConfig defaults that are not sizes (head_dim 256 is a class default too: a config.json
// without head_dim means 256, not hidden_size / num_attention_heads).
ModelConfig defaults() {
  ModelConfig c;
  c.arch = Arch::kGemma;
  c.n_ctx = 8192;
  c.head_dim = 256;
  c.norm_eps = 1e-6f;
  c.rope_theta = 10000.0f;
  c.tie_embeddings = true;
  c.bos_id = 2;
  c.eos_id = 1;
  c.pad_id = 0;
  return c;
}

void validate_gemma(const ModelConfig& c, const std::string& p) {
  LLMKIT_CHECK(c.sliding_window == 0, p, "gemma has no sliding-window layers; sliding_window must ",
               "be 0 (null), got ", c.sliding_window);
  LLMKIT_CHECK(c.attn_softcap == 0.0f && c.final_softcap == 0.0f, p,
               "gemma has no soft-capping; attn_softcap and final_softcap must be 0 (null), got ",
               c.attn_softcap, " and ", c.final_softcap);
  const ModelConfig r = resolve(c);
  LLMKIT_CHECK(r.query_pre_attn_scalar == static_cast<float>(r.head_dim), p,
               "gemma scales queries by 1/sqrt(head_dim); query_pre_attn_scalar must be 0 or ",
               r.head_dim, ", got ", c.query_pre_attn_scalar);
}

nn::BlockConfig block_config(const ModelConfig& c, int64_t layer) {
  nn::BlockConfig b = common_block_config(c, layer);
  b.norm_unit_offset = true;
  b.mlp.kind = nn::MlpKind::kGeGLU;
  return b;
}

// HF multiplies by torch.tensor(hidden_size ** 0.5, dtype=hidden_states.dtype): in f32 that is
// sqrt(n_embd) rounded to f32, which is what llmkit (f32 activations) uses.
float embedding_scale(const ModelConfig& c) {
  return static_cast<float>(std::sqrt(static_cast<double>(c.n_embd)));
}

float no_softcap(const ModelConfig&) {
  return 0.0f;
}

const std::vector<NamedPreset>& presets() {
  static const std::vector<NamedPreset> list = [] {
    ModelConfig d = defaults();
    d.bos_id = d.eos_id = d.pad_id = -1;  // set from the tokenizer
    std::vector<NamedPreset> v;
    v.push_back({"tiny", "~0.9M parameters, for tests",
                 with_sizes(d, kPresetVocab, 256, 64, 6, 2, 1, 32, 256)});
    v.push_back(
        {"small", "~9.7M parameters", with_sizes(d, kPresetVocab, 512, 256, 8, 4, 1, 64, 1024)});
    v.push_back(
        {"base", "~42M parameters", with_sizes(d, kPresetVocab, 1024, 512, 10, 8, 1, 64, 2048)});
    // google/gemma-2b: 2.51B parameters.
    v.push_back({"gemma-2b", "Gemma 2B (google/gemma-2b), 2.51B parameters",
                 with_sizes(defaults(), 256000, 8192, 2048, 18, 8, 1, 256, 16384)});
    return v;
  }();
  return list;
}

}  // namespace

const ArchTraits& gemma_traits() {
  static const ArchTraits traits{Arch::kGemma,
                                 "gemma",
                                 "GemmaForCausalLM",
                                 "hidden_activation",
                                 "gelu_pytorch_tanh",
                                 true,
                                 false,
                                 false,
                                 "post_attention_layernorm",
                                 defaults,
                                 validate_gemma,
                                 block_config,
                                 embedding_scale,
                                 no_softcap,
                                 presets};
  return traits;
}

}  // namespace llmkit::models
