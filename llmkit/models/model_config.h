// ModelConfig: the hyper-parameters of a decoder-only Transformer LM in the Gemma, Gemma 2,
// Gemma 3 and Llama families.
//
// One field list (LLMKIT_MODEL_CONFIG_FIELDS below) drives everything that names a field: the
// struct members and their defaults, Hugging Face config.json reading and writing (to_json /
// config_from_json), the GGUF metadata key table (config_fields(), for the GGUF reader and
// writer), and the printer (describe_config). Architecture-specific behaviour (which norms, which
// activation, which layers are local) lives in one file per architecture (gemma.cpp, gemma2.cpp,
// gemma3.cpp, llama.cpp); see arch.h and docs/models.md.
//
// Conventions: a size of 0 for n_head_kv / head_dim / query_pre_attn_scalar means "derived"
// (n_head, n_embd / n_head, head_dim); 0 for sliding_window and the soft-caps means "none"; -1
// for a token id means "none". resolve() fills in the derived values; validate() throws
// Error(kInvalidArgument) naming the first inconsistent field.
#pragma once

#include <cstdint>
#include <nlohmann/json_fwd.hpp>
#include <ostream>
#include <string>
#include <variant>
#include <vector>

namespace llmkit::models {

enum class Arch { kGemma, kGemma2, kGemma3, kLlama };

// "gemma", "gemma2", "gemma3", "llama" (also the GGUF general.architecture values).
const char* arch_name(Arch arch);
// Inverse of arch_name; throws Error(kInvalidArgument) listing the valid names.
Arch parse_arch(const std::string& name);
const std::vector<Arch>& all_archs();

// RoPE frequency scaling as in HF's rope_scaling.rope_type. Recorded for fidelity to published
// configs (Llama 3.2 uses "llama3", Gemma 3 4B+ "linear" on global layers); the trainable graph
// does not apply it yet (see docs/models.md), TransformerLM logs a warning when it is set.
enum class RopeScaling { kNone, kLinear, kLlama3 };
const char* rope_scaling_name(RopeScaling scaling);  // "none", "linear", "llama3"

// X(type, name, default, hf_key, gguf_key, help)
//   hf_key: the config.json key; a dotted key ("rope_scaling.factor") lives in a nested object.
//   gguf_key: the GGUF metadata key, "{arch}" standing for the architecture name; "" when GGUF
//   has no key for it (the GGUF reader derives it, e.g. tie_embeddings from output.weight).
#define LLMKIT_MODEL_CONFIG_FIELDS(X)                                                           \
  X(int64_t, n_vocab, 0, "vocab_size", "{arch}.vocab_size", "vocabulary size V")                \
  X(int64_t, n_ctx, 0, "max_position_embeddings", "{arch}.context_length",                      \
    "longest sequence the model is meant for")                                                  \
  X(int64_t, n_embd, 0, "hidden_size", "{arch}.embedding_length", "residual width C")           \
  X(int64_t, n_layer, 0, "num_hidden_layers", "{arch}.block_count", "number of blocks")         \
  X(int64_t, n_head, 0, "num_attention_heads", "{arch}.attention.head_count", "query heads H")  \
  X(int64_t, n_head_kv, 0, "num_key_value_heads", "{arch}.attention.head_count_kv",             \
    "key/value heads (0: n_head)")                                                              \
  X(int64_t, head_dim, 0, "head_dim", "{arch}.attention.key_length",                            \
    "head dimension D (0: n_embd / n_head)")                                                    \
  X(int64_t, n_ff, 0, "intermediate_size", "{arch}.feed_forward_length", "MLP hidden width")    \
  X(float, norm_eps, 1e-6f, "rms_norm_eps", "{arch}.attention.layer_norm_rms_epsilon",          \
    "RMSNorm epsilon")                                                                          \
  X(float, rope_theta, 10000.0f, "rope_theta", "{arch}.rope.freq_base",                         \
    "RoPE base of global layers")                                                               \
  X(float, rope_theta_local, 10000.0f, "rope_local_base_freq", "{arch}.rope.freq_base_swa",     \
    "RoPE base of local (sliding-window) layers, gemma3")                                       \
  X(int64_t, sliding_window, 0, "sliding_window", "{arch}.attention.sliding_window",            \
    "window of local layers in tokens (0: no local layers)")                                    \
  X(int64_t, sliding_window_pattern, 0, "sliding_window_pattern",                               \
    "{arch}.attention.sliding_window_pattern",                                                  \
    "layer i is local unless (i + 1) % pattern == 0 (gemma2: 2, gemma3: 6)")                    \
  X(float, attn_softcap, 0.0f, "attn_logit_softcapping", "{arch}.attn_logit_softcapping",       \
    "attention-logit soft-cap (0: none)")                                                       \
  X(float, final_softcap, 0.0f, "final_logit_softcapping", "{arch}.final_logit_softcapping",    \
    "final-logit soft-cap (0: none)")                                                           \
  X(float, query_pre_attn_scalar, 0.0f, "query_pre_attn_scalar", "",                            \
    "queries scaled by 1/sqrt(this) (0: head_dim)")                                             \
  X(RopeScaling, rope_scaling, RopeScaling::kNone, "rope_scaling.rope_type",                    \
    "{arch}.rope.scaling.type", "RoPE frequency scaling (none, linear, llama3)")                \
  X(float, rope_scaling_factor, 1.0f, "rope_scaling.factor", "{arch}.rope.scaling.factor",      \
    "RoPE scaling factor")                                                                      \
  X(float, rope_low_freq_factor, 1.0f, "rope_scaling.low_freq_factor", "",                      \
    "llama3 RoPE scaling: low-frequency factor")                                                \
  X(float, rope_high_freq_factor, 4.0f, "rope_scaling.high_freq_factor", "",                    \
    "llama3 RoPE scaling: high-frequency factor")                                               \
  X(int64_t, rope_original_ctx, 0, "rope_scaling.original_max_position_embeddings",             \
    "{arch}.rope.scaling.original_context_length", "RoPE scaling: pre-training context")        \
  X(bool, tie_embeddings, true, "tie_word_embeddings", "",                                      \
    "output projection shares token_embd.weight")                                               \
  X(int64_t, bos_id, -1, "bos_token_id", "tokenizer.ggml.bos_token_id", "BOS token (-1: none)") \
  X(int64_t, eos_id, -1, "eos_token_id", "tokenizer.ggml.eos_token_id", "EOS token (-1: none)") \
  X(int64_t, pad_id, -1, "pad_token_id", "tokenizer.ggml.padding_token_id",                     \
    "padding token (-1: none)")                                                                 \
  X(float, init_std, 0.02f, "initializer_range", "", "std of the random initialisation")

struct ModelConfig {
  Arch arch = Arch::kGemma3;
#define LLMKIT_MODEL_CONFIG_MEMBER(type, name, def, hf, gguf, help) type name = def;
  LLMKIT_MODEL_CONFIG_FIELDS(LLMKIT_MODEL_CONFIG_MEMBER)
#undef LLMKIT_MODEL_CONFIG_MEMBER

