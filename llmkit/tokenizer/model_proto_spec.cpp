// Protobuf wire format, the small part of it a ModelProto needs: varints (keys, ints, bools,
// enums; a negative int32 is sign-extended to 10 bytes), length-delimited fields (strings and
// sub-messages) and fixed32 (floats).
#include "llmkit/tokenizer/model_proto_spec.h"

#include <cstring>

#include "llmkit/base/error.h"
#include "llmkit/tokenizer/protobuf_wire.h"

namespace llmkit::tokenizer {
namespace {

// Calls fn(field, wire, reader) for each field of a message.
template <typename Fn>
void for_each_field(std::string_view bytes, std::string_view source, Fn&& fn) {
  WireReader r(bytes, source);
  while (!r.done()) {
    const uint64_t key = r.varint();
    fn(static_cast<uint32_t>(key >> 3), static_cast<int>(key & 7), r);
  }
}

class Writer {
 public:
  void varint(uint64_t v) {
    while (v >= 0x80) {
      out_.push_back(static_cast<char>((v & 0x7F) | 0x80));
      v >>= 7;
    }
    out_.push_back(static_cast<char>(v));
  }
  void key(uint32_t field, int wire) { varint((static_cast<uint64_t>(field) << 3) | wire); }
  void int_field(uint32_t field, int64_t v) {
    key(field, kVarint);
    varint(static_cast<uint64_t>(v));  // two's complement: negatives take 10 bytes
  }
  void bytes_field(uint32_t field, std::string_view v) {
    key(field, kLengthDelimited);
    varint(v.size());
    out_.append(v);
  }
  void float_field(uint32_t field, float v) {
    key(field, kFixed32);
    uint32_t bits;
    std::memcpy(&bits, &v, 4);
    for (int i = 0; i < 4; ++i) out_.push_back(static_cast<char>((bits >> (8 * i)) & 0xFF));
  }
  const std::string& str() const { return out_; }

 private:
  std::string out_;
};

}  // namespace

ModelProtoSpec read_model_proto_spec(std::string_view bytes, std::string_view source) {
  ModelProtoSpec spec;
  for_each_field(bytes, source, [&](uint32_t field, int wire, WireReader& r) {
    if (field == 2 && wire == kLengthDelimited) {
      for_each_field(r.bytes(), source, [&](uint32_t f, int w, WireReader& t) {
        if (f == 3 && w == kVarint) {
          spec.model_type = static_cast<SentencePieceModelType>(t.varint());
        } else if (f == 35 && w == kVarint) {
          spec.byte_fallback = t.varint() != 0;
        } else {
          t.skip(w);
        }
      });
    } else if (field == 3 && wire == kLengthDelimited) {
      for_each_field(r.bytes(), source, [&](uint32_t f, int w, WireReader& n) {
        if (f == 1 && w == kLengthDelimited) {
          spec.normalizer_name = std::string(n.bytes());
        } else if (f == 2 && w == kLengthDelimited) {
          spec.has_charsmap = !n.bytes().empty();
        } else if (f >= 3 && f <= 5 && w == kVarint) {
          const bool v = n.varint() != 0;
          (f == 3   ? spec.add_dummy_prefix
           : f == 4 ? spec.remove_extra_whitespaces
                    : spec.escape_whitespaces) = v;
        } else {
          n.skip(w);
        }
      });
    } else {
      r.skip(wire);
    }
  });
  return spec;
}

std::string write_model_proto(const ModelProtoContents& c) {
  const auto n = static_cast<int32_t>(c.pieces.size());
  for (int32_t id : {c.unk_id, c.bos_id, c.eos_id, c.pad_id}) {
    LLMKIT_CHECK(id >= -1 && id < n, "write_model_proto: special id ", id,
                 " outside the vocabulary of ", n);
  }
  Writer model;
  for (const ModelPiece& p : c.pieces) {
    Writer piece;
    piece.bytes_field(1, p.piece);
    piece.float_field(2, p.score);
    piece.int_field(3, static_cast<int64_t>(p.type));
    model.bytes_field(1, piece.str());
  }
  Writer trainer;
  trainer.int_field(3, static_cast<int64_t>(c.spec.model_type));
  trainer.int_field(4, n);
  trainer.int_field(35, c.spec.byte_fallback ? 1 : 0);
  const int32_t ids[] = {c.unk_id, c.bos_id, c.eos_id, c.pad_id};
  for (uint32_t k = 0; k < 4; ++k) {
    trainer.int_field(40 + k, ids[k]);
    if (ids[k] >= 0) trainer.bytes_field(45 + k, c.pieces[static_cast<size_t>(ids[k])].piece);
  }
  model.bytes_field(2, trainer.str());
  Writer normalizer;
  normalizer.bytes_field(1, c.spec.normalizer_name.empty() ? "identity" : c.spec.normalizer_name);
  normalizer.int_field(3, c.spec.add_dummy_prefix ? 1 : 0);
  normalizer.int_field(4, c.spec.remove_extra_whitespaces ? 1 : 0);
  normalizer.int_field(5, c.spec.escape_whitespaces ? 1 : 0);
  model.bytes_field(3, normalizer.str());
  return model.str();
}

}  // namespace llmkit::tokenizer
