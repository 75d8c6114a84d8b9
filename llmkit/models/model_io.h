// Model folders: config.json (Hugging Face names, see model_config.h) + model.safetensors (GGUF
// tensor names, see tensor_names.h), and random initial weights drawn without building the model.
//
// A folder may hold other files (tokenizer, optimizer state); these functions touch only their
// two. Each file is replaced atomically (temporary file + rename), weights first, so a crash
// leaves complete files, never torn ones.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "llmkit/io/safetensors.h"
#include "llmkit/models/transformer_lm.h"

namespace llmkit::models {

inline constexpr const char* kConfigFile = "config.json";
inline constexpr const char* kWeightsFile = "model.safetensors";

struct SaveOptions {
  DType dtype = DType::kF32;  // f32 or bf16 (halves the file; loading converts back to f32)
};

// Writes dir/model.safetensors and dir/config.json (creating dir). Throws Error(kIo) when the
// folder cannot be written; nothing is replaced on a validation error.
void save_model(const TransformerLM& model, const std::string& dir,
                const SaveOptions& options = {});

// Same for weights held outside a TransformerLM (llmkit init). The weights must match
// tensor_specs(config) exactly (names, shapes); each may be f32, f16 or bf16 and is written as is.
void save_model_weights(const ModelConfig& config, const io::NamedTensorList& weights,
                        const std::string& dir);

// Reads a folder written by save_model (or any folder with a supported config.json and GGUF-named
// f32/f16/bf16 weights). Errors: kNotFound naming the folder or file that is missing and each
// tensor the config needs but the file lacks; kCorruptData naming the tensor and both shapes when
// the weights contradict the config, or a tensor the config does not define; config.json errors as
// in load_config.
std::shared_ptr<TransformerLM> load_model(const std::string& dir);

// Checks that `weights` holds exactly tensor_specs(config) with floating dtypes (errors as
// load_model). config_name names the config in messages (the file path names the weights).
void check_weights(const ModelConfig& config, const io::SafetensorsFile& weights,
                   const std::string& config_name = kConfigFile);

// Draws every weight of config exactly as TransformerLM(config, gen) does (the same values for the
// same generator state), one tensor at a time, stored as `dtype` (f32 or bf16): peak memory is
// the result plus one f32 tensor, not a whole f32 model. In tensor_specs() order.
// progress (optional) is called after each tensor with the number of parameters drawn so far.
io::NamedTensorList random_weights(const ModelConfig& config, Generator& gen,
                                   DType dtype = DType::kF32,
                                   const std::function<void(int64_t)>& progress = {});

}  // namespace llmkit::models
