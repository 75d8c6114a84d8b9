// The readers behind open_model_file (model_file.h), one per input kind, and small helpers they
// share. Errors as open_model_file documents.
#pragma once

#include <string>

#include "llmkit/models/model_file.h"

namespace llmkit::models {

// A GGUF file written by llama.cpp or llmkit (format "gguf"): llama.cpp's value conventions are
// converted (gguf_conventions.h), every other weight is zero-copy from the mapping.
ModelFile open_gguf_model_file(const std::string& path);

// A folder with config.json and safetensors weights: Hugging Face names (format
// "hf-safetensors": model.safetensors, or shards listed by model.safetensors.index.json or named
// model-0000N-of-0000M.safetensors) or GGUF names (format "llmkit", as save_model writes it).
// Weights are zero-copy from the mappings. tokenizer_model_path is dir/tokenizer.model if present.
ModelFile open_model_folder(const std::string& dir);

// The checkpoint folder of an llmkit run (train::find_checkpoint's rule: a folder holding
// trainer_state.json), looked for in run/train/checkpoint, run/train/checkpoint.old,
// run/checkpoint, run/checkpoint.old; "" when there is none.
std::string find_run_checkpoint(const std::string& run_dir);

// A contiguous f32 / f16 / bf16 tensor as a WeightData that keeps its storage alive.
WeightData weight_from_tensor(const Tensor& tensor);

// The ggml type of an llmkit float dtype (f32, f16, bf16); Error(kUnsupported) otherwise.
io::GgmlType ggml_type_of(DType dtype);

}  // namespace llmkit::models
