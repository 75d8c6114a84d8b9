// GGUF v3 files (the llama.cpp model format; format facts from ggml's docs/gguf.md).
//
// Layout (little-endian): magic "GGUF", u32 version (3; 2 is read too), u64 tensor_count,
// u64 kv_count; kv_count metadata pairs (string key, u32 value type, value); tensor_count tensor
// infos (string name, u32 n_dims, u64 ne[n_dims], u32 ggml type, u64 offset); padding to
// `general.alignment` (u32, default 32); the data section, each tensor at its offset (a multiple
// of the alignment) from the section start. A string is u64 length + bytes (no terminator); an
// array is u32 element type + u64 count + elements (arrays of arrays allowed).
//
// Shapes: ne[0] is the innermost (contiguous) dimension, as in ggml. A weight matrix with rows of
// C elements and R rows has ne = {C, R}; llmkit's row-major shape of it is [R, C] (shape()).
//
// Errors: a malformed file throws Error(kCorruptData) naming the file, the offset and what is
// wrong (bad magic, unsupported version, a string or array longer than the file, an unknown value
// type, a tensor whose data lies outside the file or overlaps another, a misaligned offset, a
// duplicate key or tensor name, an unknown ggml type id); a missing file, key or tensor throws
// Error(kNotFound); asking for a key as the wrong type throws Error(kInvalidArgument) naming the
// key, the type asked for and the type found. Nothing is ever read outside the file's bytes, and
// no count from the file is trusted for an allocation before it is checked against the file size.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "llmkit/base/mmap_file.h"
#include "llmkit/io/ggml_types.h"
#include "llmkit/tensor/tensor.h"

namespace llmkit::io {

enum class GgufValueType : uint32_t {
  kU8 = 0,
  kI8 = 1,
  kU16 = 2,
  kI16 = 3,
  kU32 = 4,
  kI32 = 5,
  kF32 = 6,
  kBool = 7,
  kString = 8,
  kArray = 9,
  kU64 = 10,
  kI64 = 11,
  kF64 = 12,
};
const char* gguf_value_type_name(GgufValueType type);  // "u32", "string", "array", ...

// One metadata value, keeping its exact GGUF type so that a read -> write round trip is
// byte-identical. Arrays hold elements of one type (elem_type()).
class GgufValue {
 public:
  GgufValue() = default;
  static GgufValue u8(uint8_t v);
  static GgufValue i8(int8_t v);
  static GgufValue u16(uint16_t v);
  static GgufValue i16(int16_t v);
  static GgufValue u32(uint32_t v);
  static GgufValue i32(int32_t v);
  static GgufValue u64(uint64_t v);
  static GgufValue i64(int64_t v);
  static GgufValue f32(float v);
  static GgufValue f64(double v);
  static GgufValue boolean(bool v);
  static GgufValue string(std::string v);
  // All elements must have elem_type (Error(kInvalidArgument) otherwise).
  static GgufValue array(GgufValueType elem_type, std::vector<GgufValue> elems);
  static GgufValue string_array(const std::vector<std::string>& v);
  static GgufValue f32_array(const std::vector<float>& v);
  static GgufValue i32_array(const std::vector<int32_t>& v);

  GgufValueType type() const { return type_; }
  bool is_integer() const;  // u8 .. i64
  bool is_float() const;    // f32, f64

  // Converting accessors; each throws Error(kInvalidArgument) naming `what` (e.g. the key) for a
  // value of another kind, or an integer that does not fit int64.
  int64_t as_int(std::string_view what = "value") const;   // any integer type
  double as_float(std::string_view what = "value") const;  // f32, f64, or any integer
  bool as_bool(std::string_view what = "value") const;
  const std::string& as_string(std::string_view what = "value") const;
  // Arrays.
  GgufValueType elem_type() const { return elem_type_; }
  const std::vector<GgufValue>& elems(std::string_view what = "value") const;
  std::vector<std::string> as_string_array(std::string_view what = "value") const;
  std::vector<float> as_float_array(std::string_view what = "value") const;
  std::vector<int64_t> as_int_array(std::string_view what = "value") const;

  // Short human-readable form ("3", "\"gemma3\"", "[262144 x string]").
  std::string to_string() const;

  bool operator==(const GgufValue& other) const;

  // Raw scalar access for the reader and writer (exact bit patterns, e.g. NaN payloads): bits()
  // is the value's little-endian bytes as an integer (signed integers sign-extended, f32 in the
  // low 32 bits, bool 0 or 1; 0 for strings and arrays). scalar_from_bits takes the type's bytes
  // as read from a file (zero-extended) and throws Error(kInvalidArgument) for string / array.
  uint64_t bits() const { return bits_; }
  static GgufValue scalar_from_bits(GgufValueType type, uint64_t bits);

