// The tensor-name table (see tensor_names.h).
#include "llmkit/models/tensor_names.h"

#include <charconv>
#include <string_view>

#include "llmkit/base/error.h"
#include "llmkit/models/arch.h"

namespace llmkit::models {
namespace {

enum class Dim { kC, kQ, kKv, kD, kF };  // C, H*D, Hkv*D, D, n_ff

// One row per block tensor, in TransformerBlock's registration order.
struct BlockTensor {
  const char* gguf;  // relative to blk.N., without ".weight"
  const char* hf;    // relative to model.layers.N., without ".weight"; nullptr: traits.hf_ffn_norm
  Dim rows, cols;    // cols == rows for 1-D tensors (norms)
  bool is_1d;
  enum Needs { kAlways, kPostNorms, kQkNorm } needs;
  enum Kind { kWeight, kResidualWeight, kNorm, kQkNormWeight } kind;
};

const BlockTensor kBlock[] = {
    {"attn_norm", "input_layernorm", Dim::kC, Dim::kC, true, BlockTensor::kAlways,
     BlockTensor::kNorm},
    {"attn_q", "self_attn.q_proj", Dim::kQ, Dim::kC, false, BlockTensor::kAlways,
     BlockTensor::kWeight},
    {"attn_k", "self_attn.k_proj", Dim::kKv, Dim::kC, false, BlockTensor::kAlways,
     BlockTensor::kWeight},
    {"attn_v", "self_attn.v_proj", Dim::kKv, Dim::kC, false, BlockTensor::kAlways,
     BlockTensor::kWeight},
    {"attn_output", "self_attn.o_proj", Dim::kC, Dim::kQ, false, BlockTensor::kAlways,
     BlockTensor::kResidualWeight},
    {"attn_q_norm", "self_attn.q_norm", Dim::kD, Dim::kD, true, BlockTensor::kQkNorm,
     BlockTensor::kQkNormWeight},
    {"attn_k_norm", "self_attn.k_norm", Dim::kD, Dim::kD, true, BlockTensor::kQkNorm,
     BlockTensor::kQkNormWeight},
    {"post_attention_norm", "post_attention_layernorm", Dim::kC, Dim::kC, true,
     BlockTensor::kPostNorms, BlockTensor::kNorm},
    {"ffn_norm", nullptr, Dim::kC, Dim::kC, true, BlockTensor::kAlways, BlockTensor::kNorm},
    {"ffn_gate", "mlp.gate_proj", Dim::kF, Dim::kC, false, BlockTensor::kAlways,
     BlockTensor::kWeight},
    {"ffn_up", "mlp.up_proj", Dim::kF, Dim::kC, false, BlockTensor::kAlways, BlockTensor::kWeight},
    {"ffn_down", "mlp.down_proj", Dim::kC, Dim::kF, false, BlockTensor::kAlways,
     BlockTensor::kResidualWeight},
    {"post_ffw_norm", "post_feedforward_layernorm", Dim::kC, Dim::kC, true, BlockTensor::kPostNorms,
     BlockTensor::kNorm},
};

bool present(const BlockTensor& t, const ArchTraits& traits) {
  switch (t.needs) {
    case BlockTensor::kAlways:
      return true;
    case BlockTensor::kPostNorms:
      return traits.post_norms;
    case BlockTensor::kQkNorm:
      return traits.qk_norm;
  }
  return false;
}

const char* hf_of(const BlockTensor& t, const ArchTraits& traits) {
  return t.hf != nullptr ? t.hf : traits.hf_ffn_norm;
}

// Top-level tensors: GGUF and HF names (with ".weight").
struct TopTensor {
  const char* gguf;
  const char* hf;
};
const TopTensor kTop[] = {{"token_embd.weight", "model.embed_tokens.weight"},
                          {"output_norm.weight", "model.norm.weight"},
                          {"output.weight", "lm_head.weight"}};

bool parse_layer(std::string_view s, int64_t* layer, std::string_view* rest) {
  auto dot = s.find('.');
  if (dot == std::string_view::npos || dot == 0) return false;
  auto res = std::from_chars(s.data(), s.data() + dot, *layer);
  if (res.ec != std::errc() || res.ptr != s.data() + dot || *layer < 0) return false;
  *rest = s.substr(dot + 1);
  return true;
}

}  // namespace

std::vector<TensorSpec> tensor_specs(const ModelConfig& config) {
  const ModelConfig c = resolve(config);
  const ArchTraits& traits = arch_traits(c.arch);
  auto dim = [&](Dim d) -> int64_t {
    switch (d) {
      case Dim::kC:
        return c.n_embd;
      case Dim::kQ:
        return c.n_head * c.head_dim;
      case Dim::kKv:
        return c.n_head_kv * c.head_dim;
      case Dim::kD:
        return c.head_dim;
      case Dim::kF:
        return c.n_ff;
    }
    return 0;
  };
  const TensorInit norm_init = traits.norm_unit_offset ? TensorInit::kZeros : TensorInit::kOnes;
  std::vector<TensorSpec> specs;
  specs.push_back({"token_embd.weight", {c.n_vocab, c.n_embd}, TensorInit::kNormal});
  for (int64_t i = 0; i < c.n_layer; ++i) {
    const nn::BlockConfig block = traits.block_config(c, i);
    for (const BlockTensor& t : kBlock) {
      if (!present(t, traits)) continue;
      TensorSpec s;
      s.name = str_cat("blk.", i, ".", t.gguf, ".weight");
      s.shape = t.is_1d ? Shape{dim(t.rows)} : Shape{dim(t.rows), dim(t.cols)};
      switch (t.kind) {
        case BlockTensor::kWeight:
          s.init = TensorInit::kNormal;
          break;
        case BlockTensor::kResidualWeight:
          s.init = TensorInit::kResidual;
          break;
        case BlockTensor::kNorm:
          s.init = norm_init;
          break;
        case BlockTensor::kQkNormWeight:
          s.init = block.attention.norm_unit_offset ? TensorInit::kZeros : TensorInit::kOnes;
          break;
      }
      specs.push_back(std::move(s));
    }
  }
  specs.push_back({"output_norm.weight", {c.n_embd}, norm_init});
  if (!c.tie_embeddings)
    specs.push_back({"output.weight", {c.n_vocab, c.n_embd}, TensorInit::kNormal});
  return specs;
}

int64_t parameter_count(const ModelConfig& config) {
  int64_t n = 0;
  for (const TensorSpec& s : tensor_specs(config)) n += shape_numel(s.shape);
  return n;
}

std::string hf_tensor_name(const std::string& gguf_name, Arch arch) {
  const ArchTraits& traits = arch_traits(arch);
  for (const TopTensor& t : kTop) {
    if (gguf_name == t.gguf) return t.hf;
  }
  std::string_view s = gguf_name, rest;
  int64_t layer = 0;
  const std::string_view weight = ".weight";
  if (s.starts_with("blk.") && parse_layer(s.substr(4), &layer, &rest) && rest.ends_with(weight)) {
    std::string_view base = rest.substr(0, rest.size() - weight.size());
    for (const BlockTensor& t : kBlock) {
      if (base == t.gguf && present(t, traits)) {
        return str_cat("model.layers.", layer, ".", hf_of(t, traits), ".weight");
      }
    }
  }
  throw_error(ErrorCode::kNotFound, str_cat("hf_tensor_name: '", gguf_name, "' is not a ",
                                            arch_name(arch), " tensor name"));
}

std::string gguf_tensor_name(const std::string& hf_name, Arch arch) {
  const ArchTraits& traits = arch_traits(arch);
  std::string_view s = hf_name;
  for (std::string_view p : {"model.language_model.", "language_model.model.", "language_model."}) {
    if (s.starts_with(p)) {
      s = s.substr(p.size());
      break;
    }
  }
  for (const TopTensor& t : kTop) {
    std::string_view hf = t.hf;
    if (s == hf || (hf.starts_with("model.") && s == hf.substr(6))) return t.gguf;
  }
  if (s.starts_with("model.")) s = s.substr(6);
  std::string_view rest;
  int64_t layer = 0;
  const std::string_view weight = ".weight";
  if (s.starts_with("layers.") && parse_layer(s.substr(7), &layer, &rest) &&
      rest.ends_with(weight)) {
    std::string_view base = rest.substr(0, rest.size() - weight.size());
    for (const BlockTensor& t : kBlock) {
      if (present(t, traits) && base == hf_of(t, traits)) {
        return str_cat("blk.", layer, ".", t.gguf, ".weight");
      }
    }
  }
  throw_error(ErrorCode::kNotFound, str_cat("gguf_tensor_name: '", hf_name, "' is not a ",
                                            arch_name(arch), " tensor name"));
}

}  // namespace llmkit::models
