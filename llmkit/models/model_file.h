// Model files on disk -> one in-memory description the inference engine consumes, and the GGUF
// exporter.
//
// Accepted inputs (open_model_file):
//   - a GGUF file (general.architecture gemma / gemma2 / gemma3 / llama), as llama.cpp writes it;
//   - a Hugging Face folder: config.json + model.safetensors or model-0000N-of-0000M.safetensors
//     (+ model.safetensors.index.json), HF tensor names (model.layers.N...);
//   - an llmkit model folder (config.json + model.safetensors with GGUF names: save_model);
//   - an llmkit run folder (runs/NAME): its training checkpoint (train/checkpoint or checkpoint).
//
// Conventions of the result: weights use GGUF tensor names and llmkit's (Hugging Face) value
// conventions (tensor_names.h): RoPE pairs (i, i + D/2) and Gemma norm weights w of (1 + w). The
// GGUF reader converts from llama.cpp's conventions (Llama q/k rows un-permuted, Gemma norms
// minus 1; both made as owned copies) and the exporter converts back.
#pragma once

#include <map>
#include <memory>
#include <string>

#include "llmkit/io/ggml_types.h"
#include "llmkit/io/gguf.h"
#include "llmkit/io/safetensors.h"
#include "llmkit/models/model_config.h"

namespace llmkit::models {

// One weight, zero-copy where possible. 1-D weights (norms) have shape [n]; matrices [R, C]
// (row-major, rows of C elements, each row in `type`'s block layout).
struct WeightData {
  io::GgmlType type = io::GgmlType::kF32;
  Shape shape;
  const void* data = nullptr;
  std::shared_ptr<const void> owner;  // keeps `data` alive (a mapping or an owned buffer)
  // True when data points into a read-only file mapping (its pages can be dropped and are
  // re-read from the file if touched again); false for owned buffers.
  bool file_mapped = false;

  int64_t n_bytes() const;
  // The weight as an f32 tensor (dequantized / converted copy).
  Tensor to_f32() const;
};

struct ModelFile {
  std::string path;    // as given
  std::string format;  // "gguf", "hf-safetensors", "llmkit"
  ModelConfig config;  // resolved and validated
  // Exactly the names of tensor_specs(config), each with the spec's shape.
  std::map<std::string, WeightData> weights;
  // The GGUF file (metadata, tokenizer) when format == "gguf", else null.
  std::shared_ptr<const io::GgufFile> gguf;
  // A SentencePiece tokenizer.model found beside the weights (folders), else "".
  std::string tokenizer_model_path;
  // The chat template's Jinja source (chat_template_source.h), "" when the file has none.
  std::string chat_template;
};

// Opens any of the accepted inputs. Errors (each naming the file and the offending thing):
// kNotFound for a missing path, folder member or tensor; kUnsupported for an unknown architecture
// or a tensor type llmkit cannot read; kCorruptData for a shape that contradicts the metadata,
// an extra tensor, or a malformed file.
ModelFile open_model_file(const std::string& path);

// The config from GGUF metadata ({arch}.context_length, .embedding_length, ...; llama.cpp's fixed
// per-architecture facts such as gemma3's 1:5 global/local pattern and local RoPE base filled in;
// tie_embeddings from the absence of output.weight). `source` names the file in errors.
ModelConfig config_from_gguf(const io::GgufFile& file);

struct ExportOptions {
  io::GgmlType type = io::GgmlType::kF32;  // type of the 2-D weight matrices (norms stay f32)
  std::string name;                        // general.name
};

// Adds to `writer` every metadata key llama.cpp needs to load the architecture and every weight
// (converted to llama.cpp's conventions, matrices in options.type; a matrix whose row length is not
// a multiple of the type's block falls back to f16 as llama.cpp's quantizer does with f32 rows).
// weights: tensor_specs(config) names in llmkit conventions, any float dtype. Tokenizer metadata
// is added separately (tokenizer/gguf_vocab.h).
void add_model_to_gguf(const ModelConfig& config, const io::NamedTensorList& weights,
                       const ExportOptions& options, io::GgufWriter& writer);

}  // namespace llmkit::models
