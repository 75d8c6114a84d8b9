// ModelConfig: presets and their parameter counts, validation errors, config.json reading and
// writing (including published Hugging Face configs), the GGUF key table and the printer.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "llmkit/base/error.h"
#include "llmkit/models/arch.h"
#include "llmkit/models/model_config.h"
#include "llmkit/models/tensor_names.h"
#include "models_test_util.h"
#include "tests/support/expect_error.h"

namespace llmkit::models {
namespace {

using Json = nlohmann::ordered_json;

// Runs fn, expects an llmkit::Error with `code` whose message contains every fragment.
using llmkit::test::expect_error;

// Parameter count of a decoder from its published shape, written out independently of
// tensor_specs(): embedding + per layer (q, k, v, o, 3 MLP matrices, norms) + final norm + head.
int64_t count_by_formula(int64_t V, int64_t C, int64_t L, int64_t H, int64_t Hkv, int64_t D,
                         int64_t F, int64_t norms_per_layer, bool qk_norm, bool tied) {
  int64_t attn = C * H * D + 2 * C * Hkv * D + H * D * C;
  int64_t mlp = 3 * C * F;
  int64_t layer = attn + mlp + norms_per_layer * C + (qk_norm ? 2 * D : 0);
  return V * C + L * layer + C + (tied ? 0 : V * C);
}

TEST(Presets, RealShapesHaveThePublishedParameterCounts) {
  // google/gemma-3-270m: 268,098,176; google/gemma-2b: 2,506,172,416; google/gemma-2-2b:
  // 2,614,341,888; meta-llama/Llama-3.2-1B: 1,235,814,400 (the counts the model cards and
  // transformers' num_parameters() report).
  const int64_t g3 = parameter_count(preset(Arch::kGemma3, "gemma3-270m"));
  EXPECT_EQ(g3, count_by_formula(262144, 640, 18, 4, 1, 256, 2048, 4, true, true));
  EXPECT_EQ(g3, 268098176);
  const int64_t g1 = parameter_count(preset(Arch::kGemma, "gemma-2b"));
  EXPECT_EQ(g1, count_by_formula(256000, 2048, 18, 8, 1, 256, 16384, 2, false, true));
  EXPECT_EQ(g1, 2506172416);
  const int64_t g2 = parameter_count(preset(Arch::kGemma2, "gemma2-2b"));
  EXPECT_EQ(g2, count_by_formula(256000, 2304, 26, 8, 4, 256, 9216, 4, false, true));
  EXPECT_EQ(g2, 2614341888);
  const int64_t l1 = parameter_count(preset(Arch::kLlama, "llama-1b"));
  EXPECT_EQ(l1, count_by_formula(128256, 2048, 16, 32, 8, 64, 8192, 2, false, true));
  EXPECT_EQ(l1, 1235814400);
  const int64_t l110 = parameter_count(preset(Arch::kLlama, "llama-110m"));
  EXPECT_EQ(l110, count_by_formula(32000, 768, 12, 12, 12, 64, 2048, 2, false, true));
  EXPECT_EQ(l110, 32000 * 768 + 12 * (4 * 768 * 768 + 3 * 768 * 2048 + 2 * 768) + 768);
}

TEST(Presets, SmallPresetsHaveTheirNominalSizes) {
  for (Arch arch : all_archs()) {
    for (auto [name, nominal] : {std::pair{"tiny", 1e6}, {"small", 10e6}, {"base", 40e6}}) {
      const ModelConfig c = preset(arch, name);
      EXPECT_NO_THROW(validate(c)) << arch_name(arch) << " " << name;
      const double n = static_cast<double>(parameter_count(c));
      EXPECT_GT(n, 0.65 * nominal) << arch_name(arch) << " " << name << ": " << n;
      EXPECT_LT(n, 1.35 * nominal) << arch_name(arch) << " " << name << ": " << n;
    }
  }
}

TEST(Presets, EveryPresetValidatesAndUnknownNamesListTheValidOnes) {
  for (Arch arch : all_archs()) {
    EXPECT_GE(preset_names(arch).size(), 4u);
    for (const std::string& name : preset_names(arch)) {
      const ModelConfig c = preset(arch, name);
      EXPECT_EQ(c.arch, arch);
      EXPECT_NO_THROW(validate(c)) << arch_name(arch) << " " << name;
    }
  }
  expect_error([] { preset(Arch::kGemma3, "gemma-2b"); }, ErrorCode::kInvalidArgument,
               {"gemma3", "gemma-2b", "tiny, small, base, gemma3-270m"});
}

TEST(Presets, ArchitectureDetailsOfTheRealShapes) {
  const ModelConfig g3 = preset(Arch::kGemma3, "gemma3-270m");
  // 5 local : 1 global; local layers use base 10k, global ones 1M.
  for (int64_t i = 0; i < g3.n_layer; ++i) {
    const bool global = i == 5 || i == 11 || i == 17;
    EXPECT_EQ(is_local_layer(g3, i), !global) << i;
    EXPECT_EQ(layer_rope_theta(g3, i), global ? 1e6f : 1e4f) << i;
    const nn::BlockConfig b = arch_traits(Arch::kGemma3).block_config(resolve(g3), i);
    EXPECT_EQ(b.attention.window, global ? 0 : 512) << i;
    EXPECT_TRUE(b.attention.qk_norm && b.post_norms && b.norm_unit_offset);
    EXPECT_EQ(b.attention.softcap, 0.0f);
    EXPECT_FLOAT_EQ(b.attention.query_scale, 1.0f / 16.0f);  // 1/sqrt(256)
  }
  const ModelConfig g2 = preset(Arch::kGemma2, "gemma2-2b");
  for (int64_t i = 0; i < 4; ++i) {
    const nn::BlockConfig b = arch_traits(Arch::kGemma2).block_config(resolve(g2), i);
    EXPECT_EQ(b.attention.window, i % 2 == 0 ? 4096 : 0) << i;  // even layers slide
    EXPECT_EQ(b.attention.softcap, 50.0f);
    EXPECT_EQ(b.attention.rope_theta, 10000.0f);
    EXPECT_FALSE(b.attention.qk_norm);
  }
  EXPECT_EQ(arch_traits(Arch::kGemma2).final_softcap(g2), 30.0f);
  EXPECT_EQ(arch_traits(Arch::kGemma3).final_softcap(g3), 0.0f);
  const ModelConfig ll = preset(Arch::kLlama, "llama-1b");
  const nn::BlockConfig lb = arch_traits(Arch::kLlama).block_config(resolve(ll), 0);
  EXPECT_EQ(lb.mlp.kind, nn::MlpKind::kSwiGLU);
  EXPECT_FALSE(lb.norm_unit_offset);
  EXPECT_EQ(lb.attention.rope_theta, 500000.0f);
  EXPECT_EQ(arch_traits(Arch::kLlama).embedding_scale(ll), 1.0f);
  EXPECT_FLOAT_EQ(arch_traits(Arch::kGemma).embedding_scale(preset(Arch::kGemma, "gemma-2b")),
                  45.254834f);  // sqrt(2048)
}

TEST(Validate, NamesTheInconsistentField) {
  const ModelConfig ok = testing::small_config(Arch::kGemma3);
  auto with = [&](auto edit) {
    ModelConfig c = ok;
    edit(c);
    return c;
  };
  expect_error([&] { validate(with([](ModelConfig& c) { c.head_dim = 0, c.n_embd = 18; })); },
               ErrorCode::kInvalidArgument, {"n_embd", "n_head", "head_dim"});
  expect_error([&] { validate(with([](ModelConfig& c) { c.n_head_kv = 3; })); },
               ErrorCode::kInvalidArgument, {"n_head", "n_head_kv"});
  expect_error([&] { validate(with([](ModelConfig& c) { c.head_dim = 7; })); },
               ErrorCode::kInvalidArgument, {"head_dim", "even"});
  expect_error([&] { validate(with([](ModelConfig& c) { c.n_layer = 0; })); },
               ErrorCode::kInvalidArgument, {"n_layer"});
  expect_error([&] { validate(with([](ModelConfig& c) { c.n_vocab = -5; })); },
               ErrorCode::kInvalidArgument, {"n_vocab"});
  expect_error([&] { validate(with([](ModelConfig& c) { c.n_ff = 0; })); },
               ErrorCode::kInvalidArgument, {"n_ff"});
  expect_error([&] { validate(with([](ModelConfig& c) { c.bos_id = 32; })); },
               ErrorCode::kInvalidArgument, {"bos_id", "32"});
  expect_error([&] { validate(with([](ModelConfig& c) { c.norm_eps = 0; })); },
               ErrorCode::kInvalidArgument, {"norm_eps"});
  expect_error([&] { validate(with([](ModelConfig& c) { c.sliding_window_pattern = 0; })); },
               ErrorCode::kInvalidArgument, {"sliding_window_pattern"});
  expect_error([&] { validate(with([](ModelConfig& c) { c.attn_softcap = 50; })); },
               ErrorCode::kInvalidArgument, {"gemma3", "attn_softcap"});
  ModelConfig g = testing::small_config(Arch::kGemma);
  g.sliding_window = 4;
  expect_error([&] { validate(g, "cfg.json"); }, ErrorCode::kInvalidArgument,
               {"cfg.json", "sliding_window"});
  ModelConfig l = testing::small_config(Arch::kLlama);
  l.final_softcap = 30;
  expect_error([&] { validate(l); }, ErrorCode::kInvalidArgument, {"llama", "final_softcap"});
  l = testing::small_config(Arch::kLlama);
  l.query_pre_attn_scalar = 3;
  expect_error([&] { validate(l); }, ErrorCode::kInvalidArgument, {"query_pre_attn_scalar"});
  for (Arch a : all_archs()) EXPECT_NO_THROW(validate(testing::small_config(a)));
}

TEST(ConfigJson, RoundTripsEveryPresetAndTestConfig) {
  for (Arch arch : all_archs()) {
    std::vector<ModelConfig> configs{testing::small_config(arch)};
    for (const std::string& name : preset_names(arch)) configs.push_back(preset(arch, name));
    for (const ModelConfig& c : configs) {
      const std::string text = config_to_json_string(c);
      EXPECT_EQ(config_from_json_string(text), resolve(c)) << text;
    }
  }
}

TEST(ConfigJson, WritesHuggingFaceNames) {
  const Json j = to_json(preset(Arch::kGemma3, "gemma3-270m"));
  EXPECT_EQ(j["model_type"], "gemma3_text");
  EXPECT_EQ(j["architectures"][0], "Gemma3ForCausalLM");
  EXPECT_EQ(j["hidden_size"], 640);
  EXPECT_EQ(j["num_hidden_layers"], 18);
  EXPECT_EQ(j["num_attention_heads"], 4);
  EXPECT_EQ(j["num_key_value_heads"], 1);
  EXPECT_EQ(j["head_dim"], 256);
  EXPECT_EQ(j["intermediate_size"], 2048);
  EXPECT_EQ(j["rms_norm_eps"], 1e-6);
  EXPECT_EQ(j["rope_theta"], 1000000.0);
  EXPECT_EQ(j["rope_local_base_freq"], 10000.0);
  EXPECT_EQ(j["sliding_window"], 512);
  EXPECT_TRUE(j["attn_logit_softcapping"].is_null());
  EXPECT_TRUE(j["final_logit_softcapping"].is_null());
  EXPECT_TRUE(j["rope_scaling"].is_null());
  EXPECT_EQ(j["query_pre_attn_scalar"], 256.0);
  EXPECT_EQ(j["max_position_embeddings"], 32768);
  EXPECT_EQ(j["vocab_size"], 262144);
  EXPECT_EQ(j["tie_word_embeddings"], true);
  EXPECT_EQ(j["hidden_activation"], "gelu_pytorch_tanh");
  EXPECT_EQ(j["layer_types"].size(), 18u);
  EXPECT_EQ(j["layer_types"][5], "full_attention");
  EXPECT_EQ(j["layer_types"][4], "sliding_attention");
  const Json l = to_json(preset(Arch::kLlama, "llama-1b"));
  EXPECT_EQ(l["rope_scaling"]["rope_type"], "llama3");
  EXPECT_EQ(l["rope_scaling"]["factor"], 32.0);
  EXPECT_EQ(l["rope_scaling"]["original_max_position_embeddings"], 8192);
  EXPECT_EQ(l["hidden_act"], "silu");
  EXPECT_TRUE(l["pad_token_id"].is_null());
}

// google/gemma-3-270m's config.json as published on the Hugging Face Hub.
const char* kGemma3_270m = R"({
  "_sliding_window_pattern": 6,
  "architectures": ["Gemma3ForCausalLM"],
  "attention_bias": false,
  "attention_dropout": 0.0,
  "attn_logit_softcapping": null,
  "bos_token_id": 2,
  "eos_token_id": 1,
  "final_logit_softcapping": null,
  "head_dim": 256,
  "hidden_activation": "gelu_pytorch_tanh",
  "hidden_size": 640,
  "initializer_range": 0.02,
  "intermediate_size": 2048,
  "layer_types": ["sliding_attention", "sliding_attention", "sliding_attention",
    "sliding_attention", "sliding_attention", "full_attention", "sliding_attention",
    "sliding_attention", "sliding_attention", "sliding_attention", "sliding_attention",
    "full_attention", "sliding_attention", "sliding_attention", "sliding_attention",
    "sliding_attention", "sliding_attention", "full_attention"],
  "max_position_embeddings": 32768,
  "model_type": "gemma3_text",
  "num_attention_heads": 4,
  "num_hidden_layers": 18,
  "num_key_value_heads": 1,
  "pad_token_id": 0,
  "query_pre_attn_scalar": 256,
  "rms_norm_eps": 1e-06,
  "rope_local_base_freq": 10000.0,
  "rope_scaling": null,
  "rope_theta": 1000000.0,
  "sliding_window": 512,
  "torch_dtype": "bfloat16",
  "transformers_version": "4.55.0.dev0",
  "use_bidirectional_attention": false,
  "use_cache": true,
  "vocab_size": 262144
})";

