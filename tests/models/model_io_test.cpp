// Model folders: save/load round trips (same logits), bf16 weights, and the errors for missing
// files, missing tensors, tensors contradicting the config and extra tensors.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "llmkit/autograd/node.h"
#include "llmkit/base/atomic_file.h"
#include "llmkit/base/error.h"
#include "llmkit/models/arch.h"
#include "llmkit/models/model_io.h"
#include "llmkit/models/tensor_names.h"
#include "models_test_util.h"
#include "tests/support/expect_error.h"

namespace llmkit::models {
namespace {

using testing::TempDir;

using llmkit::test::expect_error;

Tensor sample_ids() {
  return from_ints({3, 1, 4, 1, 5, 9, 2, 6, 5, 3, 5, 8}, {2, 6});
}

class RoundTrip : public ::testing::TestWithParam<Arch> {};

TEST_P(RoundTrip, SameConfigSameWeightsSameLogits) {
  const ModelConfig config = testing::small_config(GetParam());
  TransformerLM model(config, uint64_t{5});
  testing::randomise(model, 6, GetParam() != Arch::kLlama);
  TempDir dir("io");
  const std::string folder = dir.file("run/checkpoint");  // created on demand
  save_model(model, folder);
  auto loaded = load_model(folder);
  EXPECT_EQ(loaded->config(), model.config());
  autograd::NoGradGuard no_grad;
  EXPECT_EQ(loaded->forward(sample_ids()).to_vector(), model.forward(sample_ids()).to_vector());

  // config.json carries HF names; model.safetensors GGUF names.
  auto j = nlohmann::json::parse(read_file(folder + "/config.json"));
  EXPECT_EQ(j["hidden_size"], config.n_embd);
  EXPECT_EQ(j["num_hidden_layers"], config.n_layer);
  io::SafetensorsFile f(folder + "/model.safetensors");
  EXPECT_TRUE(f.contains("blk.0.attn_q.weight"));
  EXPECT_EQ(f.contains("output.weight"), !config.tie_embeddings);
  EXPECT_EQ(f.metadata().at("llmkit.arch"), arch_name(config.arch));
}

INSTANTIATE_TEST_SUITE_P(AllArchs, RoundTrip,
                         ::testing::Values(Arch::kGemma, Arch::kGemma2, Arch::kGemma3,
                                           Arch::kLlama),
                         [](const auto& info) { return std::string(arch_name(info.param)); });

TEST(ModelIo, Bf16WeightsLoadAsTheRoundedValues) {
  const ModelConfig config = testing::small_config(Arch::kGemma2);
  TransformerLM model(config, uint64_t{5});
  testing::randomise(model, 6, true);
  TempDir dir("bf16");
  save_model(model, dir.str(), SaveOptions{DType::kBF16});
  io::SafetensorsFile f(dir.file("model.safetensors"));
  EXPECT_EQ(f.info("token_embd.weight").dtype, DType::kBF16);
  auto loaded = load_model(dir.str());
  const auto a = model.named_parameters(), b = loaded->named_parameters();
  for (size_t i = 0; i < a.size(); ++i) {
    std::vector<float> want = a[i].second.to_vector();
    for (float& v : want) v = bf16_to_f32(f32_to_bf16(v));
    EXPECT_EQ(b[i].second.to_vector(), want) << a[i].first;
  }
}

TEST(ModelIo, SaveModelWeightsWritesALoadableFolder) {
  ModelConfig config = preset(Arch::kGemma3, "tiny");
  config.n_vocab = 512;  // keeps the test fast
  Generator gen(3);
  TempDir dir("init");
  save_model_weights(config, random_weights(config, gen, DType::kBF16), dir.str());
  auto loaded = load_model(dir.str());
  EXPECT_EQ(loaded->parameter_count(), parameter_count(config));
  Generator gen2(3);
  TransformerLM direct(config, gen2);
  // The loaded weights are the bf16 rounding of the model TransformerLM(config, seed 3) draws.
  const auto a = direct.named_parameters(), b = loaded->named_parameters();
  for (size_t i = 0; i < a.size(); i += 7) {
    std::vector<float> want = a[i].second.to_vector();
    for (float& v : want) v = bf16_to_f32(f32_to_bf16(v));
    EXPECT_EQ(b[i].second.to_vector(), want) << a[i].first;
  }
  // A weight list that does not match the config is refused before anything is written.
  io::NamedTensorList wrong = random_weights(config, gen, DType::kF32);
  wrong.pop_back();
  TempDir other("init_bad");
  expect_error([&] { save_model_weights(config, wrong, other.file("m")); },
               ErrorCode::kInvalidArgument, {"tensors given"});
  EXPECT_FALSE(testing::fs::exists(other.file("m")));
}

// A saved folder whose model.safetensors is then replaced by `tensors`.
void rewrite_weights(const std::string& dir, const io::NamedTensorList& tensors) {
  io::save_safetensors(dir + "/model.safetensors", tensors);
}

TEST(ModelIo, LoadErrorsNameTheProblem) {
  const ModelConfig config = testing::small_config(Arch::kGemma3);
  TransformerLM model(config, uint64_t{5});
  TempDir dir("errors");
  const std::string folder = dir.str();
  save_model(model, folder);
  const io::NamedTensorList good = model.state_dict();

  expect_error([&] { load_model(dir.file("nope")); }, ErrorCode::kNotFound, {"nope", "folder"});

  // Missing tensor.
  io::NamedTensorList missing;
  for (const auto& [n, t] : good) {
    if (n != "blk.1.attn_k.weight") missing.emplace_back(n, t);
  }
  rewrite_weights(folder, missing);
  expect_error([&] { load_model(folder); }, ErrorCode::kNotFound,
               {"blk.1.attn_k.weight", "[8, 16]", "model.safetensors", "config.json"});

  // A tensor whose shape contradicts the config: both shapes named.
  io::NamedTensorList reshaped;
  for (const auto& [n, t] : good) {
    reshaped.emplace_back(n, n == "blk.2.ffn_up.weight" ? zeros({32, 16}) : t);
  }
  rewrite_weights(folder, reshaped);
  expect_error([&] { load_model(folder); }, ErrorCode::kCorruptData,
               {"blk.2.ffn_up.weight", "[32, 16]", "[24, 16]"});

  // The same folder with a config that says n_ff = 32 loads fine: the config decides.
  ModelConfig wider = config;
  wider.n_ff = 32;
  io::NamedTensorList widened;
  for (const auto& [n, t] : good) {
    bool ffn = n.find("ffn_gate") != std::string::npos || n.find("ffn_up") != std::string::npos;
    bool down = n.find("ffn_down") != std::string::npos;
    widened.emplace_back(n, ffn ? zeros({32, 16}) : down ? zeros({16, 32}) : t);
  }
  rewrite_weights(folder, widened);
  save_config(wider, folder + "/config.json");
  EXPECT_NO_THROW(load_model(folder));

  // An extra tensor the config does not define.
  io::NamedTensorList extra = widened;
  extra.emplace_back("output.weight", zeros({32, 16}));
  rewrite_weights(folder, extra);
  expect_error([&] { load_model(folder); }, ErrorCode::kCorruptData,
               {"output.weight", "tie_word_embeddings"});

  // Integer weights.
  io::NamedTensorList ints = widened;
  ints[0].second = zeros(ints[0].second.shape(), DType::kI32);
  rewrite_weights(folder, ints);
  expect_error([&] { load_model(folder); }, ErrorCode::kUnsupported, {"token_embd.weight", "I32"});

  // A bad config.json names the file and the field.
  write_file_atomic(folder + "/config.json",
                    "{\"model_type\": \"gemma3_text\", \"hidden_size\": 16}");
  expect_error([&] { load_model(folder); }, ErrorCode::kNotFound, {"config.json", "vocab_size"});
  testing::fs::remove(folder + "/config.json");
  expect_error([&] { load_model(folder); }, ErrorCode::kNotFound, {"config.json", "missing"});
  save_config(config, folder + "/config.json");
  testing::fs::remove(folder + "/model.safetensors");
  expect_error([&] { load_model(folder); }, ErrorCode::kNotFound, {"model.safetensors", "missing"});
}

}  // namespace
}  // namespace llmkit::models
