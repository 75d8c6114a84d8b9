// Dispatch to the per-architecture files, the shared part of every BlockConfig, and presets.
#include "llmkit/models/arch.h"

#include <cmath>

#include "llmkit/base/error.h"

namespace llmkit::models {

const ArchTraits& arch_traits(Arch arch) {
  switch (arch) {
    case Arch::kGemma:
      return gemma_traits();
    case Arch::kGemma2:
      return gemma2_traits();
    case Arch::kGemma3:
      return gemma3_traits();
    case Arch::kLlama:
      return llama_traits();
  }
  throw_error(ErrorCode::kInternal, "arch_traits: unknown architecture");
}

nn::BlockConfig common_block_config(const ModelConfig& config, int64_t layer) {
  const ModelConfig c = resolve(config);
  nn::BlockConfig b;
  nn::AttentionConfig& a = b.attention;
  a.n_embd = c.n_embd;
  a.n_head = c.n_head;
  a.n_head_kv = c.n_head_kv;
  a.head_dim = c.head_dim;
  a.rope_theta = layer_rope_theta(c, layer);
  a.norm_eps = c.norm_eps;
  a.query_scale = 1.0f / std::sqrt(c.query_pre_attn_scalar);
  a.init_std = c.init_std;
  a.n_layer_for_init = c.n_layer;
  b.mlp.n_embd = c.n_embd;
  b.mlp.n_ff = c.n_ff;
  b.mlp.kind = nn::MlpKind::kSwiGLU;
  b.mlp.init_std = c.init_std;
  b.mlp.n_layer_for_init = c.n_layer;
  b.norm_eps = c.norm_eps;
  return b;
}

ModelConfig with_sizes(ModelConfig base, int64_t n_vocab, int64_t n_ctx, int64_t n_embd,
                       int64_t n_layer, int64_t n_head, int64_t n_head_kv, int64_t head_dim,
                       int64_t n_ff) {
  base.n_vocab = n_vocab;
  base.n_ctx = n_ctx;
  base.n_embd = n_embd;
  base.n_layer = n_layer;
  base.n_head = n_head;
  base.n_head_kv = n_head_kv;
  base.head_dim = head_dim;
  base.n_ff = n_ff;
  return base;
}

std::vector<std::string> preset_names(Arch arch) {
  std::vector<std::string> names;
  for (const NamedPreset& p : arch_traits(arch).presets()) names.push_back(p.name);
  return names;
}

ModelConfig preset(Arch arch, const std::string& name) {
  for (const NamedPreset& p : arch_traits(arch).presets()) {
    if (p.name == name) return p.config;
  }
  std::string valid;
  for (const std::string& n : preset_names(arch)) valid += (valid.empty() ? "" : ", ") + n;
  throw_error(ErrorCode::kInvalidArgument,
              str_cat("unknown ", arch_name(arch), " preset '", name, "' (valid: ", valid, ")"));
}

}  // namespace llmkit::models