TEST(ConfigJson, ReadsThePublishedGemma3Config) {
  testing::TempDir dir("cfg");
  { std::ofstream(dir.file("config.json")) << kGemma3_270m; }
  const ModelConfig c = load_config(dir.file("config.json"));
  EXPECT_EQ(c, resolve(preset(Arch::kGemma3, "gemma3-270m")));
  EXPECT_EQ(c.sliding_window_pattern, 6);
  EXPECT_EQ(c.bos_id, 2);
  EXPECT_EQ(c.eos_id, 1);
  EXPECT_EQ(c.pad_id, 0);

  // Written back and read again: the same config.
  save_config(c, dir.file("again.json"));
  EXPECT_EQ(load_config(dir.file("again.json")), c);

  // The multimodal wrapper keeps the text model in text_config.
  Json wrapped = {{"architectures", {"Gemma3ForConditionalGeneration"}},
                  {"model_type", "gemma3"},
                  {"text_config", Json::parse(kGemma3_270m)}};
  wrapped["text_config"].erase("model_type");
  EXPECT_EQ(config_from_json(wrapped), c);

  // transformers 5 spells the RoPE bases as rope_parameters per layer type.
  Json v5 = Json::parse(kGemma3_270m);
  v5.erase("rope_theta");
  v5.erase("rope_local_base_freq");
  v5["rope_parameters"] = {{"full_attention", {{"rope_type", "default"}, {"rope_theta", 1e6}}},
                           {"sliding_attention", {{"rope_type", "default"}, {"rope_theta", 1e4}}}};
  EXPECT_EQ(config_from_json(v5), c);

  // Without layer_types the legacy sliding_window_pattern key (or the class default 6) applies.
  Json legacy = Json::parse(kGemma3_270m);
  legacy.erase("layer_types");
  EXPECT_EQ(config_from_json(legacy).sliding_window_pattern, 6);
  legacy["sliding_window_pattern"] = 3;
  EXPECT_EQ(config_from_json(legacy).sliding_window_pattern, 3);
}

