// infer::Model construction: from in-memory weights (owned f32 copies), from a ModelFile
// (zero-copy views of the mapping where the kernels read the type as stored, owned f32 copies for
// Q4_K / Q6_K / ...), or from a path; per-layer facts from the architecture traits.
#include "llmkit/infer/model.h"

#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <map>

#include "llmkit/base/error.h"
#include "llmkit/base/logging.h"
#include "llmkit/infer/kv_cache.h"
#include "llmkit/infer/session.h"
#include "llmkit/models/arch.h"
#include "llmkit/models/tensor_names.h"
#include "llmkit/tensor/view.h"
#include "llmkit/tokenizer/gguf_vocab.h"
#include "llmkit/tokenizer/sentencepiece_tokenizer.h"

namespace llmkit::infer {
namespace {

std::string upper(std::string s) {
  for (char& ch : s) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
  return s;
}

std::string blk(int64_t layer, const char* name) {
  return str_cat("blk.", layer, ".", name, ".weight");
}

// Drops the resident pages of [data, data + bytes), a part of a read-only file mapping that was
// only read to make a copy: for a file mapping MADV_DONTNEED loses nothing (a page touched again
// is re-read from the file). Only whole pages inside the range are dropped. Keeps the process's
// resident size at one copy of the weights. Callers pass file-mapped ranges only
// (WeightData::file_mapped): on anonymous memory the pages would read back as zeros.
void release_file_pages(const void* data, int64_t bytes) {
  const auto page = static_cast<uintptr_t>(::sysconf(_SC_PAGESIZE));
  const auto begin = (reinterpret_cast<uintptr_t>(data) + page - 1) / page * page;
  const auto end =
      (reinterpret_cast<uintptr_t>(data) + static_cast<uintptr_t>(bytes)) / page * page;
  if (end > begin) ::madvise(reinterpret_cast<void*>(begin), end - begin, MADV_DONTNEED);
}

// A contiguous f32 tensor as a WeightMatrix that keeps the tensor's storage alive.
WeightMatrix matrix_of_f32_tensor(const Tensor& t) {
  LLMKIT_CHECK(t.dim() == 2 && t.dtype() == DType::kF32 && t.is_contiguous(),
               "Model: expected a contiguous f32 matrix, got ", describe(t));
  const float* data = t.data<float>();
  return WeightMatrix(io::GgmlType::kF32, t.size(0), t.size(1), data,
                      std::shared_ptr<const void>(t.storage(), data));
}

}  // namespace

void Model::build(const std::function<WeightMatrix(const std::string&)>& matrix,
                  const std::function<std::vector<float>(const std::string&)>& vector) {
  const models::ModelConfig& c = config_;
  const models::ArchTraits& traits = models::arch_traits(c.arch);
  embedding_scale_ = traits.embedding_scale(c);
  final_softcap_ = traits.final_softcap(c);
  auto norm = [&](const std::string& name, bool unit_offset) {
    std::vector<float> w = vector(name);
    if (unit_offset) {
      for (float& v : w) v += 1.0f;
    }
    return w;
  };
  token_embd_ = matrix("token_embd.weight");
  output_ = c.tie_embeddings ? token_embd_ : matrix("output.weight");
  output_norm_ = norm("output_norm.weight", traits.norm_unit_offset);
  specs_.clear();
  layers_.clear();
  for (int64_t i = 0; i < c.n_layer; ++i) {
    const nn::BlockConfig b = traits.block_config(c, i);
    LayerSpec s;
    s.window = b.attention.window;
    s.rope_theta = b.attention.rope_theta;
    s.rope_scaled = c.rope_scaling != models::RopeScaling::kNone && !models::is_local_layer(c, i);
    s.attn_softcap = b.attention.softcap;
    s.q_scale = b.attention.query_scale != 0.0f ? b.attention.query_scale
                                                : 1.0f / std::sqrt(static_cast<float>(c.head_dim));
    s.post_norms = b.post_norms;
    s.qk_norm = b.attention.qk_norm;
    s.gelu = b.mlp.kind == nn::MlpKind::kGeGLU;
    LLMKIT_CHECK_CODE(b.mlp.kind != nn::MlpKind::kGelu, ErrorCode::kUnsupported,
                      "Model: the plain GELU MLP (no gate) is not supported by the inference "
                      "engine");
    specs_.push_back(s);

    LayerWeights w;
    w.attn_norm = norm(blk(i, "attn_norm"), b.norm_unit_offset);
    w.ffn_norm = norm(blk(i, "ffn_norm"), b.norm_unit_offset);
    if (s.post_norms) {
      w.post_attention_norm = norm(blk(i, "post_attention_norm"), b.norm_unit_offset);
      w.post_ffw_norm = norm(blk(i, "post_ffw_norm"), b.norm_unit_offset);
    }
    if (s.qk_norm) {
      w.attn_q_norm = norm(blk(i, "attn_q_norm"), b.attention.norm_unit_offset);
      w.attn_k_norm = norm(blk(i, "attn_k_norm"), b.attention.norm_unit_offset);
    }
    w.attn_q = matrix(blk(i, "attn_q"));
    w.attn_k = matrix(blk(i, "attn_k"));
    w.attn_v = matrix(blk(i, "attn_v"));
    w.attn_output = matrix(blk(i, "attn_output"));
    w.ffn_gate = matrix(blk(i, "ffn_gate"));
    w.ffn_up = matrix(blk(i, "ffn_up"));
    w.ffn_down = matrix(blk(i, "ffn_down"));
    layers_.push_back(std::move(w));
  }
}

std::shared_ptr<const Model> Model::from_weights(
    const models::ModelConfig& config, const io::NamedTensorList& weights,
    std::shared_ptr<const tokenizer::Tokenizer> tokenizer) {
  models::validate(config);
  std::shared_ptr<Model> m(new Model());
  m->config_ = models::resolve(config);
  m->tokenizer_ = std::move(tokenizer);
  m->path_ = "<memory>";
  std::map<std::string, Tensor> by_name;
  for (const auto& [name, t] : weights) by_name[name] = t;
  std::map<std::string, Shape> expected;
  for (const models::TensorSpec& spec : models::tensor_specs(m->config_)) {
    expected[spec.name] = spec.shape;
  }
  for (const auto& [name, t] : by_name) {
    LLMKIT_CHECK(expected.count(name) != 0, "Model::from_weights: tensor '", name,
                 "' is not a weight of this ", models::arch_name(m->config_.arch), " config");
  }
  auto get = [&](const std::string& name) -> Tensor {
    auto it = by_name.find(name);
    LLMKIT_CHECK_CODE(it != by_name.end(), ErrorCode::kNotFound,
                      "Model::from_weights: missing tensor '", name, "'");
    const Tensor& t = it->second;
    LLMKIT_CHECK(t.shape() == expected.at(name), "Model::from_weights: tensor '", name, "' is ",
                 describe(t), " but the config needs ", shape_to_string(expected.at(name)));
    LLMKIT_CHECK(is_floating(t.dtype()), "Model::from_weights: tensor '", name, "' is ",
                 describe(t), "; weights must be floating point");
    return t;
  };
  m->build(
      [&](const std::string& name) {
        // A private contiguous f32 copy (the caller may keep training the original).
        Tensor t = get(name);
        Tensor copy = Tensor::uninitialized(t.shape());
        ops::copy_into(copy, t);
        return matrix_of_f32_tensor(copy);
      },
      [&](const std::string& name) { return get(name).to_vector(); });
  return m;
}

std::shared_ptr<const Model> Model::from_file(
    models::ModelFile file, std::shared_ptr<const tokenizer::Tokenizer> tokenizer) {
  return build_from_file(std::move(file), std::move(tokenizer));
}

std::shared_ptr<Model> Model::build_from_file(
    models::ModelFile file, std::shared_ptr<const tokenizer::Tokenizer> tokenizer) {
  std::shared_ptr<Model> m(new Model());
  m->config_ = models::resolve(file.config);
  models::validate(m->config_, file.path);
  m->path_ = file.path;
  m->tokenizer_ = std::move(tokenizer);
  std::map<io::GgmlType, int64_t> type_count;
  const std::string& path = file.path;
  auto find = [&](const std::string& name) -> const models::WeightData& {
    auto it = file.weights.find(name);
    LLMKIT_CHECK_CODE(it != file.weights.end(), ErrorCode::kNotFound, path, ": missing tensor '",
                      name, "'");
    return it->second;
  };
  m->build(
      [&](const std::string& name) {
        const models::WeightData& w = find(name);
        LLMKIT_CHECK_CODE(w.shape.size() == 2, ErrorCode::kCorruptData, path, ": tensor '", name,
                          "' has shape ", shape_to_string(w.shape), "; a matrix was expected");
        if (name != "token_embd.weight") ++type_count[w.type];
        if (WeightMatrix::supports(w.type)) {
          const WeightMatrix stored(w.type, w.shape[0], w.shape[1], w.data, w.owner);
          WeightMatrix split = stored.split_blocks();
          if (split.is_split() && w.file_mapped)
            release_file_pages(stored.data(), stored.n_bytes());
          return split;
        }
        return matrix_of_f32_tensor(ops::contiguous(w.to_f32()));
      },
      [&](const std::string& name) { return find(name).to_f32().to_vector(); });
  // The most common type of the layer matrices (and output.weight).
  auto best = std::max_element(type_count.begin(), type_count.end(),
                               [](const auto& a, const auto& b) { return a.second < b.second; });
  if (best != type_count.end()) {
    m->weight_type_name_ = upper(io::ggml_type_name(best->first));
    if (!WeightMatrix::supports(best->first)) m->weight_type_name_ += " (as F32)";
  }
  m->file_ = std::move(file);
  return m;
}

std::shared_ptr<const Model> Model::load(const std::string& path) {
  models::ModelFile file = models::open_model_file(path);
  std::shared_ptr<const tokenizer::Tokenizer> tok;
  std::string why_none = "neither GGUF tokenizer metadata nor a tokenizer.model beside the weights";
  if (file.gguf) {
    // A model without a usable tokenizer still runs on token ids (bench, tests); the reason is
    // kept for require_tokenizer().
    try {
      tok = tokenizer::tokenizer_from_gguf(*file.gguf);
    } catch (const Error& e) {
      if (e.code() != ErrorCode::kNotFound && e.code() != ErrorCode::kUnsupported) throw;
      if (e.code() == ErrorCode::kUnsupported) LLMKIT_LOG(kWarn, e.what());
      why_none = e.what();
    }
  } else if (!file.tokenizer_model_path.empty()) {
    tok = std::make_shared<tokenizer::SentencePieceTokenizer>(
        tokenizer::SentencePieceTokenizer::load(file.tokenizer_model_path));
  }
  std::shared_ptr<Model> model = build_from_file(std::move(file), std::move(tok));
  if (model->tokenizer_ == nullptr) model->tokenizer_error_ = why_none;
  return model;
}

const tokenizer::Tokenizer& Model::require_tokenizer() const {
  LLMKIT_CHECK_CODE(tokenizer_ != nullptr, ErrorCode::kNotFound, "model ", path_,
                    " has no usable tokenizer (",
                    tokenizer_error_.empty() ? "none was given" : tokenizer_error_, ")");
  return *tokenizer_;
}

MemoryReport Model::memory(int64_t n_ctx, int64_t n_batch, int n_threads, KvType kv_type) const {
  const models::ModelConfig& c = config_;
  MemoryReport r;
  auto add_matrix = [&](const WeightMatrix& w) { r.weights += w.n_bytes(); };
  auto add_vector = [&](const std::vector<float>& v) {
    r.weights += static_cast<int64_t>(v.size() * sizeof(float));
  };
  add_matrix(token_embd_);
  if (!c.tie_embeddings) add_matrix(output_);
  add_vector(output_norm_);
  for (const LayerWeights& w : layers_) {
    for (const WeightMatrix* m :
         {&w.attn_q, &w.attn_k, &w.attn_v, &w.attn_output, &w.ffn_gate, &w.ffn_up, &w.ffn_down}) {
      add_matrix(*m);
    }
    for (const std::vector<float>* v : {&w.attn_norm, &w.ffn_norm, &w.post_attention_norm,
                                        &w.post_ffw_norm, &w.attn_q_norm, &w.attn_k_norm}) {
      add_vector(*v);
    }
  }
  r.kv_cache = KvCache::bytes_for(c.n_layer, c.n_head_kv, c.head_dim, n_ctx, kv_type);
  r.activations = Session::buffer_bytes(*this, n_batch, n_threads);
  return r;
}

}  // namespace llmkit::infer
