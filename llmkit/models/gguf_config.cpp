// ModelConfig <-> GGUF metadata, with llama.cpp's meaning of each key (src/models/{gemma,gemma2,
// gemma3,llama}.cpp load_arch_hparams and src/llama-model.cpp load_hparams).
//
// Keys written and read (types as llama.cpp's loader demands them; it rejects any other type):
//   general.architecture (string)
//   {arch}.context_length, .embedding_length, .block_count, .feed_forward_length,
//   .attention.head_count, .attention.head_count_kv, .attention.key_length,
//   .attention.value_length, .vocab_size (u32); .attention.layer_norm_rms_epsilon,
//   .rope.freq_base (f32)
//   llama: .rope.dimension_count (u32, must equal head_dim in llama.cpp)
//   gemma2: .attention.sliding_window, .attention.sliding_window_pattern (u32),
//           .attn_logit_softcapping, .final_logit_softcapping (f32)
//   gemma3: .attention.sliding_window, .attention.sliding_window_pattern (u32),
//   .rope.freq_base_swa,
//           .final_logit_softcapping (f32) (each only when set)
//   linear RoPE scaling: .rope.scaling.type = "linear" (string), .rope.scaling.factor (f32)
//   llama3 RoPE scaling: no key (llama.cpp reads the factors from the rope_freqs.weight tensor);
//           .rope.scaling.original_context_length (u32) is written so llmkit can rebuild it
//   tokenizer.ggml.{bos,eos,padding}_token_id (u32) when the config sets them.
//
// llama.cpp's implicit facts, filled in by config_from_gguf when a key is absent:
//   - rope.freq_base 10000; head_count_kv = head_count; key_length = n_embd / n_head.
//   - gemma2: sliding window 4096, pattern 2 (layers 0, 2, 4, ... local), attention soft-cap 50,
//     final soft-cap 30 (always applied: gemma2 cannot express "no soft-cap" or "no window").
//   - gemma3: local layers only when .attention.sliding_window > 0, then pattern 6 (layer i global
//     when (i + 1) % 6 == 0) and local RoPE base 10000; no attention soft-cap.
//   - query scale (f_attention_scale): gemma2 with 46 layers and gemma3 with 62 layers (the 27B
//     shapes) scale queries by 1/sqrt(n_embd / n_head), every other model by 1/sqrt(head_dim).
//   - tie_embeddings: output.weight absent (gemma and gemma2 in llama.cpp always tie, so the
//     exporter refuses untied ones); n_vocab: the rows of token_embd.weight.
#include <algorithm>
#include <cmath>
#include <string>

#include "llmkit/base/error.h"
#include "llmkit/base/logging.h"
#include "llmkit/models/arch.h"
#include "llmkit/models/gguf_conventions.h"
#include "llmkit/models/model_file.h"
#include "llmkit/tensor/view.h"

