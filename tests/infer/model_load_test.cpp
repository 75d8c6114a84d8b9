// Model::load end to end: a GGUF written by llmkit's exporter (llama.cpp conventions: Llama q/k
// rows permuted, Gemma norms stored as 1 + w) and an llmkit model folder load into a Model whose
// logits equal the training path's on the same weights; quantised exports stay close.
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <random>

#include "infer_test_util.h"
#include "llmkit/base/error.h"
#include "llmkit/infer/session.h"
#include "llmkit/io/gguf.h"
#include "llmkit/io/quantize.h"
#include "llmkit/models/arch.h"
#include "llmkit/models/model_file.h"
#include "llmkit/models/model_io.h"
#include "llmkit/models/transformer_lm.h"
#include "llmkit/tensor/creation.h"
#include "llmkit/tensor/rng.h"

namespace llmkit::infer {
namespace {

namespace fs = std::filesystem;
using models::Arch;

constexpr int64_t kVocab = 48;

class TempDir {
 public:
  TempDir() {
    static int counter = 0;
    path_ = fs::temp_directory_path() /
            ("llmkit_infer_load_" + std::to_string(::getpid()) + "_" + std::to_string(counter++));
    fs::create_directories(path_);
  }
  ~TempDir() { fs::remove_all(path_); }
  std::string file(const std::string& name) const { return (path_ / name).string(); }

 private:
  fs::path path_;
};

models::ModelConfig config_for(Arch arch) {
  models::ModelConfig c = models::preset(arch, "tiny");
  c.n_vocab = kVocab;
  c.n_ctx = 32;
  c.n_layer = 3;
  if (c.sliding_window > 0) c.sliding_window = 4;
  if (arch == Arch::kGemma3) c.sliding_window_pattern = 3;
  if (arch == Arch::kLlama) c.tie_embeddings = false;  // exercise output.weight
  return c;
}

std::vector<int32_t> tokens(int64_t n) {
  return testing::random_tokens(n, kVocab, 3);
}

std::vector<float> engine_logits(std::shared_ptr<const Model> model,
                                 const std::vector<int32_t>& ids) {
  SessionOptions o;
  o.n_ctx = 32;
  Session s(std::move(model), o);
  std::vector<float> out(ids.size() * kVocab);
  s.decode_all(ids, out.data());
  return out;
}

class LoadPerArch : public ::testing::TestWithParam<Arch> {};

TEST_P(LoadPerArch, ExportedGgufLoadsWithTrainingLogits) {
  const models::ModelConfig config = config_for(GetParam());
  auto lm = testing::random_lm(config, 21);
  const std::vector<int32_t> ids = tokens(12);
  const std::vector<float> want = testing::training_logits(*lm, ids);
  float scale = 0.0f;
  for (float v : want) scale = std::max(scale, std::fabs(v));
  TempDir dir;
  for (io::GgmlType type :
       {io::GgmlType::kF32, io::GgmlType::kF16, io::GgmlType::kQ8_0, io::GgmlType::kQ4_0}) {
    const std::string path = dir.file(std::string(io::ggml_type_name(type)) + ".gguf");
    io::GgufWriter writer;
    models::ExportOptions eo;
    eo.type = type;
    models::add_model_to_gguf(config, lm->named_parameters(), eo, writer);
    writer.write(path);
    auto model = Model::load(path);
    EXPECT_EQ(model->path(), path);
    EXPECT_EQ(model->config().n_layer, config.n_layer);
    EXPECT_EQ(model->tokenizer(), nullptr);  // the export above has no vocabulary
    std::string upper = io::ggml_type_name(type);
    for (char& ch : upper) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
    EXPECT_EQ(model->weight_type_name(), upper);
    // Prefill multiplies with the stored weights exactly (dequantised to f32), so it equals the
    // training path on the rounded weights; the rounding itself moves the logits further.
    const std::vector<float> got = engine_logits(model, ids);
    const std::vector<float> want_rounded =
        testing::training_logits(*testing::rounded_lm(*lm, type), ids);
    const float diff = testing::max_abs_diff(got, want_rounded);
    std::printf(
        "%s %s: max |logit diff| vs training on the rounded weights %.3g, on the f32 "
        "weights %.3g (max |logit| %.3g)\n",
        models::arch_name(GetParam()), upper.c_str(), diff, testing::max_abs_diff(got, want),
        scale);
    EXPECT_LE(diff, 1e-4f) << upper;
    if (type == io::GgmlType::kF32) {
      EXPECT_EQ(got, want);
    }
  }
}

INSTANTIATE_TEST_SUITE_P(
    Archs, LoadPerArch, ::testing::Values(Arch::kGemma, Arch::kGemma2, Arch::kGemma3, Arch::kLlama),
    [](const auto& info) { return std::string(models::arch_name(info.param)); });

TEST(ModelLoad, LlmkitFolderLoads) {
  const models::ModelConfig config = config_for(Arch::kGemma2);
  auto lm = testing::random_lm(config, 22);
  TempDir dir;
  models::save_model(*lm, dir.file("model"));
  auto model = Model::load(dir.file("model"));
  const std::vector<int32_t> ids = tokens(10);
  EXPECT_LE(testing::max_abs_diff(engine_logits(model, ids), testing::training_logits(*lm, ids)),
            1e-4f);
  EXPECT_EQ(model->weight_type_name(), "F32");
  try {
    model->require_tokenizer();
    FAIL() << "no tokenizer expected";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kNotFound);
  }
}

TEST(ModelLoad, MissingPathIsNotFound) {
  try {
    Model::load("/nonexistent/llmkit/model.gguf");
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kNotFound);
  }
}

}  // namespace
}  // namespace llmkit::infer
