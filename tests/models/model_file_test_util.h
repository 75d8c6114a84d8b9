// Helpers of the model-file tests: small llama.cpp-compatible configs per architecture (rows of 64
// or 96 elements, multiples of the 32-element quantization blocks), random weights in llmkit's
// conventions, and GGUF export to a file.
#pragma once

#include <gtest/gtest.h>

#include <string>

#include "llmkit/base/error.h"
#include "llmkit/io/gguf.h"
#include "llmkit/models/model_file.h"
#include "llmkit/models/tensor_names.h"
#include "llmkit/tensor/creation.h"
#include "models_test_util.h"
#include "tests/support/expect_error.h"

namespace llmkit::models::testing {

inline const char* arch_label(const ::testing::TestParamInfo<Arch>& info) {
  return arch_name(info.param);
}

// n_embd 64, 4 heads of D = 16 (H*D = 64), n_ff 96, vocab 40, with each architecture's features
// switched on (gemma2 soft-caps and window, gemma3 pattern 3 with local base and final cap, llama
// untied with linear RoPE scaling). query_pre_attn_scalar = head_dim, as llama.cpp derives it.
inline ModelConfig gguf_config(Arch arch) {
  ModelConfig c;
  c.arch = arch;
  c.n_vocab = 40;
  c.n_ctx = 128;
  c.n_embd = 64;
  c.n_layer = 2;
  c.n_head = 4;
  c.n_head_kv = 2;
  c.head_dim = 16;
  c.n_ff = 96;
  c.norm_eps = 1e-6f;
  c.rope_theta = 10000.0f;
  switch (arch) {
    case Arch::kGemma:
      c.n_head_kv = 1;
      break;
    case Arch::kGemma2:
      c.sliding_window = 8;
      c.sliding_window_pattern = 2;
      c.attn_softcap = 50.0f;
      c.final_softcap = 30.0f;
      break;
    case Arch::kGemma3:
      c.n_layer = 3;
      c.sliding_window = 16;
      c.sliding_window_pattern = 3;
      c.rope_theta = 1000000.0f;
      c.rope_theta_local = 100.0f;
      c.final_softcap = 20.0f;
      break;
    case Arch::kLlama:
      c.tie_embeddings = false;
      c.norm_eps = 1e-5f;
      c.rope_theta = 500000.0f;
      c.rope_scaling = RopeScaling::kLinear;
      c.rope_scaling_factor = 2.0f;
      c.bos_id = 1;
      c.eos_id = 2;
      break;
  }
  return resolve(c);
}

// Every weight of tensor_specs(config): matrices N(0, 0.5^2), norms N(0, 0.3^2) around their
// identity value (0 for (1 + w) norms, 1 for plain ones), all distinct so that a wrong row order
// or offset cannot go unnoticed.
inline io::NamedTensorList gguf_weights(const ModelConfig& config, uint64_t seed) {
  Generator gen(seed);
  io::NamedTensorList out;
  for (const TensorSpec& s : tensor_specs(config)) {
    const float mean = s.init == TensorInit::kOnes ? 1.0f : 0.0f;
    out.emplace_back(s.name, randn(s.shape, gen, mean, s.shape.size() == 1 ? 0.3f : 0.5f));
  }
  return out;
}

// Exports config + weights to path with the given matrix type.
inline void write_gguf(const ModelConfig& config, const io::NamedTensorList& weights,
                       const std::string& path, io::GgmlType type = io::GgmlType::kF32) {
  io::GgufWriter writer;
  ExportOptions options;
  options.type = type;
  options.name = "test";
  add_model_to_gguf(config, weights, options, writer);
  writer.write(path);
}

using llmkit::test::expect_error;

}  // namespace llmkit::models::testing
