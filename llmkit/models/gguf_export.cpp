// add_model_to_gguf: an llmkit model (config + weights in llmkit's conventions) -> the metadata and
// tensors of a GGUF file that llama.cpp loads (conventions in gguf_conventions.h).
#include <map>

#include "llmkit/base/error.h"
#include "llmkit/models/gguf_conventions.h"
#include "llmkit/models/model_file.h"
#include "llmkit/tensor/creation.h"
#include "llmkit/tensor/view.h"

namespace llmkit::models {
namespace {

// rows [H*D, C] in HF order -> llama.cpp's order (same dtype).
Tensor permute_for_gguf(const Tensor& weight, int64_t n_head, int64_t head_dim) {
  const Tensor src = ops::contiguous(weight);
  Tensor dst = Tensor::uninitialized(src.shape(), src.dtype());
  const int64_t row_bytes = src.shape()[1] * static_cast<int64_t>(dtype_size(src.dtype()));
  permute_qk_rows(src.raw_data(), dst.raw_data(), n_head, head_dim, row_bytes,
                  RowPermutation::kHfToGguf);
  return dst;
}

// w -> 1 + w in f32.
Tensor plus_one(const Tensor& weight) {
  Tensor t = ops::clone(ops::to_dtype(weight, DType::kF32));
  float* p = t.data<float>();
  for (int64_t i = 0; i < t.numel(); ++i) p[i] += 1.0f;
  return t;
}

// The type of a matrix whose rows have `cols` elements: the requested one, or f16 when the row
// length is not a multiple of its block (as llama.cpp's quantizer falls back).
io::GgmlType matrix_type(io::GgmlType requested, int64_t cols) {
  return cols % io::ggml_type_info(requested).block_elems == 0 ? requested : io::GgmlType::kF16;
}

}  // namespace

void add_model_to_gguf(const ModelConfig& config, const io::NamedTensorList& weights,
                       const ExportOptions& options, io::GgufWriter& writer) {
  const io::GgmlTypeInfo& type = io::ggml_type_info(options.type);
  LLMKIT_CHECK_CODE(type.writable, ErrorCode::kUnsupported, "export: weights of type ", type.name,
                    " cannot be written (f32, f16, bf16, q8_0, q4_0, q4_K, q6_K)");
  const ModelConfig c = resolve(config);
  const std::vector<TensorSpec> specs = tensor_specs(c);
  std::map<std::string, const Tensor*> by_name;
  for (const auto& [name, t] : weights) {
    LLMKIT_CHECK(by_name.emplace(name, &t).second, "export: tensor '", name, "' given twice");
  }
  for (const TensorSpec& s : specs) {
    auto it = by_name.find(s.name);
    LLMKIT_CHECK_CODE(it != by_name.end(), ErrorCode::kNotFound, "export: tensor '", s.name, "' ",
                      shape_to_string(s.shape), " that the ", arch_name(c.arch),
                      " config requires is missing");
    const Tensor& t = *it->second;
    LLMKIT_CHECK(t.defined() && t.shape() == s.shape && is_floating(t.dtype()), "export: tensor '",
                 s.name, "' is ", t.defined() ? describe(t) : std::string("undefined"),
                 " but the config needs ", shape_to_string(s.shape), " (floating point)");
  }
  LLMKIT_CHECK(by_name.size() == specs.size(), "export: ", by_name.size() - specs.size(),
               " tensors are not part of the ", arch_name(c.arch), " config (",
               c.tie_embeddings ? "tie_embeddings is true, so no output.weight; " : "",
               "names must be tensor_specs names)");

  add_config_to_gguf(c, writer);
  writer.set("general.name",
             io::GgufValue::string(options.name.empty() ? arch_name(c.arch) : options.name));
  writer.set("general.file_type", io::GgufValue::u32(llama_file_type(options.type)));

  if (c.rope_scaling == RopeScaling::kLlama3) {
    const std::vector<float> factors = llama3_rope_factors(c);
    writer.add_tensor("rope_freqs.weight",
                      from_vector(factors, {static_cast<int64_t>(factors.size())}),
                      io::GgmlType::kF32);
  }
  for (const TensorSpec& s : specs) {
    const Tensor& t = *by_name.at(s.name);
    if (s.shape.size() == 1) {  // norms: always f32, as llama.cpp keeps 1-D tensors
      writer.add_tensor(s.name, gguf_norm_offset(s) ? plus_one(t) : t, io::GgmlType::kF32);
      continue;
    }
    const Tensor stored = gguf_rows_permuted(c.arch, s.name)
                              ? permute_for_gguf(t, gguf_permuted_heads(c, s.name), c.head_dim)
                              : t;
    writer.add_tensor(s.name, stored, matrix_type(options.type, s.shape[1]));
  }
}

}  // namespace llmkit::models
