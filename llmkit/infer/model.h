// infer::Model: the immutable weights of a model prepared for inference (any file
// models::open_model_file accepts), plus its tokenizer. Shareable across threads and sessions
// (std::shared_ptr<const Model>); every per-conversation state lives in a Session.
//
// Weights stay in their file type (F32, F16, BF16, Q8_0, Q4_0 zero-copy from the mapping; Q4_K and
// Q6_K dequantized to f32 at load) and are used by the matrix kernels of weight_matrix.h.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "llmkit/infer/kv_cache.h"
#include "llmkit/infer/weight_matrix.h"
#include "llmkit/models/model_file.h"
#include "llmkit/tokenizer/tokenizer.h"

namespace llmkit::infer {

// Per-layer facts the forward pass needs (from the architecture traits).
struct LayerSpec {
  int64_t window = 0;           // sliding window in tokens, 0: global
  float rope_theta = 10000.0f;  // RoPE base of this layer
  bool rope_scaled = false;     // the config's rope_scaling applies (global layers; see rope.h)
  float attn_softcap = 0.0f;
  float q_scale = 1.0f;  // multiplies q (1/sqrt(query_pre_attn_scalar))
  bool post_norms = false;
  bool qk_norm = false;
  bool gelu = false;  // GeGLU (tanh GELU) MLP; else SwiGLU
};

struct LayerWeights {
  std::vector<float> attn_norm, ffn_norm, post_attention_norm, post_ffw_norm;  // full multipliers
  std::vector<float> attn_q_norm, attn_k_norm;                                 // [D], multipliers
  WeightMatrix attn_q, attn_k, attn_v, attn_output, ffn_gate, ffn_up, ffn_down;
};

// Bytes the parts of an inference setup take (for the memory report printed before allocation).
struct MemoryReport {
  int64_t weights = 0;      // weight bytes (mapped or owned)
  int64_t kv_cache = 0;     // for the given context
  int64_t activations = 0;  // scratch buffers for the given batch size
  int64_t total() const { return weights + kv_cache + activations; }
};

class Model {
 public:
  // Opens `path` (see models/model_file.h) and its tokenizer (from GGUF metadata, or a
  // tokenizer.model beside the weights; none is an error only for commands that need text).
  static std::shared_ptr<const Model> load(const std::string& path);
  // From weights in memory (llmkit conventions, tensor_specs(config) names), e.g. a TransformerLM's
  // named parameters. Copies what it needs.
  static std::shared_ptr<const Model> from_weights(
      const models::ModelConfig& config, const io::NamedTensorList& weights,
      std::shared_ptr<const tokenizer::Tokenizer> tokenizer = nullptr);
  static std::shared_ptr<const Model> from_file(
      models::ModelFile file, std::shared_ptr<const tokenizer::Tokenizer> tokenizer = nullptr);

  const models::ModelConfig& config() const { return config_; }
  const std::string& path() const { return path_; }
  // Null when the model came without one.
  const tokenizer::Tokenizer* tokenizer() const { return tokenizer_.get(); }
  std::shared_ptr<const tokenizer::Tokenizer> shared_tokenizer() const { return tokenizer_; }
  // Throws Error(kNotFound) naming the model path when there is no tokenizer.
  const tokenizer::Tokenizer& require_tokenizer() const;
  // The chat template's Jinja source from the model file (models/chat_template_source.h); ""
  // when the file has none or the model was built from weights.
  const std::string& chat_template() const { return file_.chat_template; }

  // "F32", "F16", "Q8_0", ... (the file type of most matrix weights) for reports; types read by
  // dequantisation say so: "Q4_K (as F32)".
  std::string weight_type_name() const { return weight_type_name_; }
  // Weights, KV cache for n_ctx positions, and a Session's buffers for batches of n_batch tokens
  // on n_threads threads (the numbers a Session with those options allocates).
  MemoryReport memory(int64_t n_ctx, int64_t n_batch, int n_threads = 1,
                      KvType kv_type = KvType::kF32) const;

  // ---- used by the forward pass
  float embedding_scale() const { return embedding_scale_; }
  float final_softcap() const { return final_softcap_; }
  const WeightMatrix& token_embd() const { return token_embd_; }
  const WeightMatrix& output() const { return output_; }  // token_embd when tied
  const std::vector<float>& output_norm() const { return output_norm_; }
  const std::vector<LayerSpec>& layer_specs() const { return specs_; }
  const std::vector<LayerWeights>& layers() const { return layers_; }

 private:
  Model() = default;
  static std::shared_ptr<Model> build_from_file(models::ModelFile file,
                                                std::shared_ptr<const tokenizer::Tokenizer> tok);
  // Fills everything but the tokenizer from config_ (resolved) through the two getters (GGUF
  // tensor names in llmkit conventions); vector() returns a norm weight as stored (w of (1 + w)
  // for Gemma), build() turns it into the full multiplier.
  void build(const std::function<WeightMatrix(const std::string&)>& matrix,
             const std::function<std::vector<float>(const std::string&)>& vector);

  models::ModelConfig config_;
  std::string weight_type_name_ = "F32";
  std::string path_;
  std::shared_ptr<const tokenizer::Tokenizer> tokenizer_;
  std::string tokenizer_error_;  // why there is no tokenizer (load())
  models::ModelFile file_;       // keeps mappings alive
  float embedding_scale_ = 1.0f;
  float final_softcap_ = 0.0f;
  WeightMatrix token_embd_, output_;
  std::vector<float> output_norm_;
  std::vector<LayerSpec> specs_;
  std::vector<LayerWeights> layers_;
};

}  // namespace llmkit::infer
