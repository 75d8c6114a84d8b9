// GgufValue: typed metadata values, their accessors and printing.
#include <charconv>
#include <cstring>
#include <limits>

#include "llmkit/io/gguf.h"
#include "llmkit/io/gguf_internal.h"

namespace llmkit::io {
namespace {

using gguf_detail::scalar_size;

GgufValue make_scalar(GgufValueType type, uint64_t bits) {
  return GgufValue::scalar_from_bits(type, bits);
}

bool is_integer_type(GgufValueType t) {
  switch (t) {
    case GgufValueType::kU8:
    case GgufValueType::kI8:
    case GgufValueType::kU16:
    case GgufValueType::kI16:
    case GgufValueType::kU32:
    case GgufValueType::kI32:
    case GgufValueType::kU64:
    case GgufValueType::kI64:
      return true;
    default:
      return false;
  }
}

bool is_signed_type(GgufValueType t) {
  return t == GgufValueType::kI8 || t == GgufValueType::kI16 || t == GgufValueType::kI32 ||
         t == GgufValueType::kI64;
}

std::string type_label(const GgufValue& v) {
  if (v.type() == GgufValueType::kArray) {
    return str_cat("array of ", gguf_value_type_name(v.elem_type()));
  }
  return gguf_value_type_name(v.type());
}

[[noreturn]] void wrong_type(std::string_view what, const char* wanted, const GgufValue& v) {
  throw_error(ErrorCode::kInvalidArgument,
              str_cat(what, ": expected ", wanted, ", found ", type_label(v), " ", v.to_string()));
}

template <typename F>
std::string float_text(F f) {
  char buf[64];
  auto res = std::to_chars(buf, buf + sizeof(buf), f);
  return std::string(buf, res.ptr);
}

// A string for printing: quoted, control characters escaped, cut after 64 bytes.
std::string quoted(const std::string& s) {
  std::string out = "\"";
  const size_t limit = 64;
  for (size_t i = 0; i < s.size() && i < limit; ++i) {
    const unsigned char c = static_cast<unsigned char>(s[i]);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c < 0x20 || c == 0x7f) {
      static const char* hex = "0123456789abcdef";
      out += "\\x";
      out += hex[c >> 4];
      out += hex[c & 15];
    } else {
      out += static_cast<char>(c);
    }
  }
  out += '"';
  if (s.size() > limit) out += str_cat("... (", s.size(), " bytes)");
  return out;
}

}  // namespace

const char* gguf_value_type_name(GgufValueType type) {
  switch (type) {
    case GgufValueType::kU8:
      return "u8";
    case GgufValueType::kI8:
      return "i8";
    case GgufValueType::kU16:
      return "u16";
    case GgufValueType::kI16:
      return "i16";
    case GgufValueType::kU32:
      return "u32";
    case GgufValueType::kI32:
      return "i32";
    case GgufValueType::kF32:
      return "f32";
    case GgufValueType::kBool:
      return "bool";
    case GgufValueType::kString:
      return "string";
    case GgufValueType::kArray:
      return "array";
    case GgufValueType::kU64:
      return "u64";
    case GgufValueType::kI64:
      return "i64";
    case GgufValueType::kF64:
      return "f64";
  }
  return "unknown";
}

GgufValue GgufValue::scalar_from_bits(GgufValueType type, uint64_t bits) {
  const uint64_t size = scalar_size(type);
  LLMKIT_CHECK(size != 0, "GgufValue::scalar_from_bits: ", gguf_value_type_name(type),
               " is not a scalar type");
  GgufValue v;
  v.type_ = type;
  if (size < 8) bits &= (uint64_t{1} << (8 * size)) - 1;
  if (is_signed_type(type) && size < 8 && (bits >> (8 * size - 1)) != 0) {
    bits |= ~((uint64_t{1} << (8 * size)) - 1);  // sign-extend
  }
  if (type == GgufValueType::kBool) bits = bits != 0 ? 1 : 0;
  v.bits_ = bits;
  return v;
}

