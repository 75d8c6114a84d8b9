// Shared helpers of the models tests: small configs per architecture, temporary folders, weight
// randomisation and the NumPy reference.
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "llmkit/models/model_config.h"
#include "llmkit/models/transformer_lm.h"
#include "llmkit/tensor/creation.h"

namespace llmkit::models::testing {

namespace fs = std::filesystem;

// 2-3 layers, n_embd 16, 4 heads of D = 8 (so H*D = 32 != n_embd), vocab 32, window 3: small
// enough for a NumPy reference, with local and global layers that see different keys at T = 7.
inline ModelConfig small_config(Arch arch) {
  ModelConfig c;
  c.arch = arch;
  c.n_vocab = 32;
  c.n_ctx = 16;
  c.n_embd = 16;
  c.n_layer = 2;
  c.n_head = 4;
  c.n_head_kv = 2;
  c.head_dim = 8;
  c.n_ff = 24;
  c.norm_eps = 1e-6f;
  c.rope_theta = 10000.0f;
  switch (arch) {
    case Arch::kGemma:
      c.n_head_kv = 1;  // MQA, as gemma-2b
      break;
    case Arch::kGemma2:
      c.sliding_window = 3;
      c.sliding_window_pattern = 2;
      c.attn_softcap = 3.0f;
      c.final_softcap = 5.0f;
      c.query_pre_attn_scalar = 12.0f;
      break;
    case Arch::kGemma3:
      c.n_layer = 3;
      c.n_head_kv = 1;
      c.sliding_window = 3;
      c.sliding_window_pattern = 3;  // local, local, global
      c.rope_theta = 1000000.0f;
      c.rope_theta_local = 100.0f;
      c.query_pre_attn_scalar = 6.0f;
      break;
    case Arch::kLlama:
      c.tie_embeddings = false;
      c.norm_eps = 1e-5f;
      c.rope_theta = 500000.0f;
      break;
  }
  return c;
}

// A fresh folder under the system temp dir, removed at destruction.
class TempDir {
 public:
  explicit TempDir(const std::string& tag) {
    path_ = fs::temp_directory_path() / ("llmkit_models_" + tag + "_" + std::to_string(::getpid()) +
                                         "_" + std::to_string(counter()++));
    fs::remove_all(path_);
    fs::create_directories(path_);
  }
  ~TempDir() { fs::remove_all(path_); }
  std::string str() const { return path_.string(); }
  std::string file(const std::string& name) const { return (path_ / name).string(); }

 private:
  static int& counter() {
    static int n = 0;
    return n;
  }
  fs::path path_;
};

// Re-draws every parameter so that logits are O(1-10) (a fresh model's are tiny, which would let a
// wrong forward pass hide under any tolerance): matrices N(0, 0.4^2), the embedding N(0, 1), norm
// weights N(0, 0.3^2) around their identity value.
inline void randomise(nn::Module& model, uint64_t seed, bool unit_offset_norms) {
  Generator gen(seed);
  nn::NamedTensors state;
  for (auto& [name, t] : model.named_parameters()) {
    Tensor v;
    if (t.dim() == 1) {
      v = randn(t.shape(), gen, unit_offset_norms ? 0.0f : 1.0f, 0.3f);
    } else if (name == "token_embd.weight") {
      v = randn(t.shape(), gen, 0.0f, 1.0f);
    } else {
      v = randn(t.shape(), gen, 0.0f, 0.4f);
    }
    state.emplace_back(name, v);
  }
  model.load_state_dict(state);
}

// Runs a command and returns its exit status.
inline int run_command(const std::string& cmd) {
  return std::system(cmd.c_str());
}

// Reads n little-endian floats from a raw file.
inline std::vector<float> read_f32(const std::string& path, size_t n) {
  std::vector<float> v(n);
  std::ifstream in(path, std::ios::binary);
  in.read(reinterpret_cast<char*>(v.data()), static_cast<std::streamsize>(n * sizeof(float)));
  EXPECT_EQ(static_cast<size_t>(in.gcount()), n * sizeof(float)) << path << " is too short";
  return v;
}

}  // namespace llmkit::models::testing
