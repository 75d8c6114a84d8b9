// ModelConfig <-> GGUF metadata: a round trip per architecture through a written file, the keys
// and types llama.cpp reads, llama.cpp's implicit defaults, and the configs GGUF cannot express.
#include <gtest/gtest.h>

#include <cmath>

#include "llmkit/models/gguf_conventions.h"
#include "model_file_test_util.h"

namespace llmkit::models {
namespace {

using namespace testing;

class GgufConfig : public ::testing::TestWithParam<Arch> {};

TEST_P(GgufConfig, RoundTripThroughAFile) {
  TempDir dir("gguf_config");
  const ModelConfig config = gguf_config(GetParam());
  write_gguf(config, gguf_weights(config, 1), dir.file("m.gguf"));
  io::GgufFile file(dir.file("m.gguf"));
  EXPECT_EQ(config_from_gguf(file), config) << describe_config(config_from_gguf(file));
}

TEST_P(GgufConfig, KeysAndTypesLlamaCppReads) {
  TempDir dir("gguf_keys");
  const ModelConfig c = gguf_config(GetParam());
  write_gguf(c, gguf_weights(c, 2), dir.file("m.gguf"), io::GgmlType::kQ8_0);
  io::GgufFile f(dir.file("m.gguf"));
  const std::string a = arch_name(c.arch);
  EXPECT_EQ(f.get_string("general.architecture"), a);
  EXPECT_EQ(f.get_string("general.name"), "test");
  EXPECT_EQ(f.get("general.file_type"), io::GgufValue::u32(7));  // LLAMA_FTYPE_MOSTLY_Q8_0
  // llama.cpp's loader demands exactly these types (u32 counts, f32 floats).
  const std::pair<const char*, int64_t> counts[] = {
      {"context_length", c.n_ctx},          {"embedding_length", c.n_embd},
      {"block_count", c.n_layer},           {"feed_forward_length", c.n_ff},
      {"attention.head_count", c.n_head},   {"attention.head_count_kv", c.n_head_kv},
      {"attention.key_length", c.head_dim}, {"attention.value_length", c.head_dim}};
  for (const auto& [k, v] : counts) {
    EXPECT_EQ(f.get(a + "." + k), io::GgufValue::u32(static_cast<uint32_t>(v))) << k;
  }
  EXPECT_EQ(f.get(a + ".attention.layer_norm_rms_epsilon"), io::GgufValue::f32(c.norm_eps));
  EXPECT_EQ(f.get(a + ".rope.freq_base"), io::GgufValue::f32(c.rope_theta));
  EXPECT_EQ(f.has(a + ".rope.dimension_count"), c.arch == Arch::kLlama);
  EXPECT_EQ(f.has("output.weight") || f.find_tensor("output.weight") != nullptr, !c.tie_embeddings);
  if (c.arch == Arch::kGemma2) {
    EXPECT_EQ(f.get(a + ".attn_logit_softcapping"), io::GgufValue::f32(50.0f));
    EXPECT_EQ(f.get(a + ".attention.sliding_window"), io::GgufValue::u32(8));
  }
  if (c.arch == Arch::kGemma3) {
    EXPECT_EQ(f.get(a + ".rope.freq_base_swa"), io::GgufValue::f32(100.0f));
    EXPECT_EQ(f.get(a + ".attention.sliding_window_pattern"), io::GgufValue::u32(3));
  }
  if (c.arch == Arch::kLlama) {
    EXPECT_EQ(f.get("llama.rope.scaling.type"), io::GgufValue::string("linear"));
    EXPECT_EQ(f.get("tokenizer.ggml.bos_token_id"), io::GgufValue::u32(1));
  }
}

INSTANTIATE_TEST_SUITE_P(Archs, GgufConfig,
                         ::testing::Values(Arch::kGemma, Arch::kGemma2, Arch::kGemma3,
                                           Arch::kLlama),
                         arch_label);

// A file with only the keys llama.cpp requires gets llama.cpp's implicit values.
void write_minimal(const std::string& arch, const std::string& path, int64_t n_layer,
                   int64_t n_embd = 64, int64_t key_length = 0) {
  io::GgufWriter w;
  w.set("general.architecture", io::GgufValue::string(arch));
  w.set(arch + ".context_length", io::GgufValue::u32(256));
  w.set(arch + ".embedding_length", io::GgufValue::u32(static_cast<uint32_t>(n_embd)));
  w.set(arch + ".block_count", io::GgufValue::u32(static_cast<uint32_t>(n_layer)));
  w.set(arch + ".feed_forward_length", io::GgufValue::u32(96));
  w.set(arch + ".attention.head_count", io::GgufValue::u32(4));
  w.set(arch + ".attention.layer_norm_rms_epsilon", io::GgufValue::f32(1e-6f));
  if (key_length > 0) {
    w.set(arch + ".attention.key_length", io::GgufValue::u32(static_cast<uint32_t>(key_length)));
    w.set(arch + ".attention.value_length", io::GgufValue::u32(static_cast<uint32_t>(key_length)));
  }
  w.add_tensor("token_embd.weight", zeros({40, n_embd}), io::GgmlType::kF32);
  w.write(path);
}

TEST(GgufConfigDefaults, LlamaCppImplicitFacts) {
  TempDir dir("gguf_defaults");
  write_minimal("gemma2", dir.file("g2.gguf"), 2);
  const ModelConfig g2 = config_from_gguf(io::GgufFile(dir.file("g2.gguf")));
  EXPECT_EQ(g2.n_vocab, 40);
  EXPECT_EQ(g2.n_head_kv, 4);
  EXPECT_EQ(g2.head_dim, 16);
  EXPECT_EQ(g2.rope_theta, 10000.0f);
  EXPECT_EQ(g2.sliding_window, 4096);
  EXPECT_EQ(g2.sliding_window_pattern, 2);
  EXPECT_EQ(g2.attn_softcap, 50.0f);
  EXPECT_EQ(g2.final_softcap, 30.0f);
  EXPECT_EQ(g2.query_pre_attn_scalar, 16.0f);
  EXPECT_TRUE(g2.tie_embeddings);
  EXPECT_EQ(g2.bos_id, -1);

  write_minimal("gemma3", dir.file("g3.gguf"), 2);
  const ModelConfig g3 = config_from_gguf(io::GgufFile(dir.file("g3.gguf")));
  EXPECT_EQ(g3.sliding_window, 0);  // no window key: no local layers
  EXPECT_EQ(g3.final_softcap, 0.0f);

  // The 27B shapes scale queries by 1/sqrt(n_embd / n_head) instead of 1/sqrt(head_dim).
  write_minimal("gemma2", dir.file("g2_27b.gguf"), 46, 128, 16);
  const ModelConfig big = config_from_gguf(io::GgufFile(dir.file("g2_27b.gguf")));
  EXPECT_EQ(big.head_dim, 16);
  EXPECT_EQ(big.query_pre_attn_scalar, 32.0f);
  write_minimal("gemma2", dir.file("g2_9b.gguf"), 42, 128, 16);
  EXPECT_EQ(config_from_gguf(io::GgufFile(dir.file("g2_9b.gguf"))).query_pre_attn_scalar, 16.0f);
}

TEST(GgufConfigDefaults, Gemma3DefaultPatternAndLocalBase) {
  TempDir dir("gguf_g3");
  io::GgufWriter w;
  write_minimal("gemma3", dir.file("tmp.gguf"), 12);
  io::GgufFile base(dir.file("tmp.gguf"));
  for (const auto& [k, v] : base.metadata()) w.set(k, v);
  w.set("gemma3.attention.sliding_window", io::GgufValue::u32(512));
  w.add_tensor("token_embd.weight", zeros({40, 64}), io::GgmlType::kF32);
  w.write(dir.file("g3.gguf"));
  const ModelConfig c = config_from_gguf(io::GgufFile(dir.file("g3.gguf")));
  EXPECT_EQ(c.sliding_window, 512);
  EXPECT_EQ(c.sliding_window_pattern, 6);
  EXPECT_EQ(c.rope_theta_local, 10000.0f);
  EXPECT_TRUE(is_local_layer(c, 4));
  EXPECT_FALSE(is_local_layer(c, 5));
}

TEST(GgufConfigErrors, UnknownArchitectureIsNamed) {
  TempDir dir("gguf_arch");
  write_minimal("qwen2", dir.file("q.gguf"), 2);
  expect_error([&] { config_from_gguf(io::GgufFile(dir.file("q.gguf"))); }, ErrorCode::kUnsupported,
               {"'qwen2'", "gemma, gemma2, gemma3, llama", "q.gguf"});
  expect_error([&] { open_model_file(dir.file("q.gguf")); }, ErrorCode::kUnsupported, {"qwen2"});
}

TEST(GgufConfigErrors, ConfigsLlamaCppCannotExpress) {
  io::GgufWriter w;
  ModelConfig g2 = gguf_config(Arch::kGemma2);
  g2.attn_softcap = 0.0f;
  expect_error([&] { add_config_to_gguf(g2, w); }, ErrorCode::kUnsupported, {"soft-cap"});
  ModelConfig g3 = gguf_config(Arch::kGemma3);
  g3.query_pre_attn_scalar = 24.0f;
  expect_error([&] { add_config_to_gguf(g3, w); }, ErrorCode::kUnsupported,
               {"query_pre_attn_scalar", "1/sqrt(16)"});
  ModelConfig g = gguf_config(Arch::kGemma);
  g.tie_embeddings = false;
  expect_error([&] { add_config_to_gguf(g, w); }, ErrorCode::kUnsupported, {"output.weight"});
}

TEST(GgufLlama3, RopeFactorsRoundTripThroughRopeFreqs) {
  TempDir dir("gguf_llama3");
  ModelConfig c = gguf_config(Arch::kLlama);
  c.rope_scaling = RopeScaling::kLlama3;
  c.rope_scaling_factor = 32.0f;
  c.rope_low_freq_factor = 1.0f;
  c.rope_high_freq_factor = 4.0f;
  c.rope_original_ctx = 64;  // small, so that the 8 frequencies of D = 16 span all three regimes
  write_gguf(c, gguf_weights(c, 3), dir.file("l3.gguf"));
  io::GgufFile f(dir.file("l3.gguf"));
  EXPECT_EQ(config_from_gguf(f), c);
  // Independent check of the factors: Meta's formula in double precision.
  const std::vector<float> stored = f.tensor("rope_freqs.weight").to_vector();
  ASSERT_EQ(stored.size(), 8u);
  bool saw_one = false, saw_full = false, saw_mid = false;
  for (size_t i = 0; i < stored.size(); ++i) {
    const double freq = 1.0 / std::pow(500000.0, 2.0 * static_cast<double>(i) / 16.0);
    const double wavelen = 2.0 * M_PI / freq;
    double want;
    if (wavelen < 64.0 / 4.0) {
      want = 1.0;
      saw_one = true;
    } else if (wavelen > 64.0) {
      want = 32.0;
      saw_full = true;
    } else {
      const double smooth = (64.0 / wavelen - 1.0) / 3.0;
      want = 1.0 / ((1.0 - smooth) / 32.0 + smooth);
      saw_mid = true;
    }
    EXPECT_NEAR(stored[i], want, 1e-4 * want) << i;
  }
  EXPECT_TRUE(saw_one && saw_full && saw_mid);
}

}  // namespace
}  // namespace llmkit::models
