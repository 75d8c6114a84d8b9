// Writing a SentencePiece ModelProto (protobuf wire format, by hand) and reading the few
// trainer / normalizer settings that matter when a vocabulary moves to and from GGUF.
//
// Field numbers (sentencepiece_model.proto): ModelProto { pieces = 1, trainer_spec = 2,
// normalizer_spec = 3 }; SentencePiece { piece = 1 (string), score = 2 (float), type = 3 (enum) };
// TrainerSpec { model_type = 3 (UNIGRAM 1, BPE 2), vocab_size = 4, byte_fallback = 35,
// unk_id = 40, bos_id = 41, eos_id = 42, pad_id = 43, unk_piece = 45, bos_piece = 46,
// eos_piece = 47, pad_piece = 48 }; NormalizerSpec { name = 1, add_dummy_prefix = 3,
// remove_extra_whitespaces = 4, escape_whitespaces = 5 }.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "llmkit/tokenizer/model_proto.h"

namespace llmkit::tokenizer {

enum class SentencePieceModelType { kUnigram = 1, kBpe = 2, kWord = 3, kChar = 4 };

// What a ModelProto says beyond its pieces (proto defaults where a field is absent).
struct ModelProtoSpec {
  SentencePieceModelType model_type = SentencePieceModelType::kUnigram;
  bool byte_fallback = false;
  std::string normalizer_name;  // "identity", "nmt_nfkc", ... ("" when absent)
  bool has_charsmap = false;    // a non-empty precompiled_charsmap (a real normalization)
  bool add_dummy_prefix = true;
  bool remove_extra_whitespaces = true;
  bool escape_whitespaces = true;
};

// Reads the spec of a serialized ModelProto. Throws Error(kCorruptData) naming source for bytes
// that are not well-formed protobuf.
ModelProtoSpec read_model_proto_spec(std::string_view bytes, std::string_view source);

// The vocabulary and special ids of a model to serialize; ids are -1 when absent, otherwise they
// index `pieces` (their piece strings become the trainer_spec's *_piece, which is how SentencePiece
// finds the special ids).
struct ModelProtoContents {
  std::vector<ModelPiece> pieces;
  ModelProtoSpec spec;
  int32_t unk_id = -1, bos_id = -1, eos_id = -1, pad_id = -1;
};

// The serialized ModelProto (normalizer with no precompiled charsmap, i.e. identity mapping).
std::string write_model_proto(const ModelProtoContents& contents);

}  // namespace llmkit::tokenizer