  bool operator==(const ModelConfig&) const = default;
};

// ---- validation and derived values

// A copy with n_head_kv, head_dim and query_pre_attn_scalar made explicit. Does not validate.
ModelConfig resolve(const ModelConfig& config);
// Throws Error(kInvalidArgument) naming the field (and `source`, e.g. a file name, when given) for
// non-positive sizes, n_embd % n_head != 0 when head_dim is derived, n_head % n_head_kv != 0, an
// odd head_dim, out-of-range token ids, and settings the architecture does not use.
void validate(const ModelConfig& config, const std::string& source = "");

// Layer `layer` (0-based) uses sliding-window attention.
bool is_local_layer(const ModelConfig& config, int64_t layer);
// The RoPE base of that layer (rope_theta_local on gemma3 local layers, else rope_theta).
float layer_rope_theta(const ModelConfig& config, int64_t layer);

// ---- JSON (Hugging Face config.json names)

// The config as a config.json object (resolved values, HF key names, model_type and
// architectures, plus an "llmkit" object with the llmkit-only facts).
nlohmann::ordered_json to_json(const ModelConfig& config);
// Reads a config.json object. model_type (or architectures) selects the architecture; a Gemma 3
// multimodal config ("gemma3" with a "text_config") is read from its text_config. Missing
// optional keys take the architecture's Hugging Face defaults; vocab_size, hidden_size,
// num_hidden_layers, num_attention_heads and intermediate_size are required. Also understood:
// layer_types (turned into sliding_window_pattern), rope_parameters (transformers 5), an
// eos_token_id list (its first entry). Throws Error(kInvalidArgument) naming `source` and the key
// for a wrong type, kNotFound for a missing required key, kUnsupported for features llmkit does not
// implement (attention_bias, an activation other than the architecture's, irregular layer_types).
// The result is validated and resolved.
ModelConfig config_from_json(const nlohmann::ordered_json& json, const std::string& source = "");

// Text helpers and files (written atomically).
std::string config_to_json_string(const ModelConfig& config);
ModelConfig config_from_json_string(const std::string& text, const std::string& source = "");
void save_config(const ModelConfig& config, const std::string& path);
ModelConfig load_config(const std::string& path);

// ---- the field table (GGUF metadata names and reflection)

// A field value as GGUF stores it: integers, floats, bools and strings.
using FieldValue = std::variant<int64_t, double, bool, std::string>;

struct ConfigField {
  const char* name;      // "n_embd" ("arch" for the architecture)
  const char* hf_key;    // "hidden_size"
  const char* gguf_key;  // "{arch}.embedding_length" or "" (no GGUF key)
  const char* help;
  FieldValue (*get)(const ModelConfig&);
  // Converts (integral doubles to integers, numbers to floats, names to enums); throws
  // Error(kInvalidArgument) naming the field for a value of the wrong kind.
  void (*set)(ModelConfig&, const FieldValue&);
};
// Every field, "arch" (GGUF general.architecture) first, then the list above in order.
const std::vector<ConfigField>& config_fields();
// gguf_key with "{arch}" replaced: gguf_key(field, Arch::kGemma3) == "gemma3.embedding_length".
std::string gguf_key(const ConfigField& field, Arch arch);
// The field of that llmkit name; throws Error(kNotFound).
const ConfigField& config_field(const std::string& name);

// ---- printing

// One "name = value" line per field, with its help text.
std::string describe_config(const ModelConfig& config);
std::ostream& operator<<(std::ostream& out, const ModelConfig& config);

}  // namespace llmkit::models
