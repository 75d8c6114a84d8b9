// Weights through GGUF: export -> open_model_file gives the original tensors back (exactly in f32,
// within each type's rounding error otherwise), the file holds them in llama.cpp's conventions
// (checked against the definitions, not against the code's inverse), and malformed files fail
// with errors naming the tensor.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <map>

#include "llmkit/models/gguf_conventions.h"
#include "model_file_test_util.h"

namespace llmkit::models {
namespace {

using namespace testing;

std::map<std::string, std::vector<float>> by_name(const io::NamedTensorList& list) {
  std::map<std::string, std::vector<float>> m;
  for (const auto& [name, t] : list) m[name] = t.to_vector();
  return m;
}

bool unit_offset(const ModelConfig& c, const std::string& name) {
  for (const TensorSpec& s : tensor_specs(c)) {
    if (s.name == name) return s.init == TensorInit::kZeros;
  }
  return false;
}

class GgufWeights : public ::testing::TestWithParam<Arch> {};

TEST_P(GgufWeights, F32RoundTripGivesTheOriginals) {
  TempDir dir("gguf_w32");
  const ModelConfig c = gguf_config(GetParam());
  const io::NamedTensorList weights = gguf_weights(c, 11);
  write_gguf(c, weights, dir.file("m.gguf"));
  const ModelFile mf = open_model_file(dir.file("m.gguf"));
  EXPECT_EQ(mf.format, "gguf");
  EXPECT_EQ(mf.config, c);
  ASSERT_NE(mf.gguf, nullptr);
  EXPECT_EQ(mf.tokenizer_model_path, "");
  ASSERT_EQ(mf.weights.size(), weights.size());
  for (const auto& [name, t] : weights) {
    const WeightData& w = mf.weights.at(name);
    EXPECT_EQ(w.type, io::GgmlType::kF32) << name;
    EXPECT_EQ(w.shape, t.shape()) << name;
    EXPECT_EQ(w.n_bytes(), t.numel() * 4) << name;
    const std::vector<float> got = w.to_f32().to_vector(), want = t.to_vector();
    // (1 + w) - 1 in f32 may round in the last bit of 1; everything else is a byte copy.
    const float tol = unit_offset(c, name) ? 1.2e-7f : 0.0f;
    for (size_t i = 0; i < want.size(); ++i) ASSERT_NEAR(got[i], want[i], tol) << name << " " << i;
  }
}

TEST_P(GgufWeights, FileHoldsLlamaCppConventions) {
  TempDir dir("gguf_conv");
  const ModelConfig c = gguf_config(GetParam());
  const io::NamedTensorList weights = gguf_weights(c, 12);
  write_gguf(c, weights, dir.file("m.gguf"));
  io::GgufFile f(dir.file("m.gguf"));
  const auto orig = by_name(weights);
  const bool gemma = c.arch != Arch::kLlama;
  int permuted = 0, shifted = 0;
  for (const auto& [name, want] : orig) {
    const std::vector<float> raw = f.tensor(name).to_vector();
    ASSERT_EQ(raw.size(), want.size());
    const bool is_q = name.ends_with("attn_q.weight"), is_k = name.ends_with("attn_k.weight");
    if (c.arch == Arch::kLlama && (is_q || is_k)) {
      // llama.cpp's converter: per head, view rows as (2, D/2), swap to (D/2, 2).
      const int64_t heads = is_q ? c.n_head : c.n_head_kv, D = c.head_dim, C = c.n_embd;
      for (int64_t h = 0; h < heads; ++h)
        for (int64_t i = 0; i < D / 2; ++i)
          for (int64_t two = 0; two < 2; ++two)
            for (int64_t col = 0; col < C; ++col)
              ASSERT_EQ(raw[((h * D) + 2 * i + two) * C + col],
                        want[((h * D) + two * (D / 2) + i) * C + col]);
      ++permuted;
    } else if (gemma && name.ends_with("norm.weight")) {
      // llama.cpp stores 1 + w for every Gemma *norm.weight.
      for (size_t i = 0; i < want.size(); ++i) ASSERT_EQ(raw[i], want[i] + 1.0f) << name;
      ++shifted;
    } else {
      EXPECT_EQ(raw, want) << name;
    }
  }
  EXPECT_EQ(permuted, c.arch == Arch::kLlama ? 2 * c.n_layer : 0);
  const int64_t per_layer = c.arch == Arch::kGemma ? 2 : c.arch == Arch::kGemma2 ? 4 : 6;
  EXPECT_EQ(shifted, gemma ? per_layer * c.n_layer + 1 : 0);
}

// Largest error a type's rounding may make on x, given the largest |x| of its 32-element block.
float tolerance(io::GgmlType type, float x, float block_max) {
  switch (type) {
    case io::GgmlType::kF16:
      return std::fabs(x) * 1e-3f + 1e-7f;
    case io::GgmlType::kBF16:
      return std::fabs(x) * 4e-3f + 1e-30f;
    case io::GgmlType::kQ8_0:  // step amax / 127, d itself rounded to f16
      return block_max / 127.0f * 0.5f + block_max * 2e-3f;
    case io::GgmlType::kQ4_0:  // step amax / 8; the far end of the range may clamp a full step
      return block_max / 8.0f * 1.01f;
    default:
      return 0.0f;
  }
}

TEST_P(GgufWeights, TypedRoundTripsStayWithinRoundingError) {
  const ModelConfig c = gguf_config(GetParam());
  const io::NamedTensorList weights = gguf_weights(c, 13);
  for (io::GgmlType type :
       {io::GgmlType::kF16, io::GgmlType::kBF16, io::GgmlType::kQ8_0, io::GgmlType::kQ4_0}) {
    SCOPED_TRACE(io::ggml_type_name(type));
    TempDir dir("gguf_typed");
    write_gguf(c, weights, dir.file("m.gguf"), type);
    const ModelFile mf = open_model_file(dir.file("m.gguf"));
    EXPECT_EQ(mf.config, c);
    for (const auto& [name, t] : weights) {
      const WeightData& w = mf.weights.at(name);
      EXPECT_EQ(w.type, t.dim() == 1 ? io::GgmlType::kF32 : type) << name;
      const std::vector<float> got = w.to_f32().to_vector(), want = t.to_vector();
      for (size_t i = 0; i < want.size(); ++i) {
        const size_t block = i / 32 * 32;
        float amax = 0.0f;
        for (size_t j = block; j < std::min(want.size(), block + 32); ++j) {
          amax = std::max(amax, std::fabs(want[j]));
        }
        const float tol = t.dim() == 1 ? 1.2e-7f : tolerance(type, want[i], amax);
        ASSERT_NEAR(got[i], want[i], tol) << name << " element " << i;
      }
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Archs, GgufWeights,
                         ::testing::Values(Arch::kGemma, Arch::kGemma2, Arch::kGemma3,
                                           Arch::kLlama),
                         arch_label);

TEST(GgufWeightsTypes, RowsNotMultipleOfTheBlockFallBackToF16) {
  TempDir dir("gguf_fallback");
  ModelConfig c = gguf_config(Arch::kGemma3);
  c.n_ff = 48;  // ffn_down rows have 48 elements: not a multiple of 32
  write_gguf(c, gguf_weights(c, 14), dir.file("m.gguf"), io::GgmlType::kQ8_0);
  io::GgufFile f(dir.file("m.gguf"));
  EXPECT_EQ(f.tensor_info("blk.0.ffn_down.weight").type, io::GgmlType::kF16);
  EXPECT_EQ(f.tensor_info("blk.0.ffn_up.weight").type, io::GgmlType::kQ8_0);
  EXPECT_EQ(f.tensor_info("blk.0.attn_norm.weight").type, io::GgmlType::kF32);
}

// A GGUF with the metadata of `c` and the given tensors (f32 unless raw bytes are given).
void write_custom(const ModelConfig& c, const io::NamedTensorList& tensors,
                  const std::string& path) {
  io::GgufWriter w;
  add_config_to_gguf(c, w);
  for (const auto& [name, t] : tensors) w.add_tensor(name, t, io::GgmlType::kF32);
  w.write(path);
}

io::NamedTensorList without(io::NamedTensorList list, const std::string& name) {
  std::erase_if(list, [&](const auto& p) { return p.first == name; });
  return list;
}

TEST(GgufWeightsErrors, MissingTensorWrongShapeUnsupportedTypeExtraTensor) {
  TempDir dir("gguf_err");
  const ModelConfig c = gguf_config(Arch::kGemma3);
  const io::NamedTensorList weights = gguf_weights(c, 15);
  const std::string path = dir.file("bad.gguf");

  write_custom(c, without(weights, "blk.1.ffn_up.weight"), path);
  expect_error([&] { open_model_file(path); }, ErrorCode::kNotFound,
               {"bad.gguf", "blk.1.ffn_up.weight", "[96, 64]"});

  io::NamedTensorList wrong = without(weights, "blk.1.ffn_up.weight");
  wrong.emplace_back("blk.1.ffn_up.weight", zeros({97, 64}));
  write_custom(c, wrong, path);
  expect_error([&] { open_model_file(path); }, ErrorCode::kCorruptData,
               {"blk.1.ffn_up.weight", "[97, 64]", "[96, 64]"});

  {
    io::GgufWriter w;
    add_config_to_gguf(c, w);
    for (const auto& [name, t] : without(weights, "blk.1.ffn_up.weight")) {
      w.add_tensor(name, t, io::GgmlType::kF32);
    }
    // q5_0: a type ggml defines but llmkit does not read (22 bytes per 32 elements).
    w.add_tensor("blk.1.ffn_up.weight", io::GgmlType::kQ5_0, {64, 96},
                 std::string(96 * 2 * 22, '\0'));
    w.write(path);
  }
  expect_error([&] { open_model_file(path); }, ErrorCode::kUnsupported,
               {"blk.1.ffn_up.weight", "q5_0"});

  io::NamedTensorList extra = weights;
  extra.emplace_back("blk.7.attn_q.weight", zeros({64, 64}));
  write_custom(c, extra, path);
  expect_error([&] { open_model_file(path); }, ErrorCode::kCorruptData, {"blk.7.attn_q.weight"});
}

TEST(GgufWeightsErrors, NotAGgufFileAndMissingPath) {
  TempDir dir("gguf_notgguf");
  {
    std::ofstream out(dir.file("x.bin"), std::ios::binary);
    out << "NOPE and more bytes";
  }
  expect_error([&] { open_model_file(dir.file("x.bin")); }, ErrorCode::kUnsupported,
               {"x.bin", "not a GGUF file"});
  expect_error([&] { open_model_file(dir.file("absent.gguf")); }, ErrorCode::kNotFound,
               {"absent.gguf"});
}

TEST(GgufWeightsErrors, ExporterRejectsWrongWeights) {
  const ModelConfig c = gguf_config(Arch::kLlama);
  io::NamedTensorList weights = gguf_weights(c, 16);
  io::GgufWriter w;
  expect_error([&] { add_model_to_gguf(c, without(weights, "output.weight"), {}, w); },
               ErrorCode::kNotFound, {"output.weight"});
  io::NamedTensorList bad = without(weights, "blk.0.ffn_gate.weight");
  bad.emplace_back("blk.0.ffn_gate.weight", zeros({96, 63}));
  expect_error([&] { add_model_to_gguf(c, bad, {}, w); }, ErrorCode::kInvalidArgument,
               {"blk.0.ffn_gate.weight", "[96, 64]"});
  ExportOptions q5;
  q5.type = io::GgmlType::kQ5_K;
  expect_error([&] { add_model_to_gguf(c, weights, q5, w); }, ErrorCode::kUnsupported, {"q5_K"});
}

}  // namespace
}  // namespace llmkit::models
