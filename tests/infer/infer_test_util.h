// Shared helpers of the infer tests: random models whose every weight matters, their
// training-path logits (also with the matrices rounded to a GGUF type), token ids, comparisons.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <memory>
#include <random>
#include <vector>

#include "llmkit/io/quantize.h"
#include "llmkit/models/arch.h"
#include "llmkit/models/transformer_lm.h"
#include "llmkit/tensor/creation.h"
#include "llmkit/tensor/rng.h"

namespace llmkit::infer::testing {

// A TransformerLM whose weights are redrawn so that logits are O(10) and every norm weight
// matters: matrices N(0, 0.15^2), token_embd / output N(0, 0.5^2), norm weights N(identity,
// 0.3^2). (Much larger weights make the network ill-conditioned: rounding differences between
// equally valid summation orders then grow beyond 1e-4 in logits of magnitude 50+.)
inline std::shared_ptr<models::TransformerLM> random_lm(const models::ModelConfig& config,
                                                        uint64_t seed) {
  auto lm = std::make_shared<models::TransformerLM>(config, seed);
  const bool unit_offset = models::arch_traits(config.arch).norm_unit_offset;
  Generator gen(seed + 1);
  nn::NamedTensors state;
  for (const auto& [name, t] : lm->named_parameters()) {
    const bool embedding = name == "token_embd.weight" || name == "output.weight";
    const float mean = t.dim() == 1 && !unit_offset ? 1.0f : 0.0f;
    const float std = t.dim() == 1 ? 0.3f : embedding ? 0.5f : 0.15f;
    state.emplace_back(name, randn(t.shape(), gen, mean, std));
  }
  lm->load_state_dict(state);
  return lm;
}

// The same model with every matrix rounded to `type` and back (what a quantised file holds).
inline std::shared_ptr<models::TransformerLM> rounded_lm(const models::TransformerLM& lm,
                                                         io::GgmlType type) {
  auto out = std::make_shared<models::TransformerLM>(lm.config(), uint64_t{0});
  nn::NamedTensors state;
  for (const auto& [name, t] : lm.named_parameters()) {
    std::vector<float> v = t.to_vector();
    if (t.dim() == 2) {
      const int64_t cols = t.size(1);
      std::vector<uint8_t> row(static_cast<size_t>(io::ggml_row_bytes(type, cols)));
      for (int64_t r = 0; r < t.size(0); ++r) {
        io::quantize_row(type, v.data() + r * cols, row.data(), cols);
        io::dequantize_row(type, row.data(), v.data() + r * cols, cols);
      }
    }
    state.emplace_back(name, from_vector(v, t.shape()));
  }
  out->load_state_dict(state);
  return out;
}

inline std::vector<int32_t> random_tokens(int64_t n, int64_t vocab, uint32_t seed) {
  std::mt19937 gen(seed);
  std::vector<int32_t> ids(static_cast<size_t>(n));
  for (int32_t& id : ids) id = static_cast<int32_t>(gen() % static_cast<uint32_t>(vocab));
  return ids;
}

// Training-path logits [T * V] at positions 0 .. T-1.
inline std::vector<float> training_logits(const models::TransformerLM& lm,
                                          const std::vector<int32_t>& ids) {
  std::vector<float> f(ids.begin(), ids.end());
  return lm.forward(from_vector(f, {1, static_cast<int64_t>(ids.size())}, DType::kI32)).to_vector();
}

inline float max_abs(const std::vector<float>& v) {
  float m = 0.0f;
  for (float x : v) m = std::max(m, std::fabs(x));
  return m;
}

inline float max_abs_diff(const float* a, const float* b, size_t n) {
  float m = 0.0f;
  for (size_t i = 0; i < n; ++i) m = std::max(m, std::fabs(a[i] - b[i]));
  return m;
}

inline float max_abs_diff(const std::vector<float>& a, const std::vector<float>& b) {
  EXPECT_EQ(a.size(), b.size());
  return max_abs_diff(a.data(), b.data(), std::min(a.size(), b.size()));
}

}  // namespace llmkit::infer::testing
