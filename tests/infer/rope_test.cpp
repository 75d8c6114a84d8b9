// RoPE frequencies and tables of the inference path: the plain frequencies, linear and llama3
// scaling (Hugging Face's definitions, re-derived here), and which layers are scaled.
#include "llmkit/infer/rope.h"

#include <gtest/gtest.h>

#include <cmath>
#include <numbers>

#include "llmkit/base/error.h"
#include "llmkit/infer/model.h"
#include "llmkit/models/arch.h"
#include "llmkit/models/transformer_lm.h"

namespace llmkit::infer {
namespace {

models::ModelConfig llama3_config() {
  models::ModelConfig c = models::preset(models::Arch::kLlama, "tiny");
  c.rope_theta = 500000.0f;
  c.rope_scaling = models::RopeScaling::kLlama3;
  c.rope_scaling_factor = 32.0f;
  c.rope_low_freq_factor = 1.0f;
  c.rope_high_freq_factor = 4.0f;
  c.rope_original_ctx = 8192;
  return c;
}

TEST(Rope, PlainFrequencies) {
  const models::ModelConfig c = llama3_config();
  const std::vector<double> f = rope_inv_freq(10000.0f, 8, c, false);
  ASSERT_EQ(f.size(), 4u);
  EXPECT_DOUBLE_EQ(f[0], 1.0);
  EXPECT_DOUBLE_EQ(f[1], 0.1);  // 10000^(-2/8)
  EXPECT_DOUBLE_EQ(f[2], 0.01);
  EXPECT_NEAR(f[3], 0.001, 1e-15);
  EXPECT_THROW(rope_inv_freq(10000.0f, 7, c, false), Error);
  EXPECT_THROW(rope_inv_freq(0.0f, 8, c, false), Error);
}

TEST(Rope, LinearScalingDividesEveryFrequency) {
  models::ModelConfig c = llama3_config();
  c.rope_scaling = models::RopeScaling::kLinear;
  c.rope_scaling_factor = 8.0f;
  const std::vector<double> plain = rope_inv_freq(1e6f, 16, c, false);
  const std::vector<double> scaled = rope_inv_freq(1e6f, 16, c, true);
  for (size_t i = 0; i < plain.size(); ++i) EXPECT_DOUBLE_EQ(scaled[i], plain[i] / 8.0);
}

TEST(Rope, Llama3ScalingByWavelength) {
  const models::ModelConfig c = llama3_config();
  const int64_t D = 64;
  const std::vector<double> plain = rope_inv_freq(500000.0f, D, c, false);
  const std::vector<double> scaled = rope_inv_freq(500000.0f, D, c, true);
  int n_high = 0, n_low = 0, n_mid = 0;
  for (size_t i = 0; i < plain.size(); ++i) {
    const double wavelen = 2.0 * std::numbers::pi / plain[i];
    if (wavelen < 8192.0 / 4.0) {  // short wavelengths (high frequencies) are kept
      EXPECT_DOUBLE_EQ(scaled[i], plain[i]);
      ++n_high;
    } else if (wavelen > 8192.0) {  // long ones are divided by the factor
      EXPECT_DOUBLE_EQ(scaled[i], plain[i] / 32.0);
      ++n_low;
    } else {  // in between: interpolation weight (8192 / wavelen - 1) / (4 - 1) on the original
      const double s = (8192.0 / wavelen - 1.0) / 3.0;
      EXPECT_NEAR(scaled[i], s * plain[i] + (1.0 - s) * plain[i] / 32.0, 1e-15);
      EXPECT_LT(scaled[i], plain[i]);
      EXPECT_GT(scaled[i], plain[i] / 32.0);
      ++n_mid;
    }
  }
  EXPECT_GT(n_high, 0);
  EXPECT_GT(n_low, 0);
  EXPECT_GT(n_mid, 0);
}

TEST(Rope, TableAndRotation) {
  const std::vector<double> f{1.0, 0.25};
  std::vector<float> cs(6), sn(6);
  rope_table(f, 5, 3, cs.data(), sn.data());
  for (int t = 0; t < 3; ++t) {
    for (int i = 0; i < 2; ++i) {
      EXPECT_FLOAT_EQ(cs[t * 2 + i], static_cast<float>(std::cos((5 + t) * f[i])));
      EXPECT_FLOAT_EQ(sn[t * 2 + i], static_cast<float>(std::sin((5 + t) * f[i])));
    }
  }
  // Rotating (1, 0, 0, 1) pairs (x0, x2) and (x1, x3).
  float x[4] = {1.0f, 0.0f, 0.0f, 1.0f};
  rope_rotate(x, 2, cs.data(), sn.data());
  EXPECT_FLOAT_EQ(x[0], cs[0]);
  EXPECT_FLOAT_EQ(x[2], sn[0]);
  EXPECT_FLOAT_EQ(x[1], -sn[1]);
  EXPECT_FLOAT_EQ(x[3], cs[1]);
}

TEST(Rope, OnlyGlobalLayersAreScaled) {
  models::ModelConfig c = models::preset(models::Arch::kGemma3, "tiny");
  c.n_vocab = 32;
  c.rope_scaling = models::RopeScaling::kLinear;
  c.rope_scaling_factor = 8.0f;
  models::TransformerLM lm(c, uint64_t{1});
  auto model = Model::from_weights(c, lm.named_parameters());
  for (int64_t i = 0; i < c.n_layer; ++i) {
    const LayerSpec& s = model->layer_specs()[i];
    EXPECT_EQ(s.rope_scaled, !models::is_local_layer(c, i)) << "layer " << i;
    EXPECT_EQ(s.rope_theta, models::layer_rope_theta(c, i));
  }
}

}  // namespace
}  // namespace llmkit::infer