 private:
  GgufValueType type_ = GgufValueType::kU8;
  GgufValueType elem_type_ = GgufValueType::kU8;
  uint64_t bits_ = 0;  // integers, bool, and float/double bit patterns
  std::string str_;
  std::vector<GgufValue> elems_;
};

struct GgufTensorInfo {
  std::string name;
  GgmlType type = GgmlType::kF32;
  std::vector<int64_t> ne;        // ggml order: ne[0] innermost
  uint64_t offset = 0;            // relative to the data section
  uint64_t n_bytes = 0;           // from type and ne
  const uint8_t* data = nullptr;  // into the mapping

  int64_t n_elements() const;
  // Row-major llmkit shape: ne reversed ([R, C] for ne = {C, R}).
  Shape shape() const;
};

// A GGUF file opened read-only through a memory mapping. Tensor data pointers and tensors from
// tensor() borrow the mapping and keep it alive. Thread safety: const methods may be called
// concurrently.
class GgufFile {
 public:
  // Maps and validates the whole header (every metadata value, every tensor info, that each
  // tensor's bytes lie inside the file). Errors as described at the top of this file.
  explicit GgufFile(const std::string& path);

  const std::string& path() const;
  uint32_t version() const { return version_; }
  uint64_t alignment() const { return alignment_; }
  uint64_t data_start() const { return data_start_; }

  // Metadata in file order.
  const std::vector<std::pair<std::string, GgufValue>>& metadata() const { return metadata_; }
  bool has(const std::string& key) const { return key_index_.count(key) != 0; }
  // nullptr when absent.
  const GgufValue* find(const std::string& key) const;
  // Throws Error(kNotFound) naming the file and the key.
  const GgufValue& get(const std::string& key) const;
  // Typed shortcuts (errors as GgufValue's accessors, naming the key).
  std::string get_string(const std::string& key) const;
  int64_t get_int(const std::string& key) const;
  double get_float(const std::string& key) const;
  int64_t get_int_or(const std::string& key, int64_t fallback) const;
  double get_float_or(const std::string& key, double fallback) const;
  bool get_bool_or(const std::string& key, bool fallback) const;

  // Tensor infos in file order.
  const std::vector<GgufTensorInfo>& tensors() const { return tensors_; }
  // nullptr when absent.
  const GgufTensorInfo* find_tensor(const std::string& name) const;
  // Throws Error(kNotFound) naming the file and the tensor.
  const GgufTensorInfo& tensor_info(const std::string& name) const;

  // The tensor as an llmkit Tensor of shape info.shape(): F32 / F16 / BF16 data zero-copy (borrows
  // the mapping; read-only) when aligned, else copied; every other readable type dequantized into
  // a new f32 tensor. Throws Error(kUnsupported) naming the tensor and its type otherwise.
  Tensor tensor(const std::string& name) const;

  const std::shared_ptr<MappedFile>& mapping() const { return mapping_; }

 private:
  std::shared_ptr<MappedFile> mapping_;
  uint32_t version_ = 0;
  uint64_t alignment_ = 32;
  uint64_t data_start_ = 0;
  std::vector<std::pair<std::string, GgufValue>> metadata_;
  std::map<std::string, size_t> key_index_;
  std::vector<GgufTensorInfo> tensors_;
  std::map<std::string, size_t> tensor_index_;
};

// Builds a GGUF v3 file in memory order and writes it atomically (temporary file + rename).
// Metadata keys and tensors keep the order they were added in.
class GgufWriter {
 public:
  // Adds or replaces a key (a replaced key keeps its first position).
  void set(const std::string& key, GgufValue value);
  // The value of `general.alignment` when set (must be a power of two), else 32.
  // Adds a tensor with raw bytes in `type`'s layout. ne in ggml order; bytes.size() must equal the
  // type's row bytes times the row count (Error(kInvalidArgument) naming the tensor otherwise).
  // Duplicate names throw Error(kInvalidArgument).
  void add_tensor(const std::string& name, GgmlType type, std::vector<int64_t> ne,
                  std::string bytes);
  // Adds an f32 / f16 / bf16 tensor (any layout; written contiguous), converted to `type` (any
  // writable type; quantized types quantize each row with quantize_row). The llmkit shape [.., R,
  // C] becomes ne = {C, R, ..}.
  void add_tensor(const std::string& name, const Tensor& tensor, GgmlType type);

  size_t tensor_count() const { return tensors_.size(); }

  // Writes the file atomically; throws Error(kIo) naming the path when it cannot be written.
  void write(const std::string& path) const;

 private:
  struct PendingTensor {
    std::string name;
    GgmlType type;
    std::vector<int64_t> ne;
    std::string bytes;
  };
  std::vector<std::pair<std::string, GgufValue>> metadata_;
  std::vector<PendingTensor> tensors_;
};

}  // namespace llmkit::io
