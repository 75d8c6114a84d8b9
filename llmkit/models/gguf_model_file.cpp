// open_gguf_model_file: a GGUF file -> ModelFile, converting llama.cpp's value conventions
// (gguf_conventions.h) into owned copies and borrowing every other weight from the mapping.
#include <cstring>
#include <memory>
#include <set>

#include "llmkit/base/error.h"
#include "llmkit/models/arch.h"
#include "llmkit/models/chat_template_source.h"
#include "llmkit/models/gguf_conventions.h"
#include "llmkit/models/model_file_readers.h"

namespace llmkit::models {
namespace {

// (1 + w) stored -> w, as an owned f32 copy.
WeightData minus_one(const WeightData& stored) {
  Tensor t = stored.to_f32();
  float* p = t.data<float>();
  for (int64_t i = 0; i < t.numel(); ++i) p[i] -= 1.0f;
  return weight_from_tensor(t);
}

// llama.cpp's RoPE row order -> HF's, whole rows at a time (any row type).
WeightData unpermute(const WeightData& stored, int64_t n_head, int64_t head_dim) {
  const int64_t n_bytes = stored.n_bytes();
  std::shared_ptr<uint8_t[]> buffer(new uint8_t[static_cast<size_t>(n_bytes)]);
  const int64_t row_bytes = n_bytes / stored.shape[0];
  permute_qk_rows(stored.data, buffer.get(), n_head, head_dim, row_bytes,
                  RowPermutation::kGgufToHf);
  WeightData w = stored;
  w.data = buffer.get();
  w.owner = std::shared_ptr<const void>(buffer, buffer.get());
  w.file_mapped = false;
  return w;
}

}  // namespace

ModelFile open_gguf_model_file(const std::string& path) {
  auto file = std::make_shared<const io::GgufFile>(path);
  ModelFile mf;
  mf.path = path;
  mf.format = "gguf";
  mf.config = config_from_gguf(*file);
  mf.gguf = file;
  const ModelConfig& c = mf.config;
  const std::string what = str_cat(arch_name(c.arch), " metadata (n_layer ", c.n_layer, ", n_embd ",
                                   c.n_embd, ", n_vocab ", c.n_vocab, ")");
  std::set<std::string> expected;
  for (const TensorSpec& s : tensor_specs(c)) {
    expected.insert(s.name);
    const io::GgufTensorInfo* info = file->find_tensor(s.name);
    LLMKIT_CHECK_CODE(info != nullptr, ErrorCode::kNotFound, path, " lacks tensor '", s.name, "' ",
                      shape_to_string(s.shape), " that its ", what, " requires");
    LLMKIT_CHECK_CODE(info->shape() == s.shape, ErrorCode::kCorruptData, "tensor '", s.name,
                      "' is ", shape_to_string(info->shape()), " in ", path, " but its ", what,
                      " implies ", shape_to_string(s.shape));
    const io::GgmlTypeInfo& type = io::ggml_type_info(info->type);
    LLMKIT_CHECK_CODE(type.readable, ErrorCode::kUnsupported, "tensor '", s.name, "' in ", path,
                      " has type ", type.name,
                      ", which llmkit cannot read (f32, f16, bf16, q8_0, q4_0, q4_K, q6_K)");
    WeightData w;
    w.type = info->type;
    w.shape = s.shape;
    w.data = info->data;
    w.owner = file->mapping();
    w.file_mapped = true;
    if (gguf_norm_offset(s)) {
      w = minus_one(w);
    } else if (gguf_rows_permuted(c.arch, s.name)) {
      w = unpermute(w, gguf_permuted_heads(c, s.name), c.head_dim);
    }
    mf.weights.emplace(s.name, std::move(w));
  }
  for (const io::GgufTensorInfo& info : file->tensors()) {
    if (expected.count(info.name) != 0) continue;
    if (info.name == "rope_freqs.weight" && c.arch == Arch::kLlama) continue;  // in the config
    throw_error(ErrorCode::kCorruptData,
                str_cat(path, " has tensor '", info.name, "' that its ", what, " does not define"));
  }
  mf.chat_template = chat_template_from_gguf(*file);
  return mf;
}

}  // namespace llmkit::models
