// Every architecture's forward pass against an independent NumPy implementation written from the
// Hugging Face definitions (tests/models/reference_forward.py, run with /usr/bin/python3). The
// test saves a randomised model folder, the script reads it (config.json + model.safetensors) and
// writes its logits back.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <fstream>

#include "llmkit/autograd/node.h"
#include "llmkit/models/model_io.h"
#include "models_test_util.h"

namespace llmkit::models {
namespace {

using testing::TempDir;

constexpr int64_t kB = 2, kT = 7;

Tensor test_ids(int64_t n_vocab) {
  std::vector<int32_t> v;
  for (int64_t i = 0; i < kB * kT; ++i) v.push_back(static_cast<int32_t>((i * 7 + 3) % n_vocab));
  return from_ints(v, {kB, kT});
}

struct RefRun {
  std::vector<int32_t> positions;
  bool all_global = false;
};

std::vector<int32_t> iota_positions() {
  std::vector<int32_t> p;
  for (int32_t t = 0; t < kT; ++t) p.push_back(t);
  return p;
}

// Runs the reference once on `dir`/model for all `runs`; returns each run's logits [B, T, V].
std::vector<std::vector<float>> reference_logits(const TempDir& dir, const Tensor& ids,
                                                 const std::vector<RefRun>& runs, int64_t n_vocab) {
  std::vector<int32_t> flat = ids.to_int_vector();
  std::ofstream in(dir.file("input.json"));
  in << "{\"ids\": [";
  for (int64_t b = 0; b < kB; ++b) {
    in << (b ? ", [" : "[");
    for (int64_t t = 0; t < kT; ++t) in << (t ? ", " : "") << flat[b * kT + t];
    in << "]";
  }
  in << "], \"runs\": [";
  for (size_t r = 0; r < runs.size(); ++r) {
    in << (r ? ", " : "") << "{\"positions\": [";
    for (size_t t = 0; t < runs[r].positions.size(); ++t) {
      in << (t ? ", " : "") << runs[r].positions[t];
    }
    in << "], \"all_global\": " << (runs[r].all_global ? "true" : "false") << ", \"out\": \""
       << dir.file("ref" + std::to_string(r) + ".f32") << "\"}";
  }
  in << "]}";
  in.close();
  std::string cmd = std::string("/usr/bin/python3 '") + LLMKIT_SOURCE_DIR +
                    "/tests/models/reference_forward.py' '" + dir.file("model") + "' '" +
                    dir.file("input.json") + "'";
  EXPECT_EQ(testing::run_command(cmd), 0) << cmd;
  std::vector<std::vector<float>> out;
  for (size_t r = 0; r < runs.size(); ++r) {
    out.push_back(testing::read_f32(dir.file("ref" + std::to_string(r) + ".f32"),
                                    static_cast<size_t>(kB * kT * n_vocab)));
  }
  return out;
}

double max_abs_diff(const std::vector<float>& a, const std::vector<float>& b) {
  EXPECT_EQ(a.size(), b.size());
  double m = 0;
  for (size_t i = 0; i < std::min(a.size(), b.size()); ++i) {
    m = std::max(m, std::fabs(static_cast<double>(a[i]) - b[i]));
  }
  return m;
}

double max_abs(const std::vector<float>& a) {
  double m = 0;
  for (float v : a) m = std::max(m, std::fabs(static_cast<double>(v)));
  return m;
}

class ReferenceForward : public ::testing::TestWithParam<Arch> {};

TEST_P(ReferenceForward, MatchesNumpy) {
  const Arch arch = GetParam();
  const ModelConfig config = testing::small_config(arch);
  TransformerLM model(config, uint64_t{7});
  testing::randomise(model, 11, arch != Arch::kLlama);
  TempDir dir(arch_name(arch));
  save_model(model, dir.file("model"));

  autograd::NoGradGuard no_grad;
  const Tensor ids = test_ids(config.n_vocab);
  // Uneven positions (a constant shift would change nothing: RoPE scores depend on differences).
  const std::vector<int32_t> uneven{0, 2, 3, 7, 8, 12, 13};
  std::vector<RefRun> runs{{iota_positions(), false}, {uneven, false}};
  if (config.sliding_window > 0) runs.push_back({iota_positions(), true});
  const auto ref = reference_logits(dir, ids, runs, config.n_vocab);

  const std::vector<float> ours = model.forward(ids).to_vector();
  EXPECT_GT(max_abs(ref[0]), 1.0) << "logits too small for the comparison to mean anything";
  EXPECT_LE(max_abs_diff(ours, ref[0]), 1e-4) << arch_name(arch);

  const std::vector<float> ours_uneven = model.forward(ids, from_ints(uneven, {kT})).to_vector();
  EXPECT_LE(max_abs_diff(ours_uneven, ref[1]), 1e-4)
      << arch_name(arch) << " with explicit positions";
  EXPECT_GT(max_abs_diff(ours_uneven, ours), 1e-3) << "positions must matter";

  // Negative control: with the windows removed the reference differs, so the local layers were
  // really exercised.
  if (config.sliding_window > 0) {
    EXPECT_GT(max_abs_diff(ours, ref[2]), 1e-3) << "the window of local layers must matter";
  }
}

INSTANTIATE_TEST_SUITE_P(AllArchs, ReferenceForward,
                         ::testing::Values(Arch::kGemma, Arch::kGemma2, Arch::kGemma3,
                                           Arch::kLlama),
                         [](const auto& info) { return std::string(arch_name(info.param)); });

// The bf16 file path of the reference reader and of load_model agree too.
TEST(ReferenceForwardBf16, LoadedBf16ModelMatchesNumpyOnTheSameFile) {
  const ModelConfig config = testing::small_config(Arch::kGemma3);
  TransformerLM model(config, uint64_t{3});
  testing::randomise(model, 5, true);
  TempDir dir("bf16");
  save_model(model, dir.file("model"), SaveOptions{DType::kBF16});
  auto loaded = load_model(dir.file("model"));
  autograd::NoGradGuard no_grad;
  const Tensor ids = test_ids(config.n_vocab);
  const auto ref = reference_logits(dir, ids, {{iota_positions(), false}}, config.n_vocab);
  EXPECT_LE(max_abs_diff(loaded->forward(ids).to_vector(), ref[0]), 1e-4);
}

}  // namespace
}  // namespace llmkit::models
