#include "llmkit/tokenizer/model_proto.h"

#include <cstdint>
#include <cstring>

#include "llmkit/base/error.h"
#include "llmkit/tokenizer/protobuf_wire.h"

namespace llmkit::tokenizer {
namespace {

ModelPiece read_piece(std::string_view bytes, std::string_view source) {
  WireReader r(bytes, source);
  ModelPiece p;
  while (!r.done()) {
    int wt = 0;
    uint32_t field = r.key(&wt);
    if (field == 1 && wt == kLengthDelimited) {
      p.piece = std::string(r.bytes());
    } else if (field == 2 && wt == kFixed32) {
      uint32_t bits = r.fixed32();
      std::memcpy(&p.score, &bits, sizeof(bits));
    } else if (field == 3 && wt == kVarint) {
      uint64_t t = r.varint();
      if (t < 1 || t > 6) r.fail(str_cat("unknown piece type ", t));
      p.type = static_cast<PieceType>(t);
    } else {
      r.skip(wt);
    }
  }
  return p;
}

}  // namespace

std::vector<ModelPiece> read_model_pieces(std::string_view bytes, std::string_view source) {
  WireReader r(bytes, source);
  std::vector<ModelPiece> pieces;
  while (!r.done()) {
    int wt = 0;
    uint32_t field = r.key(&wt);
    if (field == 1 && wt == kLengthDelimited) {
      pieces.push_back(read_piece(r.bytes(), source));
    } else {
      r.skip(wt);
    }
  }
  return pieces;
}

}  // namespace llmkit::tokenizer
