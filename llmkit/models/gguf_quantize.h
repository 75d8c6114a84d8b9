// Re-quantizing a GGUF file (`llmkit quantize`): every metadata key is kept as is (tokenizer
// included) except general.file_type and general.quantization_version, tensors keep their order
// and shapes, and each tensor's type is chosen as llama.cpp's llama-quantize chooses it for the
// "pure" target types llmkit writes (llama_tensor_get_type in llama.cpp's src/llama-quant.cpp):
//
//   - Only tensors with >= 2 dimensions whose name ends in "weight" and does not contain
//     "_norm.weight" are matrices to convert. 1-D tensors (norms, rope_freqs) are written in f32;
//     any other tensor is copied unchanged.
//   - token_embd.weight gets options.token_embedding_type when given; output.weight gets
//     options.output_type when given.
//   - For a quantized target type (q8_0, q4_0, q4_K, q6_K), output.weight - and token_embd.weight
//     when there is no output.weight (tied embeddings, as in Gemma), unless its own type was given
//     - gets options.output_type if given, else q8_0 when its rows are not a multiple of the
//     target's block, else q6_K unless the target is q8_0 (then q8_0). Every other matrix gets the
//     target type. f32 / f16 / bf16 targets apply to every matrix.
//   - Fallback when a matrix's rows are not a multiple of the chosen type's block: q6_K -> q8_0
//     (as llama.cpp); q4_K -> q8_0 (llama.cpp uses q5_0, which llmkit cannot write); then, or for
//     q8_0 / q4_0, -> f16 (llama.cpp gives up there).
//
// A tensor whose chosen type equals its stored type is copied byte for byte; any other is
// converted row by row through f32 (dequantize_row, then quantize_row), so quantizing an f32 file
// gives the bytes llama.cpp's reference quantizers give.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "llmkit/io/ggml_types.h"
#include "llmkit/io/gguf.h"

namespace llmkit::models {

struct QuantizeOptions {
  io::GgmlType type = io::GgmlType::kQ8_0;           // target type of the matrices (writable)
  std::optional<io::GgmlType> output_type;           // output.weight (writable)
  std::optional<io::GgmlType> token_embedding_type;  // token_embd.weight (writable)
  int n_threads = 1;                                 // rows are converted on this many threads
};

// The type the rules above give a tensor named `name` with ggml shape ne (ne[0] = row length),
// stored as `stored`; tied_embeddings: the file has no output.weight.
io::GgmlType quantize_tensor_type(const std::string& name, const std::vector<int64_t>& ne,
                                  io::GgmlType stored, bool tied_embeddings,
                                  const QuantizeOptions& options);

struct QuantizeSummary {
  std::map<io::GgmlType, int> tensors_per_type;  // written tensors by type
  uint64_t bytes_before = 0;                     // tensor data bytes read
  uint64_t bytes_after = 0;                      // tensor data bytes written
  int converted = 0;                             // tensors whose type changed
  int requantized = 0;                           // ... from an already quantized type
  int fallbacks = 0;  // matrices whose rows did not fit the requested type's block
};

// Adds `in`'s metadata and tensors, converted as above, to `out` (then out.write(path)). Throws
// Error(kUnsupported) naming the tensor for a stored type llmkit cannot read that would have to be
// converted, Error(kInvalidArgument) for a type that is not writable.
QuantizeSummary quantize_gguf(const io::GgufFile& in, const QuantizeOptions& options,
                              io::GgufWriter& out);

}  // namespace llmkit::models