TEST(ConfigJson, ReadsThePublishedLlama32Config) {
  // meta-llama/Llama-3.2-1B-Instruct's config.json (the base model's eos_token_id is 128001).
  Json j = Json::parse(R"({
    "architectures": ["LlamaForCausalLM"], "attention_bias": false, "attention_dropout": 0.0,
    "bos_token_id": 128000, "eos_token_id": [128001, 128008, 128009], "head_dim": 64,
    "hidden_act": "silu", "hidden_size": 2048, "initializer_range": 0.02,
    "intermediate_size": 8192, "max_position_embeddings": 131072, "mlp_bias": false,
    "model_type": "llama", "num_attention_heads": 32, "num_hidden_layers": 16,
    "num_key_value_heads": 8, "pretraining_tp": 1, "rms_norm_eps": 1e-05,
    "rope_scaling": {"factor": 32.0, "high_freq_factor": 4.0, "low_freq_factor": 1.0,
      "original_max_position_embeddings": 8192, "rope_type": "llama3"},
    "rope_theta": 500000.0, "tie_word_embeddings": true, "torch_dtype": "bfloat16",
    "transformers_version": "4.45.0.dev0", "use_cache": true, "vocab_size": 128256})");
  EXPECT_EQ(config_from_json(j), resolve(preset(Arch::kLlama, "llama-1b")));
}