namespace llmkit::models {
namespace {

using io::GgufValue;

std::string key(Arch arch, const char* suffix) {
  return str_cat(arch_name(arch), ".", suffix);
}

std::string supported_arch_list() {
  std::string s;
  for (Arch a : all_archs()) s += str_cat(s.empty() ? "" : ", ", arch_name(a));
  return s;
}

// An integer key that llama.cpp reads with get_key_or_arr: a scalar, or a per-layer array whose
// entries llmkit needs to be equal.
int64_t uniform_int(const io::GgufFile& f, const std::string& k) {
  const GgufValue& v = f.get(k);
  if (v.type() != io::GgufValueType::kArray) return v.as_int(k);
  const std::vector<int64_t> all = v.as_int_array(k);
  LLMKIT_CHECK_CODE(!all.empty(), ErrorCode::kCorruptData, f.path(), ": key ", k,
                    " is an empty array");
  for (int64_t x : all) {
    LLMKIT_CHECK_CODE(x == all[0], ErrorCode::kUnsupported, f.path(), ": key ", k,
                      " has per-layer values that differ (", all[0], " and ", x,
                      "); llmkit supports one value for all layers");
  }
  return all[0];
}

int64_t uniform_int_or(const io::GgufFile& f, const std::string& k, int64_t fallback) {
  return f.has(k) ? uniform_int(f, k) : fallback;
}

// The sliding-window pattern: a u32, or (newer llama.cpp files) a per-layer bool array "is local"
// that must follow llmkit's rule (layer i global when (i + 1) % pattern == 0).
int64_t window_pattern(const io::GgufFile& f, const std::string& k, int64_t fallback) {
  const GgufValue* v = f.find(k);
  if (v == nullptr) return fallback;
  if (v->type() != io::GgufValueType::kArray) return v->as_int(k);
  const std::vector<GgufValue>& e = v->elems(k);
  int64_t pattern = 0;
  for (size_t i = 0; i < e.size(); ++i) {
    if (!e[i].as_bool(k)) {
      pattern = static_cast<int64_t>(i) + 1;
      break;
    }
  }
  if (pattern == 0) pattern = static_cast<int64_t>(e.size()) + 1;  // all local
  for (size_t i = 0; i < e.size(); ++i) {
    const bool local = (static_cast<int64_t>(i) + 1) % pattern != 0;
    LLMKIT_CHECK_CODE(e[i].as_bool(k) == local, ErrorCode::kUnsupported, f.path(), ": key ", k,
                      " has an irregular local/global layer pattern; llmkit supports layer i "
                      "global when (i + 1) % pattern == 0");
  }
  return pattern;
}

void read_rope_scaling(const io::GgufFile& f, ModelConfig& c) {
  const std::string type = f.has(key(c.arch, "rope.scaling.type"))
                               ? f.get_string(key(c.arch, "rope.scaling.type"))
                               : std::string("none");
  double factor = f.get_float_or(key(c.arch, "rope.scaling.factor"), 0.0);
  if (factor == 0.0) factor = f.get_float_or(key(c.arch, "rope.scale_linear"), 0.0);
  c.rope_original_ctx = f.get_int_or(key(c.arch, "rope.scaling.original_context_length"), 0);
  if (type == "linear" && factor != 0.0) {
    c.rope_scaling = RopeScaling::kLinear;
    c.rope_scaling_factor = static_cast<float>(factor);
  } else if (type != "none" && type != "linear") {
    throw_error(ErrorCode::kUnsupported,
                str_cat(f.path(), ": RoPE scaling '", type,
                        "' is not supported (llmkit reads none, linear, and llama3 from "
                        "rope_freqs.weight)"));
  }
  const io::GgufTensorInfo* freqs = f.find_tensor("rope_freqs.weight");
  if (c.arch != Arch::kLlama || freqs == nullptr) return;
  // Llama 3: llama.cpp stores per-frequency divisors instead of the parameters. Rebuild them with
  // Meta's low/high frequency factors (1, 4) and check that they reproduce the tensor.
  const Tensor t = f.tensor("rope_freqs.weight");
  const std::vector<float> stored = ops::to_dtype(t, DType::kF32).to_vector();
  ModelConfig r = resolve(c);
  LLMKIT_CHECK_CODE(static_cast<int64_t>(stored.size()) == r.head_dim / 2, ErrorCode::kCorruptData,
                    f.path(), ": rope_freqs.weight has ", stored.size(),
                    " values but head_dim / 2 is ", r.head_dim / 2);
  float max_factor = 1.0f;
  for (float x : stored) max_factor = std::max(max_factor, x);
  r.rope_scaling = RopeScaling::kLlama3;
  r.rope_scaling_factor = max_factor;
  r.rope_low_freq_factor = 1.0f;
  r.rope_high_freq_factor = 4.0f;
  if (r.rope_original_ctx == 0) r.rope_original_ctx = 8192;
  const std::vector<float> rebuilt = llama3_rope_factors(r);
  for (size_t i = 0; i < stored.size(); ++i) {
    LLMKIT_CHECK_CODE(std::fabs(rebuilt[i] - stored[i]) <= 1e-3f * std::fabs(stored[i]),
                      ErrorCode::kUnsupported, f.path(), ": rope_freqs.weight[", i,
                      "] = ", stored[i], " does not match llama3 RoPE scaling with factor ",
                      max_factor, ", low/high frequency factors 1/4 and original context ",
                      r.rope_original_ctx, " (", rebuilt[i], "); other factors are unsupported");
  }
  c.rope_scaling = r.rope_scaling;
  c.rope_scaling_factor = r.rope_scaling_factor;
  c.rope_low_freq_factor = r.rope_low_freq_factor;
  c.rope_high_freq_factor = r.rope_high_freq_factor;
  c.rope_original_ctx = r.rope_original_ctx;
}

int64_t token_id(const io::GgufFile& f, const char* k, int64_t n_vocab) {
  const int64_t id = f.get_int_or(k, -1);
  if (id >= n_vocab) {
    LLMKIT_LOG(kWarn, f.path(), ": ", k, " = ", id, " is outside the vocabulary of ", n_vocab,
               "; ignored");
    return -1;
  }
  return id;
}

}  // namespace

float gguf_query_pre_attn_scalar(const ModelConfig& config) {
  const ModelConfig c = resolve(config);
  const bool big =
      (c.arch == Arch::kGemma2 && c.n_layer == 46) || (c.arch == Arch::kGemma3 && c.n_layer == 62);
  // llama.cpp divides unsigned integers: n_embd / n_head truncates.
  return static_cast<float>(big ? c.n_embd / c.n_head : c.head_dim);
}

std::vector<float> llama3_rope_factors(const ModelConfig& config) {
  const ModelConfig c = resolve(config);
  const double pi = 3.14159265358979323846;
  const double old_ctx = static_cast<double>(c.rope_original_ctx);
  const double low_wavelen = old_ctx / c.rope_low_freq_factor;
  const double high_wavelen = old_ctx / c.rope_high_freq_factor;
  std::vector<float> out;
  for (int64_t i = 0; i < c.head_dim; i += 2) {
    // The converter computes the frequencies in f32: base ** (i / D) then 1 / that.
    const float exponent = static_cast<float>(i) / static_cast<float>(c.head_dim);
    const float freq = 1.0f / std::pow(c.rope_theta, exponent);
    const double wavelen = 2.0 * pi / freq;
    double factor;
    if (wavelen < high_wavelen) {
      factor = 1.0;
    } else if (wavelen > low_wavelen) {
      factor = c.rope_scaling_factor;
    } else {
      const double smooth = (old_ctx / wavelen - c.rope_low_freq_factor) /
                            (c.rope_high_freq_factor - c.rope_low_freq_factor);
      factor = 1.0 / ((1.0 - smooth) / c.rope_scaling_factor + smooth);
    }
    out.push_back(static_cast<float>(factor));
  }
  return out;
}

ModelConfig config_from_gguf(const io::GgufFile& f) {
  const std::string& path = f.path();
  const std::string name = f.get_string("general.architecture");
  Arch arch{};
  bool known = false;
  for (Arch a : all_archs()) {
    if (name == arch_name(a)) {
      arch = a;
      known = true;
    }
  }
  LLMKIT_CHECK_CODE(known, ErrorCode::kUnsupported, path, ": architecture '", name,
                    "' is not supported (llmkit runs ", supported_arch_list(), ")");
  ModelConfig c;
  c.arch = arch;
  c.n_ctx = f.get_int(key(arch, "context_length"));
  c.n_embd = f.get_int(key(arch, "embedding_length"));
  c.n_layer = f.get_int(key(arch, "block_count"));
  c.n_ff = uniform_int(f, key(arch, "feed_forward_length"));
  c.n_head = uniform_int(f, key(arch, "attention.head_count"));
  c.n_head_kv = uniform_int_or(f, key(arch, "attention.head_count_kv"), c.n_head);
  LLMKIT_CHECK_CODE(c.n_head > 0, ErrorCode::kCorruptData, path, ": ",
                    key(arch, "attention.head_count"), " must be positive, got ", c.n_head);
  c.head_dim = f.get_int_or(key(arch, "attention.key_length"), c.n_embd / c.n_head);
  const int64_t value_length = f.get_int_or(key(arch, "attention.value_length"), c.head_dim);
  LLMKIT_CHECK_CODE(value_length == c.head_dim, ErrorCode::kUnsupported, path, ": value length ",
                    value_length, " differs from key length ", c.head_dim,
                    "; llmkit needs them equal");
  const int64_t n_rot = f.get_int_or(key(arch, "rope.dimension_count"), c.head_dim);
  LLMKIT_CHECK_CODE(n_rot == c.head_dim, ErrorCode::kUnsupported, path, ": ",
                    key(arch, "rope.dimension_count"), " ", n_rot, " differs from head_dim ",
                    c.head_dim, " (partial RoPE is not supported)");
  c.norm_eps = static_cast<float>(f.get_float(key(arch, "attention.layer_norm_rms_epsilon")));
  c.rope_theta = static_cast<float>(f.get_float_or(key(arch, "rope.freq_base"), 10000.0));
  read_rope_scaling(f, c);

  const std::string window_key = key(arch, "attention.sliding_window");
  const std::string pattern_key = key(arch, "attention.sliding_window_pattern");
  if (arch == Arch::kGemma2) {
    c.sliding_window = f.get_int_or(window_key, 4096);
    c.sliding_window_pattern = window_pattern(f, pattern_key, 2);
    c.attn_softcap = static_cast<float>(f.get_float_or(key(arch, "attn_logit_softcapping"), 50.0));
    c.final_softcap =
        static_cast<float>(f.get_float_or(key(arch, "final_logit_softcapping"), 30.0));
    const double swa_base = f.get_float_or(key(arch, "rope.freq_base_swa"), c.rope_theta);
    LLMKIT_CHECK_CODE(static_cast<float>(swa_base) == c.rope_theta, ErrorCode::kUnsupported, path,
                      ": gemma2 with a local RoPE base (", swa_base,
                      ") different from the global one is not supported");
  } else if (arch == Arch::kGemma3) {
    c.sliding_window = std::max<int64_t>(0, f.get_int_or(window_key, 0));
    c.sliding_window_pattern = window_pattern(f, pattern_key, c.sliding_window > 0 ? 6 : 0);
    c.rope_theta_local = static_cast<float>(f.get_float_or(key(arch, "rope.freq_base_swa"), 1e4));
    c.final_softcap = static_cast<float>(f.get_float_or(key(arch, "final_logit_softcapping"), 0.0));
  }

  const io::GgufTensorInfo& embd = f.tensor_info("token_embd.weight");
  LLMKIT_CHECK_CODE(embd.ne.size() == 2, ErrorCode::kCorruptData, path, ": token_embd.weight has ",
                    embd.ne.size(), " dimensions, expected 2");
  c.n_vocab = embd.ne[1];
  const int64_t vocab_key = f.get_int_or(key(arch, "vocab_size"), c.n_vocab);
  LLMKIT_CHECK_CODE(vocab_key == c.n_vocab, ErrorCode::kCorruptData, path, ": ",
                    key(arch, "vocab_size"), " ", vocab_key, " contradicts token_embd.weight's ",
                    c.n_vocab, " rows");
  c.tie_embeddings = f.find_tensor("output.weight") == nullptr;
  c.bos_id = token_id(f, "tokenizer.ggml.bos_token_id", c.n_vocab);
  c.eos_id = token_id(f, "tokenizer.ggml.eos_token_id", c.n_vocab);
  c.pad_id = token_id(f, "tokenizer.ggml.padding_token_id", c.n_vocab);
  c.query_pre_attn_scalar = gguf_query_pre_attn_scalar(c);
  validate(c, path);
  return resolve(c);
}

void add_config_to_gguf(const ModelConfig& config, io::GgufWriter& w) {
  validate(config);
  const ModelConfig c = resolve(config);
  const Arch a = c.arch;
  const char* an = arch_name(a);
  auto u32 = [](int64_t v) { return GgufValue::u32(static_cast<uint32_t>(v)); };
  LLMKIT_CHECK_CODE(c.query_pre_attn_scalar == gguf_query_pre_attn_scalar(c),
                    ErrorCode::kUnsupported, an, " with query_pre_attn_scalar ",
                    c.query_pre_attn_scalar, " cannot be exported: llama.cpp scales queries by ",
                    "1/sqrt(", gguf_query_pre_attn_scalar(c), ") for this shape (see ",
                    "gguf_conventions.h)");
  LLMKIT_CHECK_CODE(c.rope_scaling != RopeScaling::kLlama3 || a == Arch::kLlama,
                    ErrorCode::kUnsupported, an,
                    " with llama3 RoPE scaling cannot be exported (llama.cpp reads it only for "
                    "llama)");
  LLMKIT_CHECK_CODE(c.tie_embeddings || a == Arch::kGemma3 || a == Arch::kLlama,
                    ErrorCode::kUnsupported, an,
                    " with an untied output.weight cannot be exported: llama.cpp's ", an,
                    " always uses token_embd.weight as the output projection");
  if (a == Arch::kGemma2) {
    LLMKIT_CHECK_CODE(c.attn_softcap > 0.0f && c.final_softcap > 0.0f && c.sliding_window > 0,
                      ErrorCode::kUnsupported,
                      "gemma2 without attention soft-cap, final soft-cap or sliding window cannot "
                      "be exported: llama.cpp always applies them (attn_softcap ",
                      c.attn_softcap, ", final_softcap ", c.final_softcap, ", sliding_window ",
                      c.sliding_window, ")");
  }
  w.set("general.architecture", GgufValue::string(an));
  w.set(key(a, "vocab_size"), u32(c.n_vocab));
  w.set(key(a, "context_length"), u32(c.n_ctx));
  w.set(key(a, "embedding_length"), u32(c.n_embd));
  w.set(key(a, "block_count"), u32(c.n_layer));
  w.set(key(a, "feed_forward_length"), u32(c.n_ff));
  w.set(key(a, "attention.head_count"), u32(c.n_head));
  w.set(key(a, "attention.head_count_kv"), u32(c.n_head_kv));
  w.set(key(a, "attention.key_length"), u32(c.head_dim));
  w.set(key(a, "attention.value_length"), u32(c.head_dim));
  w.set(key(a, "attention.layer_norm_rms_epsilon"), GgufValue::f32(c.norm_eps));
  w.set(key(a, "rope.freq_base"), GgufValue::f32(c.rope_theta));
  if (a == Arch::kLlama) w.set(key(a, "rope.dimension_count"), u32(c.head_dim));
  if (c.rope_scaling == RopeScaling::kLinear) {
    w.set(key(a, "rope.scaling.type"), GgufValue::string("linear"));
    w.set(key(a, "rope.scaling.factor"), GgufValue::f32(c.rope_scaling_factor));
  }
  if (c.rope_scaling == RopeScaling::kLlama3) {
    w.set(key(a, "rope.scaling.original_context_length"), u32(c.rope_original_ctx));
  }
  if (a == Arch::kGemma2) {
    w.set(key(a, "attention.sliding_window"), u32(c.sliding_window));
    w.set(key(a, "attention.sliding_window_pattern"), u32(c.sliding_window_pattern));
    w.set(key(a, "attn_logit_softcapping"), GgufValue::f32(c.attn_softcap));
    w.set(key(a, "final_logit_softcapping"), GgufValue::f32(c.final_softcap));
  }
  if (a == Arch::kGemma3) {
    if (c.sliding_window > 0) {
      w.set(key(a, "attention.sliding_window"), u32(c.sliding_window));
      w.set(key(a, "rope.freq_base_swa"), GgufValue::f32(c.rope_theta_local));
    }
    if (c.sliding_window_pattern > 0) {
      w.set(key(a, "attention.sliding_window_pattern"), u32(c.sliding_window_pattern));
    }
    if (c.final_softcap > 0.0f) {
      w.set(key(a, "final_logit_softcapping"), GgufValue::f32(c.final_softcap));
    }
  }
  if (c.bos_id >= 0) w.set("tokenizer.ggml.bos_token_id", u32(c.bos_id));
  if (c.eos_id >= 0) w.set("tokenizer.ggml.eos_token_id", u32(c.eos_id));
  if (c.pad_id >= 0) w.set("tokenizer.ggml.padding_token_id", u32(c.pad_id));
}

}  // namespace llmkit::models
