// Model folders through open_model_file: Hugging Face names in one file or in shards (with or
// without an index, with vision-tower tensors to skip) load the same weights as the llmkit folder;
// run folders find their checkpoint and tokenizer; bad folders fail with errors naming the tensor.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "llmkit/models/model_io.h"
#include "llmkit/tensor/view.h"
#include "model_file_test_util.h"

namespace llmkit::models {
namespace {

using namespace testing;
namespace fs = std::filesystem;

// The weights renamed to Hugging Face names, as bf16 (what HF checkpoints usually hold).
io::NamedTensorList hf_named(const ModelConfig& c, const io::NamedTensorList& weights) {
  io::NamedTensorList out;
  for (const auto& [name, t] : weights) {
    out.emplace_back(hf_tensor_name(name, c.arch), ops::to_dtype(t, DType::kBF16));
  }
  return out;
}

void expect_same_weights(const ModelFile& a, const ModelFile& b) {
  ASSERT_EQ(a.weights.size(), b.weights.size());
  for (const auto& [name, w] : a.weights) {
    ASSERT_EQ(b.weights.count(name), 1u) << name;
    const WeightData& v = b.weights.at(name);
    EXPECT_EQ(w.type, v.type) << name;
    EXPECT_EQ(w.shape, v.shape) << name;
    EXPECT_EQ(w.to_f32().to_vector(), v.to_f32().to_vector()) << name;
  }
}

class HfFolder : public ::testing::TestWithParam<Arch> {};

TEST_P(HfFolder, SingleFileAndShardsLoadLikeTheLlmkitFolder) {
  const ModelConfig c = gguf_config(GetParam());
  io::NamedTensorList weights = gguf_weights(c, 21);
  for (auto& [name, t] : weights) t = ops::to_dtype(t, DType::kBF16);
  TempDir llmkit_dir("llmkit_folder"), hf_dir("hf_folder"), shard_dir("hf_shards");
  save_model_weights(c, weights, llmkit_dir.str());
  const ModelFile reference = open_model_file(llmkit_dir.str());
  EXPECT_EQ(reference.format, "llmkit");
  EXPECT_EQ(reference.config, c);
  EXPECT_EQ(reference.weights.at("token_embd.weight").type, io::GgmlType::kBF16);

  const io::NamedTensorList hf = hf_named(c, weights);
  save_config(c, hf_dir.file("config.json"));
  io::save_safetensors(hf_dir.file("model.safetensors"), hf, {{"format", "pt"}});
  const ModelFile single = open_model_file(hf_dir.str());
  EXPECT_EQ(single.format, "hf-safetensors");
  EXPECT_EQ(single.config, c);
  expect_same_weights(reference, single);

  // Two shards plus vision-tower tensors (as in Gemma 3 multimodal checkpoints), with an index.
  save_config(c, shard_dir.file("config.json"));
  io::NamedTensorList first(hf.begin(), hf.begin() + hf.size() / 2);
  io::NamedTensorList second(hf.begin() + hf.size() / 2, hf.end());
  second.emplace_back("vision_tower.vision_model.embeddings.patch_embedding.weight", zeros({4, 3}));
  second.emplace_back("multi_modal_projector.mm_input_projection_weight", zeros({2, 2}));
  nlohmann::json index;
  for (const auto& [part, file] : {std::pair{&first, "model-00001-of-00002.safetensors"},
                                   std::pair{&second, "model-00002-of-00002.safetensors"}}) {
    io::save_safetensors(shard_dir.file(file), *part);
    for (const auto& [name, t] : *part) index["weight_map"][name] = file;
  }
  std::ofstream(shard_dir.file("model.safetensors.index.json")) << index.dump();
  expect_same_weights(reference, open_model_file(shard_dir.str()));
  fs::remove(shard_dir.file("model.safetensors.index.json"));  // shards found by name
  expect_same_weights(reference, open_model_file(shard_dir.str()));
}

INSTANTIATE_TEST_SUITE_P(Archs, HfFolder,
                         ::testing::Values(Arch::kGemma, Arch::kGemma2, Arch::kGemma3,
                                           Arch::kLlama),
                         arch_label);

TEST(HfFolderNames, Gemma3MultimodalPrefixesAreUnderstood) {
  const ModelConfig c = gguf_config(Arch::kGemma3);
  const io::NamedTensorList weights = gguf_weights(c, 22);
  TempDir dir("hf_mm");
  io::NamedTensorList renamed;
  for (const auto& [name, t] : hf_named(c, weights)) {
    // model.layers.0... -> model.language_model.layers.0... (transformers >= 4.52 layout)
    renamed.emplace_back("model.language_model." + name.substr(6), t);
  }
  save_config(c, dir.file("config.json"));
  io::save_safetensors(dir.file("model.safetensors"), renamed);
  const ModelFile mf = open_model_file(dir.str());
  EXPECT_EQ(mf.weights.size(), weights.size());
}

TEST(RunFolder, FindsTheCheckpointAndItsTokenizer) {
  const ModelConfig c = gguf_config(Arch::kLlama);
  TempDir run("run");
  const fs::path ckpt = fs::path(run.str()) / "train" / "checkpoint";
  save_model_weights(c, gguf_weights(c, 23), ckpt.string());
  std::ofstream(ckpt / "trainer_state.json") << "{}";
  std::ofstream(ckpt / "tokenizer.model") << "x";
  const ModelFile mf = open_model_file(run.str());
  EXPECT_EQ(mf.path, run.str());
  EXPECT_EQ(mf.format, "llmkit");
  EXPECT_EQ(mf.config, c);
  EXPECT_EQ(mf.tokenizer_model_path, (ckpt / "tokenizer.model").string());

  // A crash left only checkpoint.old (directly in the run folder); the tokenizer beside the run.
  TempDir run2("run_old");
  const fs::path old = fs::path(run2.str()) / "checkpoint.old";
  save_model_weights(c, gguf_weights(c, 24), old.string());
  std::ofstream(old / "trainer_state.json") << "{}";
  std::ofstream(fs::path(run2.str()) / "tokenizer.model") << "x";
  const ModelFile mf2 = open_model_file(run2.str());
  EXPECT_EQ(mf2.tokenizer_model_path, (fs::path(run2.str()) / "tokenizer.model").string());

  TempDir empty("run_empty");
  expect_error([&] { open_model_file(empty.str()); }, ErrorCode::kNotFound,
               {"config.json", "checkpoint"});
}

TEST(HfFolderErrors, MissingWrongShapeUnsupportedDtypeAndUnknownTensors) {
  const ModelConfig c = gguf_config(Arch::kGemma2);
  const io::NamedTensorList hf = hf_named(c, gguf_weights(c, 25));
  TempDir dir("hf_err");
  save_config(c, dir.file("config.json"));
  auto write = [&](io::NamedTensorList list) {
    io::save_safetensors(dir.file("model.safetensors"), list);
  };
  const std::string gate = "model.layers.1.mlp.gate_proj.weight";
  auto without_gate = [&] {
    io::NamedTensorList l = hf;
    std::erase_if(l, [&](const auto& p) { return p.first == gate; });
    return l;
  };
  write(without_gate());
  expect_error([&] { open_model_file(dir.str()); }, ErrorCode::kNotFound, {gate, "[96, 64]"});

  io::NamedTensorList l = without_gate();
  l.emplace_back(gate, zeros({96, 65}));
  write(l);
  expect_error([&] { open_model_file(dir.str()); }, ErrorCode::kCorruptData,
               {gate, "[96, 65]", "[96, 64]"});

  l = without_gate();
  l.emplace_back(gate, from_ints(std::vector<int32_t>(96 * 64, 1), {96, 64}));
  write(l);
  expect_error([&] { open_model_file(dir.str()); }, ErrorCode::kUnsupported, {gate, "I32"});

  l = hf;
  l.emplace_back("model.layers.0.mlp.experts.weight", zeros({2, 2}));
  write(l);
  expect_error([&] { open_model_file(dir.str()); }, ErrorCode::kCorruptData,
               {"model.layers.0.mlp.experts.weight", "gemma2"});

  l = hf;
  l.emplace_back("model.layers.9.mlp.up_proj.weight", zeros({96, 64}));  // beyond n_layer
  write(l);
  expect_error([&] { open_model_file(dir.str()); }, ErrorCode::kCorruptData,
               {"model.layers.9.mlp.up_proj.weight"});

  fs::remove(dir.file("model.safetensors"));
  expect_error([&] { open_model_file(dir.str()); }, ErrorCode::kNotFound, {"model.safetensors"});
}

}  // namespace
}  // namespace llmkit::models
