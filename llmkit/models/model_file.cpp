// WeightData and open_model_file's dispatch between GGUF files, model folders and run folders.
#include "llmkit/models/model_file.h"

#include <cstring>
#include <filesystem>
#include <fstream>

#include "llmkit/base/error.h"
#include "llmkit/io/quantize.h"
#include "llmkit/models/chat_template_source.h"
#include "llmkit/models/model_file_readers.h"
#include "llmkit/tensor/view.h"

namespace llmkit::models {
namespace fs = std::filesystem;

int64_t WeightData::n_bytes() const {
  const int64_t n = shape_numel(shape);
  if (n == 0) return 0;
  const int64_t row = shape.empty() ? 1 : shape.back();
  return n / row * io::ggml_row_bytes(type, row);
}

Tensor WeightData::to_f32() const {
  LLMKIT_CHECK(data != nullptr || shape_numel(shape) == 0, "WeightData::to_f32: no data (shape ",
               shape_to_string(shape), ")");
  Tensor out = Tensor::uninitialized(shape, DType::kF32);
  const int64_t n = shape_numel(shape);
  if (n == 0) return out;
  float* dst = out.data<float>();
  switch (type) {
    case io::GgmlType::kF32:
      std::memcpy(dst, data, static_cast<size_t>(n) * sizeof(float));
      return out;
    case io::GgmlType::kF16:
      convert_elements(data, DType::kF16, dst, DType::kF32, n);
      return out;
    case io::GgmlType::kBF16:
      convert_elements(data, DType::kBF16, dst, DType::kF32, n);
      return out;
    default:
      break;
  }
  const int64_t row = shape.empty() ? 1 : shape.back();
  const int64_t row_bytes = io::ggml_row_bytes(type, row);
  const auto* src = static_cast<const uint8_t*>(data);
  for (int64_t r = 0; r < n / row; ++r) {
    io::dequantize_row(type, src + r * row_bytes, dst + r * row, row);
  }
  return out;
}

io::GgmlType ggml_type_of(DType dtype) {
  switch (dtype) {
    case DType::kF32:
      return io::GgmlType::kF32;
    case DType::kF16:
      return io::GgmlType::kF16;
    case DType::kBF16:
      return io::GgmlType::kBF16;
    default:
      throw_error(ErrorCode::kUnsupported,
                  str_cat("no weight type for dtype ", dtype_name(dtype), " (f32, f16, bf16)"));
  }
}

WeightData weight_from_tensor(const Tensor& tensor) {
  const Tensor t = ops::contiguous(tensor);
  WeightData w;
  w.type = ggml_type_of(t.dtype());
  w.shape = t.shape();
  w.data = t.raw_data();
  w.owner = t.storage();
  return w;
}

std::string find_run_checkpoint(const std::string& run_dir) {
  const fs::path run(run_dir);
  for (const fs::path& base : {run / "train", run}) {
    for (const char* name : {"checkpoint", "checkpoint.old"}) {
      if (fs::exists(base / name / "trainer_state.json")) return (base / name).string();
    }
  }
  return "";
}

namespace {

bool has_gguf_magic(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  char magic[4] = {};
  in.read(magic, 4);
  return in.gcount() == 4 && std::memcmp(magic, "GGUF", 4) == 0;
}

}  // namespace

ModelFile open_model_file(const std::string& path) {
  std::error_code ec;
  LLMKIT_CHECK_CODE(fs::exists(path, ec), ErrorCode::kNotFound, "model '", path,
                    "' does not exist (expected a GGUF file, a model folder or a run folder)");
  if (!fs::is_directory(path, ec)) {
    LLMKIT_CHECK_CODE(has_gguf_magic(path), ErrorCode::kUnsupported, "model file '", path,
                      "' is not a GGUF file (no GGUF magic); pass a GGUF file or a folder with ",
                      "config.json and safetensors weights");
    return open_gguf_model_file(path);
  }
  if (fs::exists(fs::path(path) / "config.json")) return open_model_folder(path);
  const std::string checkpoint = find_run_checkpoint(path);
  LLMKIT_CHECK_CODE(!checkpoint.empty(), ErrorCode::kNotFound, "folder '", path,
                    "' holds neither config.json (a model folder) nor a training checkpoint "
                    "(train/checkpoint or checkpoint with trainer_state.json, a run folder)");
  ModelFile file = open_model_folder(checkpoint);
  file.path = path;
  if (file.tokenizer_model_path.empty()) {
    const fs::path run_tokenizer = fs::path(path) / "tokenizer.model";
    if (fs::exists(run_tokenizer)) file.tokenizer_model_path = run_tokenizer.string();
  }
  if (file.chat_template.empty()) file.chat_template = chat_template_from_folder(path);
  return file;
}

}  // namespace llmkit::models