GgufValue GgufValue::u8(uint8_t v) {
  return make_scalar(GgufValueType::kU8, v);
}
GgufValue GgufValue::i8(int8_t v) {
  return make_scalar(GgufValueType::kI8, static_cast<uint64_t>(static_cast<int64_t>(v)));
}
GgufValue GgufValue::u16(uint16_t v) {
  return make_scalar(GgufValueType::kU16, v);
}
GgufValue GgufValue::i16(int16_t v) {
  return make_scalar(GgufValueType::kI16, static_cast<uint64_t>(static_cast<int64_t>(v)));
}
GgufValue GgufValue::u32(uint32_t v) {
  return make_scalar(GgufValueType::kU32, v);
}
GgufValue GgufValue::i32(int32_t v) {
  return make_scalar(GgufValueType::kI32, static_cast<uint64_t>(static_cast<int64_t>(v)));
}
GgufValue GgufValue::u64(uint64_t v) {
  return make_scalar(GgufValueType::kU64, v);
}
GgufValue GgufValue::i64(int64_t v) {
  return make_scalar(GgufValueType::kI64, static_cast<uint64_t>(v));
}
GgufValue GgufValue::f32(float v) {
  return make_scalar(GgufValueType::kF32, f32_bits(v));
}
GgufValue GgufValue::f64(double v) {
  uint64_t bits = 0;
  std::memcpy(&bits, &v, 8);
  return make_scalar(GgufValueType::kF64, bits);
}
GgufValue GgufValue::boolean(bool v) {
  return make_scalar(GgufValueType::kBool, v ? 1 : 0);
}

GgufValue GgufValue::string(std::string v) {
  GgufValue out;
  out.type_ = GgufValueType::kString;
  out.str_ = std::move(v);
  return out;
}

GgufValue GgufValue::array(GgufValueType elem_type, std::vector<GgufValue> elems) {
  LLMKIT_CHECK(gguf_detail::is_value_type(static_cast<uint32_t>(elem_type)),
               "GgufValue::array: unknown element type ", static_cast<uint32_t>(elem_type));
  for (size_t i = 0; i < elems.size(); ++i) {
    LLMKIT_CHECK(elems[i].type() == elem_type, "GgufValue::array: element ", i, " has type ",
                 gguf_value_type_name(elems[i].type()), " but the array holds ",
                 gguf_value_type_name(elem_type));
  }
  GgufValue out;
  out.type_ = GgufValueType::kArray;
  out.elem_type_ = elem_type;
  out.elems_ = std::move(elems);
  return out;
}

GgufValue GgufValue::string_array(const std::vector<std::string>& v) {
  std::vector<GgufValue> elems;
  elems.reserve(v.size());
  for (const std::string& s : v) elems.push_back(string(s));
  return array(GgufValueType::kString, std::move(elems));
}

GgufValue GgufValue::f32_array(const std::vector<float>& v) {
  std::vector<GgufValue> elems;
  elems.reserve(v.size());
  for (float f : v) elems.push_back(f32(f));
  return array(GgufValueType::kF32, std::move(elems));
}

GgufValue GgufValue::i32_array(const std::vector<int32_t>& v) {
  std::vector<GgufValue> elems;
  elems.reserve(v.size());
  for (int32_t i : v) elems.push_back(i32(i));
  return array(GgufValueType::kI32, std::move(elems));
}

bool GgufValue::is_integer() const {
  return is_integer_type(type_);
}
bool GgufValue::is_float() const {
  return type_ == GgufValueType::kF32 || type_ == GgufValueType::kF64;
}

