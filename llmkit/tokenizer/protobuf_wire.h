// Bounds-checked reading of the protobuf wire format (the part SentencePiece's ModelProto uses:
// varints, length-delimited fields, fixed32/fixed64), shared by the ModelProto readers. Errors
// throw Error(kCorruptData) naming `source` and the byte offset.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "llmkit/base/error.h"

namespace llmkit::tokenizer {

// Protobuf wire types.
inline constexpr int kVarint = 0, kFixed64 = 1, kLengthDelimited = 2, kFixed32 = 5;

// Reads one protobuf message: a sequence of (key, value) fields. Every read is bounds-checked.
class WireReader {
 public:
  WireReader(std::string_view bytes, std::string_view source) : data_(bytes), source_(source) {}

  bool done() const { return pos_ == data_.size(); }

  // Reads a field key; returns the field number and sets *wire_type.
  uint32_t key(int* wire_type) {
    uint64_t k = varint();
    *wire_type = static_cast<int>(k & 7);
    uint64_t field = k >> 3;
    if (field == 0 || field > 0x1FFFFFFF) fail("invalid field number");
    return static_cast<uint32_t>(field);
  }

  uint64_t varint() {
    uint64_t value = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      if (pos_ >= data_.size()) fail("truncated varint");
      auto b = static_cast<unsigned char>(data_[pos_++]);
      value |= static_cast<uint64_t>(b & 0x7F) << shift;
      if ((b & 0x80) == 0) return value;
    }
    fail("varint longer than 10 bytes");
  }

  std::string_view bytes() {
    uint64_t n = varint();
    if (n > data_.size() - pos_) fail("length-delimited field runs past the end");
    std::string_view out = data_.substr(pos_, n);
    pos_ += n;
    return out;
  }

  uint32_t fixed32() {
    if (data_.size() - pos_ < 4) fail("truncated fixed32");
    uint32_t v = 0;
    for (int i = 0; i < 4; ++i)
      v |= static_cast<uint32_t>(static_cast<unsigned char>(data_[pos_ + i])) << (8 * i);
    pos_ += 4;
    return v;
  }

  void skip(int wire_type) {
    switch (wire_type) {
      case kVarint:
        varint();
        return;
      case kFixed64:
        if (data_.size() - pos_ < 8) fail("truncated fixed64");
        pos_ += 8;
        return;
      case kLengthDelimited:
        bytes();
        return;
      case kFixed32:
        fixed32();
        return;
      default:
        fail(str_cat("unsupported wire type ", wire_type));
    }
  }

  [[noreturn]] void fail(const std::string& what) const {
    throw_error(ErrorCode::kCorruptData,
                str_cat("tokenizer model '", source_,
                        "' is not a valid SentencePiece model: ", what, " at byte ", pos_));
  }

 private:
  std::string_view data_;
  std::string_view source_;
  size_t pos_ = 0;
};

}  // namespace llmkit::tokenizer
