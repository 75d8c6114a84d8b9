// The trained BertModel as a GGUF file of llama.cpp's "bert" architecture, and back.
//
// Metadata written by add_bert_to_gguf (facts from llama.cpp's src/llama-arch.cpp,
// src/llama-model.cpp, src/models/bert.cpp and conversion/bert.py):
//   general.architecture "bert", general.name, general.file_type (u32 llama_ftype)
//   bert.context_length, bert.embedding_length, bert.feed_forward_length, bert.block_count,
//   bert.attention.head_count, bert.attention.head_count_kv, bert.vocab_size (u32)
//   bert.attention.layer_norm_epsilon (f32), bert.attention.causal (bool, false),
//   bert.pooling_type (u32, 1 = mean, llama_pooling_type), tokenizer.ggml.token_type_count (u32)
// Tensors: bert_tensor_specs() names; a [R, C] matrix is ne = {C, R} as every GGUF matrix.
// 1-D tensors (norms, biases) are always f32; matrices and embeddings in options.type (f16 when a
// row length is not a multiple of the type's block). No RoPE permutation and no norm offset apply.
// The vocabulary (tokenizer.ggml.*) is not written here (models/ has no tokenizer); the caller
// adds it (tokenizer::add_vocab_to_gguf), as cli/export.cpp does for language models.
#pragma once

#include <memory>
#include <string>

#include "llmkit/io/gguf.h"
#include "llmkit/models/bert_model.h"

namespace llmkit::models {

struct BertExportOptions {
  io::GgmlType type = io::GgmlType::kF32;
  std::string name = "llmkit-embedder";
};

void add_bert_to_gguf(const BertModel& model, const BertExportOptions& options,
                      io::GgufWriter& writer);

// The config of a "bert" GGUF file. Throws Error(kUnsupported) for another architecture or a
// pooling type other than mean, Error(kNotFound) for a missing key (naming it) and
// Error(kCorruptData) when the tensors' shapes contradict the keys.
BertConfig bert_config_from_gguf(const io::GgufFile& file);

// A BertModel holding the file's weights (dequantized to f32). Errors as bert_config_from_gguf,
// and Error(kNotFound) naming a tensor the model needs that the file lacks.
std::shared_ptr<BertModel> load_bert_from_gguf(const io::GgufFile& file);

}  // namespace llmkit::models