int64_t GgufValue::as_int(std::string_view what) const {
  if (!is_integer()) wrong_type(what, "an integer", *this);
  LLMKIT_CHECK(type_ != GgufValueType::kU64 ||
                   bits_ <= static_cast<uint64_t>(std::numeric_limits<int64_t>::max()),
               what, ": the u64 value ", bits_, " does not fit a signed 64-bit integer");
  return static_cast<int64_t>(bits_);
}

double GgufValue::as_float(std::string_view what) const {
  if (type_ == GgufValueType::kF32) return bits_f32(static_cast<uint32_t>(bits_));
  if (type_ == GgufValueType::kF64) {
    double d = 0;
    std::memcpy(&d, &bits_, 8);
    return d;
  }
  if (type_ == GgufValueType::kU64) return static_cast<double>(bits_);
  if (is_integer()) return static_cast<double>(static_cast<int64_t>(bits_));
  wrong_type(what, "a number", *this);
}

bool GgufValue::as_bool(std::string_view what) const {
  if (type_ != GgufValueType::kBool) wrong_type(what, "a bool", *this);
  return bits_ != 0;
}

const std::string& GgufValue::as_string(std::string_view what) const {
  if (type_ != GgufValueType::kString) wrong_type(what, "a string", *this);
  return str_;
}

const std::vector<GgufValue>& GgufValue::elems(std::string_view what) const {
  if (type_ != GgufValueType::kArray) wrong_type(what, "an array", *this);
  return elems_;
}

std::vector<std::string> GgufValue::as_string_array(std::string_view what) const {
  if (type_ != GgufValueType::kArray || elem_type_ != GgufValueType::kString) {
    wrong_type(what, "an array of string", *this);
  }
  std::vector<std::string> out;
  out.reserve(elems_.size());
  for (const GgufValue& e : elems_) out.push_back(e.str_);
  return out;
}

std::vector<float> GgufValue::as_float_array(std::string_view what) const {
  if (type_ != GgufValueType::kArray ||
      !(is_integer_type(elem_type_) || elem_type_ == GgufValueType::kF32 ||
        elem_type_ == GgufValueType::kF64)) {
    wrong_type(what, "an array of numbers", *this);
  }
  std::vector<float> out;
  out.reserve(elems_.size());
  for (const GgufValue& e : elems_) out.push_back(static_cast<float>(e.as_float(what)));
  return out;
}

std::vector<int64_t> GgufValue::as_int_array(std::string_view what) const {
  if (type_ != GgufValueType::kArray || !is_integer_type(elem_type_)) {
    wrong_type(what, "an array of integers", *this);
  }
  std::vector<int64_t> out;
  out.reserve(elems_.size());
  for (const GgufValue& e : elems_) out.push_back(e.as_int(what));
  return out;
}

std::string GgufValue::to_string() const {
  switch (type_) {
    case GgufValueType::kBool:
      return bits_ != 0 ? "true" : "false";
    case GgufValueType::kF32:
      return float_text(bits_f32(static_cast<uint32_t>(bits_)));
    case GgufValueType::kF64:
      return float_text(as_float());
    case GgufValueType::kU64:
      return std::to_string(bits_);
    case GgufValueType::kString:
      return quoted(str_);
    case GgufValueType::kArray: {
      // Short arrays of scalars or short strings are listed; others are summarised.
      constexpr size_t kListed = 8;
      if (elems_.size() <= kListed && elem_type_ != GgufValueType::kArray) {
        std::string out = "[";
        for (size_t i = 0; i < elems_.size(); ++i) out += (i ? ", " : "") + elems_[i].to_string();
        return out + "]";
      }
      return str_cat("[", elems_.size(), " x ", gguf_value_type_name(elem_type_), "]");
    }
    default:
      return std::to_string(static_cast<int64_t>(bits_));
  }
}

bool GgufValue::operator==(const GgufValue& other) const {
  return type_ == other.type_ && elem_type_ == other.elem_type_ && bits_ == other.bits_ &&
         str_ == other.str_ && elems_ == other.elems_;
}

}  // namespace llmkit::io
