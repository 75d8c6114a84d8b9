// ModelConfig <-> Hugging Face config.json, driven by the field list of model_config.h.
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <nlohmann/json.hpp>
#include <set>
#include <string_view>

#include "llmkit/base/atomic_file.h"
#include "llmkit/base/error.h"
#include "llmkit/models/arch.h"
#include "llmkit/models/model_config.h"

namespace llmkit::models {
namespace {

using Json = nlohmann::ordered_json;

std::string prefix(const std::string& source) {
  return source.empty() ? std::string("model config: ") : source + ": ";
}

// Fields whose "none" value (0, or -1 for token ids) is written as JSON null, as HF does.
bool is_nullable(std::string_view name) {
  return name == "sliding_window" || name == "attn_softcap" || name == "final_softcap" ||
         name == "bos_id" || name == "eos_id" || name == "pad_id";
}

// Fields a config.json must have: the sizes that have no sensible default.
bool is_required(std::string_view name) {
  return name == "n_vocab" || name == "n_embd" || name == "n_layer" || name == "n_head" ||
         name == "n_ff";
}

bool in_rope_group(std::string_view hf_key) {
  return hf_key.starts_with("rope_scaling.");
}

// ---- writing

Json json_value(int64_t v) {
  return v;
}
// Floats are written with the shortest decimal that reads back as the same float (1e-06, not
// 9.99999997e-07), so config.json stays as readable as the published ones.
Json json_value(float v) {
  char buf[64];
  auto res = std::to_chars(buf, buf + sizeof(buf), v);
  *res.ptr = '\0';
  return std::strtod(buf, nullptr);
}
Json json_value(bool v) {
  return v;
}
Json json_value(RopeScaling v) {
  return rope_scaling_name(v);
}

bool is_none_value(int64_t v, std::string_view name) {
  return name.ends_with("_id") ? v == -1 : v == 0;
}
bool is_none_value(float v, std::string_view) {
  return v == 0.0f;
}
bool is_none_value(bool, std::string_view) {
  return false;
}
bool is_none_value(RopeScaling v, std::string_view) {
  return v == RopeScaling::kNone;
}

// Writes value at a possibly dotted key ("rope_scaling.factor" -> j["rope_scaling"]["factor"]).
void put(Json& j, std::string_view key, Json value) {
  auto dot = key.find('.');
  if (dot == std::string_view::npos) {
    j[std::string(key)] = std::move(value);
    return;
  }
  Json& parent = j[std::string(key.substr(0, dot))];
  if (!parent.is_object()) parent = Json::object();
  put(parent, key.substr(dot + 1), std::move(value));
}

// Which rope_scaling keys a scaling type has in HF configs.
bool rope_key_wanted(RopeScaling scaling, std::string_view name) {
  if (scaling == RopeScaling::kNone) return false;
  if (name == "rope_scaling" || name == "rope_scaling_factor") return true;
  return scaling == RopeScaling::kLlama3;
}

// ---- reading

// The value at a possibly dotted key, or nullptr when absent.
const Json* find(const Json& j, std::string_view key) {
  if (!j.is_object()) return nullptr;
  auto dot = key.find('.');
  auto it = j.find(std::string(key.substr(0, dot)));
  if (it == j.end()) return nullptr;
  if (dot == std::string_view::npos) return &*it;
  return find(*it, key.substr(dot + 1));
}

[[noreturn]] void wrong_type(const std::string& p, std::string_view key, const char* want,
                             const Json& v) {
  throw_error(ErrorCode::kInvalidArgument,
              str_cat(p, "'", key, "' must be ", want, ", got ", v.dump()));
}

void read_value(const Json& v, int64_t* out, const std::string& p, std::string_view key) {
  const Json* x = &v;
  // eos_token_id may be a list (Llama 3.2 Instruct: [128001, 128008, 128009]): take the first.
  if (x->is_array() && key.ends_with("token_id") && !x->empty()) x = &(*x)[0];
  if (x->is_number_integer()) {
    *out = x->get<int64_t>();
  } else if (x->is_number_float() && std::floor(x->get<double>()) == x->get<double>() &&
             std::fabs(x->get<double>()) < 9e15) {
    *out = static_cast<int64_t>(x->get<double>());
  } else {
    wrong_type(p, key, "an integer", v);
  }
}
void read_value(const Json& v, float* out, const std::string& p, std::string_view key) {
  if (!v.is_number()) wrong_type(p, key, "a number", v);
  *out = static_cast<float>(v.get<double>());
}
void read_value(const Json& v, bool* out, const std::string& p, std::string_view key) {
  if (!v.is_boolean()) wrong_type(p, key, "true or false", v);
  *out = v.get<bool>();
}
void read_value(const Json& v, RopeScaling* out, const std::string& p, std::string_view key) {
  if (!v.is_string()) wrong_type(p, key, "a RoPE type name", v);
  ModelConfig tmp;
  try {
    config_field("rope_scaling").set(tmp, v.get<std::string>());
  } catch (const Error& e) {
    throw_error(e.code(), str_cat(p, "'", key, "': ", e.what()));
  }
  *out = tmp.rope_scaling;
}

template <typename T>
void read_field(const Json& j, const Json& outer, const char* hf_key, const char* name, T* out,
                const std::string& p) {
  const Json* v = find(j, hf_key);
  if (v == nullptr && &outer != &j) v = find(outer, hf_key);  // e.g. ids outside text_config
  if (v == nullptr) {
    LLMKIT_CHECK_CODE(!is_required(name), ErrorCode::kNotFound, p, "required key '", hf_key, "' (",
                      name, ") is missing");
    return;
  }
  if (v->is_null()) {
    if (is_nullable(name)) *out = T{};
    if constexpr (std::is_same_v<T, int64_t>) {
      if (is_nullable(name) && std::string_view(name).ends_with("_id")) *out = -1;
    }
    return;
  }
  read_value(*v, out, p, hf_key);
}

Arch detect_arch(const Json& top, const Json& text, const std::string& p) {
  auto model_type = [](const Json& j) -> std::string {
    auto it = j.find("model_type");
    return it != j.end() && it->is_string() ? it->get<std::string>() : "";
  };
  for (const std::string& type : {model_type(text), model_type(top)}) {
    if (type.empty()) continue;
    if (type == "gemma3") return Arch::kGemma3;  // the multimodal wrapper
    for (Arch a : all_archs()) {
      if (type == arch_traits(a).hf_model_type) return a;
    }
    throw_error(ErrorCode::kUnsupported,
                str_cat(p, "model_type '", type,
                        "' is not supported (llmkit reads gemma, gemma2, gemma3_text, llama)"));
  }
  if (auto it = top.find("architectures");
      it != top.end() && it->is_array() && !it->empty() && (*it)[0].is_string()) {
    std::string name = (*it)[0].get<std::string>();
    if (name == "Gemma3ForConditionalGeneration") return Arch::kGemma3;
    for (Arch a : all_archs()) {
      if (name == arch_traits(a).hf_architecture) return a;
    }
    throw_error(ErrorCode::kUnsupported, str_cat(p, "architecture '", name, "' is not supported"));
  }
  if (const Json* a = find(top, "llmkit.arch"); a != nullptr && a->is_string()) {
    return parse_arch(a->get<std::string>());
  }
  throw_error(ErrorCode::kInvalidArgument,
              str_cat(p, "no model_type or architectures key says which architecture this is"));
}

// layer_types ["sliding_attention", ..., "full_attention"] -> the period of the global layers.
int64_t pattern_from_layer_types(const Json& types, int64_t n_layer, const std::string& p) {
  LLMKIT_CHECK(types.is_array() && static_cast<int64_t>(types.size()) == n_layer, p,
               "'layer_types' must list one type per layer (", n_layer, "), got ", types.dump());
  std::vector<bool> global;
  for (const Json& t : types) {
    std::string s = t.is_string() ? t.get<std::string>() : t.dump();
    LLMKIT_CHECK_CODE(s == "full_attention" || s == "sliding_attention", ErrorCode::kUnsupported, p,
                      "layer type '", s, "' is not supported (full_attention, sliding_attention)");
    global.push_back(s == "full_attention");
  }
  int64_t first_global = -1;
  for (int64_t i = 0; i < n_layer; ++i) {
    if (global[i]) {
      first_global = i;
      break;
    }
  }
  // All local: a period longer than the model. All global: period 1.
  int64_t period = first_global < 0 ? n_layer + 1 : first_global + 1;
  for (int64_t i = 0; i < n_layer; ++i) {
    LLMKIT_CHECK_CODE(global[i] == ((i + 1) % period == 0), ErrorCode::kUnsupported, p,
                      "'layer_types' is not periodic (llmkit describes it by "
                      "sliding_window_pattern: layer i is global when (i + 1) % pattern == 0): ",
                      types.dump());
  }
  return period;
}

// transformers 5 writes RoPE settings as rope_parameters, per layer type for Gemma 3.
void read_rope_parameters(const Json& rp, ModelConfig& c, const std::string& p) {
  auto read_one = [&](const Json& r, bool local) {
    if (!r.is_object()) return;
    if (auto it = r.find("rope_theta"); it != r.end()) {
      read_value(*it, local ? &c.rope_theta_local : &c.rope_theta, p, "rope_parameters.rope_theta");
    }
    if (local) return;
    if (auto it = r.find("rope_type"); it != r.end()) {
      read_value(*it, &c.rope_scaling, p, "rope_parameters.rope_type");
    }
    if (auto it = r.find("factor"); it != r.end())
      read_value(*it, &c.rope_scaling_factor, p, "factor");
    if (auto it = r.find("low_freq_factor"); it != r.end()) {
      read_value(*it, &c.rope_low_freq_factor, p, "low_freq_factor");
    }
    if (auto it = r.find("high_freq_factor"); it != r.end()) {
      read_value(*it, &c.rope_high_freq_factor, p, "high_freq_factor");
    }
    if (auto it = r.find("original_max_position_embeddings"); it != r.end()) {
      read_value(*it, &c.rope_original_ctx, p, "original_max_position_embeddings");
    }
  };
  if (rp.contains("full_attention") || rp.contains("sliding_attention")) {
    if (rp.contains("full_attention")) read_one(rp["full_attention"], false);
    if (rp.contains("sliding_attention")) read_one(rp["sliding_attention"], true);
  } else {
    read_one(rp, false);
  }
}

}  // namespace

Json to_json(const ModelConfig& config) {
  const ModelConfig c = resolve(config);
  const ArchTraits& t = arch_traits(c.arch);
  Json j = Json::object();
  j["architectures"] = Json::array({t.hf_architecture});
  j["model_type"] = t.hf_model_type;
  auto emit = [&](std::string_view hf_key, std::string_view name, Json value, bool none) {
    if (in_rope_group(hf_key)) {
      if (rope_key_wanted(c.rope_scaling, name)) put(j, hf_key, std::move(value));
      return;
    }
    put(j, hf_key, none && is_nullable(name) ? Json(nullptr) : std::move(value));
  };
#define LLMKIT_MODEL_CONFIG_EMIT(type, name, def, hf, gguf, help) \
  emit(hf, #name, json_value(c.name), is_none_value(c.name, #name));
  LLMKIT_MODEL_CONFIG_FIELDS(LLMKIT_MODEL_CONFIG_EMIT)
#undef LLMKIT_MODEL_CONFIG_EMIT
  if (c.rope_scaling == RopeScaling::kNone) j["rope_scaling"] = nullptr;
  j[t.hf_activation_key] = t.hf_activation;
  if (c.sliding_window > 0) {
    Json types = Json::array();
    for (int64_t i = 0; i < c.n_layer; ++i) {
      types.push_back(is_local_layer(c, i) ? "sliding_attention" : "full_attention");
    }
    j["layer_types"] = std::move(types);
  }
  j["llmkit"] = Json{{"arch", arch_name(c.arch)}, {"config_version", 1}};
  return j;
}

ModelConfig config_from_json(const Json& json, const std::string& source) {
  const std::string p = prefix(source);
  LLMKIT_CHECK(json.is_object(), p, "expected a JSON object, got ", json.type_name());
  const Json* text = &json;
  if (auto it = json.find("text_config"); it != json.end() && it->is_object()) text = &*it;
  const Json& j = *text;

  ModelConfig c = arch_traits(detect_arch(json, j, p)).defaults();
#define LLMKIT_MODEL_CONFIG_READ(type, name, def, hf, gguf, help) \
  read_field(j, json, hf, #name, &c.name, p);
  LLMKIT_MODEL_CONFIG_FIELDS(LLMKIT_MODEL_CONFIG_READ)
#undef LLMKIT_MODEL_CONFIG_READ

  // Older configs name the RoPE scaling type "type" ({"type": "linear", "factor": 8.0}).
  if (const Json* rs = find(j, "rope_scaling");
      rs != nullptr && rs->is_object() && !rs->contains("rope_type") && rs->contains("type")) {
    read_value((*rs)["type"], &c.rope_scaling, p, "rope_scaling.type");
  }
  if (const Json* rp = find(j, "rope_parameters"); rp != nullptr && rp->is_object()) {
    read_rope_parameters(*rp, c, p);
  }
  if (const Json* lt = find(j, "layer_types"); lt != nullptr && !lt->is_null()) {
    LLMKIT_CHECK(c.n_layer > 0, p, "num_hidden_layers must be positive, got ", c.n_layer);
    c.sliding_window_pattern = pattern_from_layer_types(*lt, c.n_layer, p);
  }

  const ArchTraits& t = arch_traits(c.arch);
  if (const Json* act = find(j, t.hf_activation_key); act != nullptr && !act->is_null()) {
    LLMKIT_CHECK_CODE(act->is_string() && act->get<std::string>() == t.hf_activation,
                      ErrorCode::kUnsupported, p, "'", t.hf_activation_key, "' is ", act->dump(),
                      " but llmkit's ", arch_name(c.arch), " uses \"", t.hf_activation, "\"");
  }
  for (const char* key : {"attention_bias", "mlp_bias"}) {
    if (const Json* b = find(j, key); b != nullptr && b->is_boolean()) {
      LLMKIT_CHECK_CODE(!b->get<bool>(), ErrorCode::kUnsupported, p, "'", key,
                        "' = true is not supported (llmkit's projections have no bias)");
    }
  }
  validate(c, source);
  return resolve(c);
}

std::string config_to_json_string(const ModelConfig& config) {
  return to_json(config).dump(2) + "\n";
}

ModelConfig config_from_json_string(const std::string& text, const std::string& source) {
  Json j;
  try {
    j = Json::parse(text);
  } catch (const nlohmann::json::exception& e) {
    throw_error(ErrorCode::kCorruptData, str_cat(prefix(source), "invalid JSON: ", e.what()));
  }
  return config_from_json(j, source);
}

void save_config(const ModelConfig& config, const std::string& path) {
  validate(config, path);
  write_file_atomic(path, config_to_json_string(config));
}

ModelConfig load_config(const std::string& path) {
  return config_from_json_string(read_file(path), path);
}

}  // namespace llmkit::models
