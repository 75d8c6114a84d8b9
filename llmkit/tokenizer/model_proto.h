// A minimal reader of SentencePiece's serialized ModelProto (protobuf wire format), for what the
// public sentencepiece API does not expose: the type of each vocabulary entry (the distinction
// between user-defined symbols and normal pieces). Only the `pieces` field is decoded; every
// other field is skipped.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace llmkit::tokenizer {

// Values of sentencepiece.ModelProto.SentencePiece.Type (sentencepiece_model.proto).
enum class PieceType {
  kNormal = 1,
  kUnknown = 2,
  kControl = 3,
  kUserDefined = 4,
  kUnused = 5,
  kByte = 6,
};

struct ModelPiece {
  std::string piece;
  float score = 0.0f;
  PieceType type = PieceType::kNormal;
};

// The vocabulary of a serialized ModelProto, in id order. Throws Error(kCorruptData) naming source
// (a path or other label used only in the message) when the bytes are not well-formed protobuf or
// a piece has an unknown type.
std::vector<ModelPiece> read_model_pieces(std::string_view bytes, std::string_view source);

}  // namespace llmkit::tokenizer