TEST(ConfigJson, ClearErrors) {
  const Json good = to_json(testing::small_config(Arch::kGemma2));
  auto edited = [&](auto edit) {
    Json j = good;
    edit(j);
    return j;
  };
  expect_error(
      [&] { config_from_json(edited([](Json& j) { j["hidden_size"] = "big"; }), "c.json"); },
      ErrorCode::kInvalidArgument, {"c.json", "hidden_size", "integer", "\"big\""});
  expect_error([&] { config_from_json(edited([](Json& j) { j.erase("intermediate_size"); })); },
               ErrorCode::kNotFound, {"intermediate_size"});
  expect_error([&] { config_from_json(edited([](Json& j) { j["model_type"] = "mistral"; })); },
               ErrorCode::kUnsupported, {"mistral"});
  expect_error([&] { config_from_json(edited([](Json& j) { j["attention_bias"] = true; })); },
               ErrorCode::kUnsupported, {"attention_bias"});
  expect_error([&] { config_from_json(edited([](Json& j) { j["hidden_activation"] = "gelu"; })); },
               ErrorCode::kUnsupported, {"hidden_activation", "gelu_pytorch_tanh"});
  expect_error([&] { config_from_json(edited([](Json& j) { j["num_attention_heads"] = 3; })); },
               ErrorCode::kInvalidArgument, {"n_head", "n_head_kv"});
  expect_error(
      [&] {
        config_from_json(edited([](Json& j) {
          j["layer_types"] = {"full_attention", "sliding_attention"};  // not periodic in (i+1)
        }));
      },
      ErrorCode::kUnsupported, {"layer_types"});
  expect_error(
      [&] {
        config_from_json(edited([](Json& j) {
          j["rope_scaling"] = {{"rope_type", "yarn"}, {"factor", 4.0}};
        }));
      },
      ErrorCode::kUnsupported, {"yarn"});
  expect_error([&] { config_from_json_string("{\"hidden_size\": ", "bad.json"); },
               ErrorCode::kCorruptData, {"bad.json", "invalid JSON"});
  expect_error([&] { load_config("/nonexistent/llmkit/config.json"); }, ErrorCode::kNotFound,
               {"/nonexistent/llmkit/config.json"});
}

