// ModelConfig basics: names, resolve/validate, layer queries, the field table and the printer.
// JSON reading and writing live in config_json.cpp.
#include "llmkit/models/model_config.h"

#include <charconv>
#include <cmath>
#include <iomanip>
#include <sstream>

#include "llmkit/base/error.h"
#include "llmkit/models/arch.h"

namespace llmkit::models {

const char* arch_name(Arch arch) {
  switch (arch) {
    case Arch::kGemma:
      return "gemma";
    case Arch::kGemma2:
      return "gemma2";
    case Arch::kGemma3:
      return "gemma3";
    case Arch::kLlama:
      return "llama";
  }
  return "?";
}

const std::vector<Arch>& all_archs() {
  static const std::vector<Arch> archs{Arch::kGemma, Arch::kGemma2, Arch::kGemma3, Arch::kLlama};
  return archs;
}

Arch parse_arch(const std::string& name) {
  for (Arch a : all_archs()) {
    if (name == arch_name(a)) return a;
  }
  throw_error(ErrorCode::kInvalidArgument,
              str_cat("unknown architecture '", name, "' (valid: gemma, gemma2, gemma3, llama)"));
}

const char* rope_scaling_name(RopeScaling scaling) {
  switch (scaling) {
    case RopeScaling::kNone:
      return "none";
    case RopeScaling::kLinear:
      return "linear";
    case RopeScaling::kLlama3:
      return "llama3";
  }
  return "?";
}

namespace {

std::string prefix(const std::string& source) {
  return source.empty() ? std::string("model config: ") : source + ": ";
}

RopeScaling parse_rope_scaling(const std::string& name, const char* field) {
  if (name == "none" || name == "default") return RopeScaling::kNone;
  if (name == "linear") return RopeScaling::kLinear;
  if (name == "llama3") return RopeScaling::kLlama3;
  throw_error(ErrorCode::kUnsupported,
              str_cat(field, ": RoPE scaling '", name,
                      "' is not supported (llmkit knows none/default, linear, llama3)"));
}

// ---- FieldValue conversions, one overload per member type of the field list.
FieldValue to_field(int64_t v) {
  return v;
}
FieldValue to_field(float v) {
  return static_cast<double>(v);
}
FieldValue to_field(bool v) {
  return v;
}
FieldValue to_field(RopeScaling v) {
  return std::string(rope_scaling_name(v));
}

[[noreturn]] void bad_field(const char* field, const char* want) {
  throw_error(ErrorCode::kInvalidArgument, str_cat("config field ", field, ": expected ", want));
}

void from_field(const FieldValue& v, int64_t* out, const char* field) {
  if (const auto* i = std::get_if<int64_t>(&v)) {
    *out = *i;
  } else if (const auto* d = std::get_if<double>(&v);
             d && std::floor(*d) == *d && std::isfinite(*d)) {
    *out = static_cast<int64_t>(*d);
  } else {
    bad_field(field, "an integer");
  }
}
void from_field(const FieldValue& v, float* out, const char* field) {
  if (const auto* d = std::get_if<double>(&v)) {
    *out = static_cast<float>(*d);
  } else if (const auto* i = std::get_if<int64_t>(&v)) {
    *out = static_cast<float>(*i);
  } else {
    bad_field(field, "a number");
  }
}
void from_field(const FieldValue& v, bool* out, const char* field) {
  if (const auto* b = std::get_if<bool>(&v)) {
    *out = *b;
  } else if (const auto* i = std::get_if<int64_t>(&v); i && (*i == 0 || *i == 1)) {
    *out = *i != 0;
  } else {
    bad_field(field, "a boolean");
  }
}
void from_field(const FieldValue& v, RopeScaling* out, const char* field) {
  const auto* s = std::get_if<std::string>(&v);
  if (s == nullptr) bad_field(field, "a RoPE scaling name");
  *out = parse_rope_scaling(*s, field);
}

std::string format_value(int64_t v) {
  return std::to_string(v);
}
// The shortest text that reads back as the same float (1e-06, not 9.99999997e-07).
std::string format_value(float v) {
  char buf[64];
  auto res = std::to_chars(buf, buf + sizeof(buf), v);
  return std::string(buf, res.ptr);
}
std::string format_value(bool v) {
  return v ? "true" : "false";
}
std::string format_value(RopeScaling v) {
  return rope_scaling_name(v);
}

void set_arch(ModelConfig& c, const FieldValue& v) {
  const auto* s = std::get_if<std::string>(&v);
  if (s == nullptr) bad_field("arch", "an architecture name");
  c.arch = parse_arch(*s);
}

}  // namespace

const std::vector<ConfigField>& config_fields() {
  static const std::vector<ConfigField> fields = [] {
    std::vector<ConfigField> f;
    f.push_back({"arch", "model_type", "general.architecture", "architecture",
                 [](const ModelConfig& c) -> FieldValue { return std::string(arch_name(c.arch)); },
                 set_arch});
#define LLMKIT_MODEL_CONFIG_ENTRY(type, name, def, hf, gguf, help)                           \
  f.push_back({#name, hf, gguf, help, [](const ModelConfig& c) { return to_field(c.name); }, \
               [](ModelConfig& c, const FieldValue& v) { from_field(v, &c.name, #name); }});
    LLMKIT_MODEL_CONFIG_FIELDS(LLMKIT_MODEL_CONFIG_ENTRY)
#undef LLMKIT_MODEL_CONFIG_ENTRY
    return f;
  }();
  return fields;
}

std::string gguf_key(const ConfigField& field, Arch arch) {
  std::string key = field.gguf_key;
  const std::string marker = "{arch}";
  if (auto pos = key.find(marker); pos != std::string::npos)
    key.replace(pos, marker.size(), arch_name(arch));
  return key;
}

const ConfigField& config_field(const std::string& name) {
  for (const ConfigField& f : config_fields()) {
    if (name == f.name) return f;
  }
  throw_error(ErrorCode::kNotFound, str_cat("no model config field named '", name, "'"));
}

ModelConfig resolve(const ModelConfig& config) {
  ModelConfig c = config;
  if (c.n_head_kv == 0) c.n_head_kv = c.n_head;
  if (c.head_dim == 0 && c.n_head > 0) c.head_dim = c.n_embd / c.n_head;
  if (c.query_pre_attn_scalar == 0.0f) c.query_pre_attn_scalar = static_cast<float>(c.head_dim);
  return c;
}

void validate(const ModelConfig& config, const std::string& source) {
  const std::string p = prefix(source);
  const ModelConfig& c = config;
  auto positive = [&](int64_t v, const char* name) {
    LLMKIT_CHECK(v > 0, p, name, " must be positive, got ", v);
  };
  positive(c.n_vocab, "n_vocab (vocab_size)");
  positive(c.n_ctx, "n_ctx (max_position_embeddings)");
  positive(c.n_embd, "n_embd (hidden_size)");
  positive(c.n_layer, "n_layer (num_hidden_layers)");
  positive(c.n_head, "n_head (num_attention_heads)");
  positive(c.n_ff, "n_ff (intermediate_size)");
  LLMKIT_CHECK(c.n_head_kv >= 0, p, "n_head_kv (num_key_value_heads) must be >= 0, got ",
               c.n_head_kv);
  LLMKIT_CHECK(c.head_dim >= 0, p, "head_dim must be >= 0 (0: n_embd / n_head), got ", c.head_dim);
  if (c.head_dim == 0) {
    LLMKIT_CHECK(c.n_embd % c.n_head == 0, p, "n_embd (hidden_size) ", c.n_embd,
                 " is not divisible by n_head (num_attention_heads) ", c.n_head,
                 "; set head_dim explicitly");
  }
  const ModelConfig r = resolve(c);
  LLMKIT_CHECK(r.n_head % r.n_head_kv == 0, p, "n_head (num_attention_heads) ", r.n_head,
               " is not a multiple of n_head_kv (num_key_value_heads) ", r.n_head_kv);
  LLMKIT_CHECK(r.head_dim % 2 == 0, p, "head_dim ", r.head_dim,
               " must be even (RoPE rotates pairs of dimensions)");
  LLMKIT_CHECK(std::isfinite(c.norm_eps) && c.norm_eps > 0.0f, p,
               "norm_eps (rms_norm_eps) must be positive, got ", c.norm_eps);
  LLMKIT_CHECK(std::isfinite(c.rope_theta) && c.rope_theta > 0.0f, p,
               "rope_theta must be positive, got ", c.rope_theta);
  LLMKIT_CHECK(std::isfinite(c.rope_theta_local) && c.rope_theta_local > 0.0f, p,
               "rope_theta_local (rope_local_base_freq) must be positive, got ",
               c.rope_theta_local);
  LLMKIT_CHECK(c.sliding_window >= 0, p, "sliding_window must be >= 0 (0: none), got ",
               c.sliding_window);
  LLMKIT_CHECK(c.sliding_window_pattern >= 0, p, "sliding_window_pattern must be >= 0, got ",
               c.sliding_window_pattern);
  if (c.sliding_window > 0) {
    LLMKIT_CHECK(c.sliding_window_pattern >= 1, p,
                 "sliding_window_pattern must be >= 1 when sliding_window is set (layer i is local "
                 "unless (i + 1) % pattern == 0), got ",
                 c.sliding_window_pattern);
  }
  LLMKIT_CHECK(std::isfinite(c.attn_softcap) && c.attn_softcap >= 0.0f, p,
               "attn_softcap (attn_logit_softcapping) must be >= 0 (0: none), got ",
               c.attn_softcap);
  LLMKIT_CHECK(std::isfinite(c.final_softcap) && c.final_softcap >= 0.0f, p,
               "final_softcap (final_logit_softcapping) must be >= 0 (0: none), got ",
               c.final_softcap);
  LLMKIT_CHECK(std::isfinite(c.query_pre_attn_scalar) && c.query_pre_attn_scalar >= 0.0f, p,
               "query_pre_attn_scalar must be >= 0 (0: head_dim), got ", c.query_pre_attn_scalar);
  if (c.rope_scaling != RopeScaling::kNone) {
    LLMKIT_CHECK(std::isfinite(c.rope_scaling_factor) && c.rope_scaling_factor > 0.0f, p,
                 "rope_scaling_factor must be positive, got ", c.rope_scaling_factor);
  }
  if (c.rope_scaling == RopeScaling::kLlama3) {
    LLMKIT_CHECK(c.rope_original_ctx > 0, p,
                 "rope_original_ctx (original_max_position_embeddings) must be positive for llama3 "
                 "RoPE scaling, got ",
                 c.rope_original_ctx);
    LLMKIT_CHECK(c.rope_low_freq_factor > 0.0f && c.rope_high_freq_factor > c.rope_low_freq_factor,
                 p, "llama3 RoPE scaling needs 0 < low_freq_factor < high_freq_factor, got ",
                 c.rope_low_freq_factor, " and ", c.rope_high_freq_factor);
  }
  auto token = [&](int64_t id, const char* name) {
    LLMKIT_CHECK(id >= -1 && id < c.n_vocab, p, name, " ", id, " is outside the vocabulary [0, ",
                 c.n_vocab, ") (-1: none)");
  };
  token(c.bos_id, "bos_id (bos_token_id)");
  token(c.eos_id, "eos_id (eos_token_id)");
  token(c.pad_id, "pad_id (pad_token_id)");
  LLMKIT_CHECK(std::isfinite(c.init_std) && c.init_std > 0.0f, p,
               "init_std (initializer_range) must be positive, got ", c.init_std);
  arch_traits(c.arch).validate(c, p);
}

bool is_local_layer(const ModelConfig& config, int64_t layer) {
  return config.sliding_window > 0 && config.sliding_window_pattern > 0 &&
         (layer + 1) % config.sliding_window_pattern != 0;
}

float layer_rope_theta(const ModelConfig& config, int64_t layer) {
  return config.arch == Arch::kGemma3 && is_local_layer(config, layer) ? config.rope_theta_local
                                                                       : config.rope_theta;
}

std::string describe_config(const ModelConfig& config) {
  std::ostringstream out;
  auto line = [&](const char* name, const std::string& value, const char* help) {
    out << "  " << std::left << std::setw(24) << name << "= " << std::setw(12) << value << " # "
        << help << "\n";
  };
  line("arch", arch_name(config.arch), "architecture");
#define LLMKIT_MODEL_CONFIG_PRINT(type, name, def, hf, gguf, help) \
  line(#name, format_value(config.name), help);
  LLMKIT_MODEL_CONFIG_FIELDS(LLMKIT_MODEL_CONFIG_PRINT)
#undef LLMKIT_MODEL_CONFIG_PRINT
  return out.str();
}

std::ostream& operator<<(std::ostream& out, const ModelConfig& config) {
  return out << describe_config(config);
}

}  // namespace llmkit::models
