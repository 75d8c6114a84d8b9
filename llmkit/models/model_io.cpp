#include "llmkit/models/model_io.h"

#include <cmath>
#include <filesystem>
#include <set>
#include <system_error>

#include "llmkit/base/atomic_file.h"
#include "llmkit/models/tensor_names.h"
#include "llmkit/tensor/creation.h"
#include "llmkit/tensor/view.h"

namespace llmkit::models {
namespace fs = std::filesystem;
namespace {

std::string join(const std::string& dir, const char* file) {
  return (fs::path(dir) / file).string();
}

void make_folder(const std::string& dir) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  LLMKIT_CHECK_CODE(!ec && fs::is_directory(dir), ErrorCode::kIo, "cannot create model folder '",
                    dir, "': ", ec ? ec.message() : std::string("not a directory"));
}

std::map<std::string, std::string> metadata(const ModelConfig& config) {
  return {{"format", "pt"}, {"llmkit.arch", arch_name(config.arch)}, {"llmkit.names", "gguf"}};
}

void write_folder(const ModelConfig& config, const io::NamedTensorList& weights,
                  const std::string& dir) {
  make_folder(dir);
  const std::string config_text = config_to_json_string(config);
  io::save_safetensors(join(dir, kWeightsFile), weights, metadata(config));
  write_file_atomic(join(dir, kConfigFile), config_text);
}

}  // namespace

void save_model(const TransformerLM& model, const std::string& dir, const SaveOptions& options) {
  LLMKIT_CHECK(
      options.dtype == DType::kF32 || options.dtype == DType::kBF16 || options.dtype == DType::kF16,
      "save_model: dtype must be f32, f16 or bf16, got ", dtype_name(options.dtype));
  io::NamedTensorList weights;
  for (auto& [name, t] : model.state_dict()) {
    weights.emplace_back(name, t.dtype() == options.dtype ? t : ops::to_dtype(t, options.dtype));
  }
  write_folder(model.config(), weights, dir);
}

void save_model_weights(const ModelConfig& config, const io::NamedTensorList& weights,
                        const std::string& dir) {
  validate(config);
  const std::vector<TensorSpec> specs = tensor_specs(config);
  LLMKIT_CHECK(weights.size() == specs.size(), "save_model_weights: ", weights.size(),
               " tensors given but the config defines ", specs.size());
  for (size_t i = 0; i < specs.size(); ++i) {
    const auto& [name, t] = weights[i];
    LLMKIT_CHECK(name == specs[i].name && t.defined() && t.shape() == specs[i].shape &&
                     is_floating(t.dtype()),
                 "save_model_weights: tensor ", i, " is '", name, "' ",
                 t.defined() ? describe(t) : std::string("(undefined)"), " but the config needs '",
                 specs[i].name, "' ", shape_to_string(specs[i].shape), " (floating point)");
  }
  write_folder(config, weights, dir);
}

void check_weights(const ModelConfig& config, const io::SafetensorsFile& weights,
                   const std::string& config_name) {
  const std::string& file = weights.path();
  std::set<std::string> expected;
  for (const TensorSpec& s : tensor_specs(config)) {
    expected.insert(s.name);
    LLMKIT_CHECK_CODE(weights.contains(s.name), ErrorCode::kNotFound, file, " lacks tensor '",
                      s.name, "' ", shape_to_string(s.shape), " that ", config_name, " (",
                      arch_name(config.arch), ", n_layer ", config.n_layer, ") requires");
    const io::SafetensorsTensorInfo& info = weights.info(s.name);
    LLMKIT_CHECK_CODE(info.shape == s.shape, ErrorCode::kCorruptData, "tensor '", s.name, "' is ",
                      shape_to_string(info.shape), " in ", file, " but ", config_name, " implies ",
                      shape_to_string(s.shape));
    LLMKIT_CHECK_CODE(info.supported && is_floating(info.dtype), ErrorCode::kUnsupported,
                      "tensor '", s.name, "' in ", file, " has dtype ", info.dtype_str,
                      " (llmkit loads F32, F16 and BF16 weights)");
  }
  for (const std::string& name : weights.names()) {
    LLMKIT_CHECK_CODE(expected.count(name) != 0, ErrorCode::kCorruptData, file, " has tensor '",
                      name, "' that ", config_name, " does not define",
                      name == "output.weight" ? " (tie_word_embeddings is true)" : "");
  }
}

std::shared_ptr<TransformerLM> load_model(const std::string& dir) {
  LLMKIT_CHECK_CODE(fs::is_directory(dir), ErrorCode::kNotFound, "load_model: model folder '", dir,
                    "' does not exist");
  const std::string config_path = join(dir, kConfigFile);
  const std::string weights_path = join(dir, kWeightsFile);
  for (const std::string& path : {config_path, weights_path}) {
    LLMKIT_CHECK_CODE(fs::is_regular_file(path), ErrorCode::kNotFound, "load_model: '", path,
                      "' is missing (a model folder holds ", kConfigFile, " and ", kWeightsFile,
                      ")");
  }
  const ModelConfig config = load_config(config_path);
  io::SafetensorsFile weights(weights_path);
  check_weights(config, weights, config_path);
  // The constructor's random draw is overwritten; a seed keeps it deterministic and cheap to reason
  // about.
  auto model = std::make_shared<TransformerLM>(config, uint64_t{0});
  nn::NamedTensors state;
  for (const TensorSpec& s : tensor_specs(config)) state.emplace_back(s.name, weights.get(s.name));
  model->load_state_dict(state, true);
  return model;
}

io::NamedTensorList random_weights(const ModelConfig& config, Generator& gen, DType dtype,
                                   const std::function<void(int64_t)>& progress) {
  validate(config);
  LLMKIT_CHECK(dtype == DType::kF32 || dtype == DType::kBF16 || dtype == DType::kF16,
               "random_weights: dtype must be f32, f16 or bf16, got ", dtype_name(dtype));
  const ModelConfig c = resolve(config);
  // The same expressions as nn::Linear / nn::Mlp / nn::CausalSelfAttention, so that the draws are
  // bit-identical to TransformerLM's.
  const float std_normal = c.init_std;
  const float std_residual = c.init_std / std::sqrt(2.0f * c.n_layer);
  io::NamedTensorList out;
  int64_t done = 0;
  for (TensorSpec& s : tensor_specs(c)) {
    Tensor t;
    switch (s.init) {
      case TensorInit::kNormal:
        t = randn(s.shape, gen, 0.0f, std_normal, dtype);
        break;
      case TensorInit::kResidual:
        t = randn(s.shape, gen, 0.0f, std_residual, dtype);
        break;
      case TensorInit::kOnes:
        t = ones(s.shape, dtype);
        break;
      case TensorInit::kZeros:
        t = zeros(s.shape, dtype);
        break;
    }
    done += t.numel();
    out.emplace_back(std::move(s.name), std::move(t));
    if (progress) progress(done);
  }
  return out;
}

}  // namespace llmkit::models