TEST(FieldTable, GgufKeysAndReflection) {
  const std::vector<std::pair<std::string, std::string>> expected{
      {"n_embd", "gemma3.embedding_length"},
      {"n_layer", "gemma3.block_count"},
      {"n_ff", "gemma3.feed_forward_length"},
      {"n_head", "gemma3.attention.head_count"},
      {"n_head_kv", "gemma3.attention.head_count_kv"},
      {"head_dim", "gemma3.attention.key_length"},
      {"norm_eps", "gemma3.attention.layer_norm_rms_epsilon"},
      {"rope_theta", "gemma3.rope.freq_base"},
      {"n_ctx", "gemma3.context_length"},
      {"sliding_window", "gemma3.attention.sliding_window"},
      {"attn_softcap", "gemma3.attn_logit_softcapping"},
      {"final_softcap", "gemma3.final_logit_softcapping"},
      {"bos_id", "tokenizer.ggml.bos_token_id"},
      {"arch", "general.architecture"},
  };
  for (const auto& [name, key] : expected) {
    EXPECT_EQ(gguf_key(config_field(name), Arch::kGemma3), key) << name;
  }
  EXPECT_EQ(gguf_key(config_field("n_embd"), Arch::kLlama), "llama.embedding_length");
  EXPECT_EQ(std::string(config_field("n_embd").hf_key), "hidden_size");

  // get/set through FieldValue (what a GGUF reader does) reproduces every field.
  const ModelConfig src = preset(Arch::kLlama, "llama-1b");
  ModelConfig dst;
  for (const ConfigField& f : config_fields()) f.set(dst, f.get(src));
  EXPECT_EQ(dst, src);
  ModelConfig c;
  config_field("n_embd").set(c, 640.0);  // GGUF readers may hand integers as doubles
  EXPECT_EQ(c.n_embd, 640);
  config_field("arch").set(c, std::string("gemma2"));
  EXPECT_EQ(c.arch, Arch::kGemma2);
  expect_error([&] { config_field("n_embd").set(c, std::string("x")); },
               ErrorCode::kInvalidArgument, {"n_embd"});
  expect_error([&] { config_field("n_embd").set(c, 2.5); }, ErrorCode::kInvalidArgument,
               {"n_embd", "integer"});
  expect_error([] { config_field("nope"); }, ErrorCode::kNotFound, {"nope"});
}

TEST(Printer, ListsEveryField) {
  const std::string text = describe_config(preset(Arch::kGemma3, "gemma3-270m"));
  for (const ConfigField& f : config_fields()) {
    EXPECT_NE(text.find(f.name), std::string::npos) << f.name;
  }
  EXPECT_NE(text.find("gemma3"), std::string::npos);
  EXPECT_NE(text.find("= 640"), std::string::npos);
}

TEST(ArchNames, ParseAndErrors) {
  for (Arch a : all_archs()) EXPECT_EQ(parse_arch(arch_name(a)), a);
  expect_error([] { parse_arch("gpt2"); }, ErrorCode::kInvalidArgument,
               {"gpt2", "gemma, gemma2, gemma3, llama"});
}

}  // namespace
}  // namespace llmkit::models
