// TransformerLM: GGUF parameter names and shapes from the tensor table, the random initialisation
// (and its streaming twin random_weights), HF name mapping, input checks and gradients.
#include <gtest/gtest.h>

#include <cmath>
#include <set>

#include "llmkit/autograd/backward.h"
#include "llmkit/autograd/functions.h"
#include "llmkit/base/error.h"
#include "llmkit/models/arch.h"
#include "llmkit/models/model_io.h"
#include "llmkit/models/tensor_names.h"
#include "models_test_util.h"

namespace llmkit::models {
namespace {

class PerArch : public ::testing::TestWithParam<Arch> {};

TEST_P(PerArch, ParametersFollowTheTensorTable) {
  for (const ModelConfig& config :
       {testing::small_config(GetParam()), preset(GetParam(), "tiny")}) {
    TransformerLM model(config, uint64_t{1});
    const auto params = model.named_parameters();
    const auto specs = tensor_specs(config);
    ASSERT_EQ(params.size(), specs.size());
    for (size_t i = 0; i < specs.size(); ++i) {
      EXPECT_EQ(params[i].first, specs[i].name);
      EXPECT_EQ(params[i].second.shape(), specs[i].shape) << specs[i].name;
    }
    EXPECT_EQ(model.parameter_count(), parameter_count(config));
  }
}

TEST_P(PerArch, RandomWeightsDrawExactlyWhatTheModelDraws) {
  const ModelConfig config = testing::small_config(GetParam());
  Generator g1(42), g2(42);
  TransformerLM model(config, g1);
  const io::NamedTensorList streamed = random_weights(config, g2);
  const auto state = model.state_dict();
  ASSERT_EQ(streamed.size(), state.size());
  for (size_t i = 0; i < state.size(); ++i) {
    EXPECT_EQ(streamed[i].first, state[i].first);
    EXPECT_EQ(streamed[i].second.to_vector(), state[i].second.to_vector()) << state[i].first;
  }
  EXPECT_EQ(g1.counter(), g2.counter());

  // bf16: the same values rounded.
  Generator g3(42);
  const io::NamedTensorList half = random_weights(config, g3, DType::kBF16);
  for (size_t i = 0; i < state.size(); ++i) {
    EXPECT_EQ(half[i].second.dtype(), DType::kBF16);
    std::vector<float> want = state[i].second.to_vector();
    for (float& v : want) v = bf16_to_f32(f32_to_bf16(v));
    EXPECT_EQ(half[i].second.to_vector(), want) << state[i].first;
  }
}

TEST_P(PerArch, InitialisationStatistics) {
  // Large enough matrices for the sample std to be within a few percent of the target.
  ModelConfig config = preset(GetParam(), "tiny");
  TransformerLM model(config, uint64_t{9});
  const ModelConfig c = model.config();
  const bool unit_offset = arch_traits(c.arch).norm_unit_offset;
  for (const auto& [name, t] : model.named_parameters()) {
    std::vector<float> v = t.to_vector();
    double sum = 0, sq = 0;
    for (float x : v) sum += x, sq += double(x) * x;
    const double mean = sum / v.size(), sd = std::sqrt(sq / v.size() - mean * mean);
    if (t.dim() == 1) {
      for (float x : v) ASSERT_EQ(x, unit_offset ? 0.0f : 1.0f) << name;
      continue;
    }
    const bool residual = name.ends_with("attn_output.weight") || name.ends_with("ffn_down.weight");
    const double want = residual ? 0.02 / std::sqrt(2.0 * c.n_layer) : 0.02;
    EXPECT_NEAR(sd, want, 0.1 * want) << name;
    EXPECT_NEAR(mean, 0.0, 0.1 * want) << name;
  }
}

TEST_P(PerArch, HfNamesMapBothWays) {
  const ModelConfig config = testing::small_config(GetParam());
  std::set<std::string> hf_names;
  for (const TensorSpec& s : tensor_specs(config)) {
    const std::string hf = hf_tensor_name(s.name, config.arch);
    EXPECT_TRUE(hf_names.insert(hf).second) << hf << " twice";
    EXPECT_EQ(gguf_tensor_name(hf, config.arch), s.name);
  }
  EXPECT_EQ(gguf_tensor_name("model.language_model.layers.1.mlp.up_proj.weight", config.arch),
            "blk.1.ffn_up.weight");
  EXPECT_THROW(hf_tensor_name("blk.0.attn_qkv.weight", config.arch), Error);
  EXPECT_THROW(hf_tensor_name("blk.x.attn_q.weight", config.arch), Error);
  EXPECT_THROW(gguf_tensor_name("model.layers.0.self_attn.rotary_emb.inv_freq", config.arch),
               Error);
}

TEST_P(PerArch, EveryParameterGetsAGradient) {
  const ModelConfig config = testing::small_config(GetParam());
  TransformerLM model(config, uint64_t{4});
  testing::randomise(model, 8, GetParam() != Arch::kLlama);
  Tensor ids = from_ints({1, 5, 9, 2, 30, 7, 3, 3, 0, 31}, {2, 5});
  Tensor logits = model.forward(ids);
  EXPECT_EQ(logits.shape(), (Shape{2, 5, config.n_vocab}));
  Tensor loss = cross_entropy(reshape(logits, {10, config.n_vocab}),
                              from_ints({5, 9, 2, 30, 7, 3, 3, 0, 31, 1}, {10}));
  backward(loss);
  for (const auto& [name, t] : model.named_parameters()) {
    ASSERT_TRUE(t.grad().defined()) << name;
    double norm = 0;
    for (float g : t.grad().to_vector()) norm += double(g) * g;
    EXPECT_GT(norm, 0.0) << name;
  }
}

INSTANTIATE_TEST_SUITE_P(AllArchs, PerArch,
                         ::testing::Values(Arch::kGemma, Arch::kGemma2, Arch::kGemma3,
                                           Arch::kLlama),
                         [](const auto& info) { return std::string(arch_name(info.param)); });

TEST(TransformerLM, HfNamesOfTheNorms) {
  EXPECT_EQ(hf_tensor_name("blk.3.ffn_norm.weight", Arch::kGemma3),
            "model.layers.3.pre_feedforward_layernorm.weight");
  EXPECT_EQ(hf_tensor_name("blk.3.ffn_norm.weight", Arch::kLlama),
            "model.layers.3.post_attention_layernorm.weight");
  EXPECT_EQ(hf_tensor_name("blk.3.post_attention_norm.weight", Arch::kGemma2),
            "model.layers.3.post_attention_layernorm.weight");
  EXPECT_EQ(hf_tensor_name("blk.0.post_ffw_norm.weight", Arch::kGemma2),
            "model.layers.0.post_feedforward_layernorm.weight");
  EXPECT_EQ(hf_tensor_name("blk.0.attn_k_norm.weight", Arch::kGemma3),
            "model.layers.0.self_attn.k_norm.weight");
  EXPECT_EQ(hf_tensor_name("blk.12.attn_output.weight", Arch::kGemma),
            "model.layers.12.self_attn.o_proj.weight");
  EXPECT_EQ(hf_tensor_name("token_embd.weight", Arch::kGemma), "model.embed_tokens.weight");
  EXPECT_EQ(hf_tensor_name("output_norm.weight", Arch::kGemma), "model.norm.weight");
  EXPECT_EQ(hf_tensor_name("output.weight", Arch::kLlama), "lm_head.weight");
  EXPECT_THROW(hf_tensor_name("blk.0.post_ffw_norm.weight", Arch::kLlama), Error);
  EXPECT_THROW(hf_tensor_name("blk.0.attn_q_norm.weight", Arch::kGemma2), Error);
}

TEST(TransformerLM, TiedOutputSharesTheEmbedding) {
  ModelConfig c = testing::small_config(Arch::kGemma3);
  TransformerLM tied(c, uint64_t{1});
  for (const auto& [name, t] : tied.named_parameters()) EXPECT_NE(name, "output.weight");
  c.tie_embeddings = false;
  TransformerLM untied(c, uint64_t{1});
  EXPECT_EQ(untied.parameter_count() - tied.parameter_count(), c.n_vocab * c.n_embd);
}

TEST(TransformerLM, BadInputsAndConfigs) {
  const ModelConfig c = testing::small_config(Arch::kLlama);
  TransformerLM model(c, uint64_t{1});
  EXPECT_THROW(model.forward(zeros({2, 17}, DType::kI32)), Error);  // T > n_ctx = 16
  EXPECT_THROW(model.forward(zeros({2, 4})), Error);                // f32 ids
  EXPECT_THROW(model.forward(zeros({8}, DType::kI32)), Error);      // not [B, T]
  EXPECT_THROW(model.forward(zeros({1, 4}, DType::kI32), zeros({3}, DType::kI32)), Error);
  EXPECT_THROW(model.forward(full({1, 2}, 40, DType::kI32)), Error);  // id >= n_vocab
  ModelConfig bad = c;
  bad.n_head_kv = 3;
  try {
    TransformerLM m(bad, uint64_t{1});
    ADD_FAILURE() << "invalid config accepted";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("n_head_kv"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace llmkit::models
