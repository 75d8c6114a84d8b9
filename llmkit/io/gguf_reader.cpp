// GgufFile: validating reader over a memory mapping. Every length and count read from the file is
// checked against the bytes that remain before anything is allocated or read, so a malformed or
// truncated file ends in Error(kCorruptData), never in an out-of-bounds read or a huge allocation.
#include <algorithm>
#include <cstring>
#include <limits>

#include "llmkit/io/gguf.h"
#include "llmkit/io/gguf_internal.h"
#include "llmkit/io/quantize.h"

namespace llmkit::io {
namespace {

using namespace gguf_detail;

// A bounds-checked little-endian cursor over the mapped bytes. Errors name the file and the
// offset where the item being read starts.
class Cursor {
 public:
  Cursor(const std::string& path, const uint8_t* data, uint64_t size)
      : path_(path), data_(data), size_(size) {}

  uint64_t pos() const { return pos_; }
  uint64_t remaining() const { return size_ - pos_; }
  const std::string& path() const { return path_; }

  [[noreturn]] void fail(uint64_t at, const std::string& what) const {
    throw_error(ErrorCode::kCorruptData,
                str_cat("GGUF file '", path_, "': at offset ", at, ": ", what));
  }

  void need(uint64_t n, const std::string& what) const {
    if (n > remaining()) {
      fail(pos_, str_cat(what, " needs ", n, " bytes but only ", remaining(), " remain of the ",
                         size_, "-byte file (truncated?)"));
    }
  }

  // n <= 8 bytes, little-endian, zero-extended.
  uint64_t read_uint(uint64_t n, const std::string& what) {
    need(n, what);
    uint64_t v = 0;
    for (uint64_t i = n; i-- > 0;) v = (v << 8) | data_[pos_ + i];
    pos_ += n;
    return v;
  }
  uint32_t read_u32(const std::string& what) { return static_cast<uint32_t>(read_uint(4, what)); }
  uint64_t read_u64(const std::string& what) { return read_uint(8, what); }

  std::string read_string(const std::string& what) {
    const uint64_t start = pos_;
    const uint64_t len = read_u64(str_cat("the length of ", what));
    if (len > remaining()) {
      fail(start, str_cat(what, " has length ", len, " but only ", remaining(),
                          " bytes remain in the file"));
    }
    std::string s(reinterpret_cast<const char*>(data_ + pos_), static_cast<size_t>(len));
    pos_ += len;
    return s;
  }

 private:
  const std::string& path_;
  const uint8_t* data_;
  uint64_t size_;
  uint64_t pos_ = 0;
};

GgufValueType read_value_type(Cursor& in, const std::string& what) {
  const uint64_t at = in.pos();
  const uint32_t t = in.read_u32(str_cat("the value type of ", what));
  if (!is_value_type(t)) {
    in.fail(at, str_cat(what, " has unknown value type ", t, " (GGUF defines 0..12)"));
  }
  return static_cast<GgufValueType>(t);
}

GgufValue read_value(Cursor& in, GgufValueType type, const std::string& what, int depth) {
  if (type == GgufValueType::kString) return GgufValue::string(in.read_string(what));
  if (type != GgufValueType::kArray) {
    return GgufValue::scalar_from_bits(type, in.read_uint(scalar_size(type), what));
  }
  const uint64_t at = in.pos();
  if (depth >= kMaxArrayDepth) {
    in.fail(at, str_cat(what, " nests arrays more than ", kMaxArrayDepth, " deep"));
  }
  const GgufValueType elem_type = read_value_type(in, str_cat("the elements of ", what));
  const uint64_t count = in.read_u64(str_cat("the element count of ", what));
  const uint64_t min_size = min_encoded_size(elem_type);
  if (count > in.remaining() / min_size) {
    in.fail(at, str_cat(what, " claims ", count, " elements of type ",
                        gguf_value_type_name(elem_type), " (at least ", min_size,
                        " bytes each) but only ", in.remaining(), " bytes remain in the file"));
  }
  std::vector<GgufValue> elems;
  elems.reserve(static_cast<size_t>(count));
  for (uint64_t i = 0; i < count; ++i) {
    elems.push_back(read_value(in, elem_type, str_cat(what, "[", i, "]"), depth + 1));
  }
  return GgufValue::array(elem_type, std::move(elems));
}

// Checks that no two tensors with data share bytes.
void check_overlaps(const Cursor& in, uint64_t data_start,
                    const std::vector<GgufTensorInfo>& tensors) {
  std::vector<const GgufTensorInfo*> sorted;
  for (const GgufTensorInfo& t : tensors) {
    if (t.n_bytes > 0) sorted.push_back(&t);
  }
  std::sort(sorted.begin(), sorted.end(),
            [](const auto* a, const auto* b) { return a->offset < b->offset; });
  for (size_t i = 1; i < sorted.size(); ++i) {
    const GgufTensorInfo& prev = *sorted[i - 1];
    const GgufTensorInfo& cur = *sorted[i];
    if (cur.offset < prev.offset + prev.n_bytes) {
      in.fail(
          data_start + cur.offset,
          str_cat("the data of tensor '", cur.name, "' (bytes [", cur.offset, ", ",
                  cur.offset + cur.n_bytes, ") of the data section) overlaps tensor '", prev.name,
                  "' (bytes [", prev.offset, ", ", prev.offset + prev.n_bytes, "))"));
    }
  }
}

}  // namespace

int64_t GgufTensorInfo::n_elements() const {
  int64_t n = 1;
  for (int64_t d : ne) {
    LLMKIT_CHECK(!__builtin_mul_overflow(n, d, &n), "tensor '", name, "': too many elements");
  }
  return n;
}

Shape GgufTensorInfo::shape() const {
  return Shape(ne.rbegin(), ne.rend());
}

GgufFile::GgufFile(const std::string& path) : mapping_(std::make_shared<MappedFile>(path)) {
  const uint64_t file_size = mapping_->size();
  Cursor in(mapping_->path(), mapping_->data(), file_size);

  in.need(4, "the magic \"GGUF\"");
  if (std::memcmp(mapping_->data(), kMagic, 4) != 0) {
    std::string got;
    for (int i = 0; i < 4; ++i) {
      const char c = static_cast<char>(mapping_->data()[i]);
      got += (c >= 0x20 && c < 0x7f) ? c : '?';
    }
    in.fail(0, str_cat("bad magic '", got, "' (expected 'GGUF'; not a GGUF file)"));
  }
  in.read_u32("the magic");
  version_ = in.read_u32("the version");
  if (version_ != 2 && version_ != 3) {
    std::string hint = version_ == 1 ? " (GGUF v1 files are obsolete; convert them again)" : "";
    if (version_ != 0 && (version_ & 0xFFFF) == 0) hint = " (a big-endian file?)";
    in.fail(
        4, str_cat("unsupported GGUF version ", version_, hint, "; llmkit reads versions 2 and 3"));
  }
  const uint64_t at_counts = in.pos();
  const uint64_t tensor_count = in.read_u64("the tensor count");
  const uint64_t kv_count = in.read_u64("the metadata count");
  // A key-value pair takes at least 8 + 4 + 1 bytes, a tensor info at least 8 + 4 + 4 + 8.
  if (kv_count > in.remaining() / 13 || tensor_count > in.remaining() / 24) {
    in.fail(at_counts, str_cat(tensor_count, " tensors and ", kv_count, " metadata pairs cannot ",
                               "fit in the remaining ", in.remaining(), " bytes"));
  }

  metadata_.reserve(static_cast<size_t>(kv_count));
  for (uint64_t i = 0; i < kv_count; ++i) {
    const uint64_t at = in.pos();
    std::string key = in.read_string(str_cat("the key of metadata pair ", i));
    if (key_index_.count(key) != 0) in.fail(at, str_cat("duplicate metadata key '", key, "'"));
    const std::string what = str_cat("the value of key '", key, "'");
    const GgufValueType type = read_value_type(in, what);
    GgufValue value = read_value(in, type, what, 0);
    key_index_.emplace(key, metadata_.size());
    metadata_.emplace_back(std::move(key), std::move(value));
  }

  if (const GgufValue* a = find(kAlignmentKey)) {
    if (a->type() != GgufValueType::kU32 || a->bits() == 0 || (a->bits() & (a->bits() - 1)) != 0) {
      in.fail(in.pos(), str_cat("'", kAlignmentKey, "' must be a u32 power of two, found ",
                                gguf_value_type_name(a->type()), " ", a->to_string()));
    }
    alignment_ = a->bits();
  }

  tensors_.reserve(static_cast<size_t>(tensor_count));
  for (uint64_t i = 0; i < tensor_count; ++i) {
    const uint64_t at = in.pos();
    GgufTensorInfo t;
    t.name = in.read_string(str_cat("the name of tensor ", i));
    if (tensor_index_.count(t.name) != 0) {
      in.fail(at, str_cat("duplicate tensor name '", t.name, "'"));
    }
    const std::string what = str_cat("tensor '", t.name, "'");
    const uint64_t at_dims = in.pos();
    const uint32_t n_dims = in.read_u32(str_cat("the dimension count of ", what));
    if (n_dims > kMaxDims) {
      in.fail(at_dims, str_cat(what, " has n_dims ", n_dims, " (at most ", kMaxDims, ")"));
    }
    int64_t n_elements = 1;
    for (uint32_t d = 0; d < n_dims; ++d) {
      const uint64_t at_dim = in.pos();
      const uint64_t ne = in.read_u64(str_cat("dimension ", d, " of ", what));
      if (ne > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
        in.fail(at_dim, str_cat(what, " has a negative size in dimension ", d));
      }
      t.ne.push_back(static_cast<int64_t>(ne));
    }
    // The product of the non-zero sizes must fit int64 too (a shape like {0, 2^40, 2^40} holds
    // no elements but has no valid strides).
    int64_t nonzero_product = 1;
    for (int64_t ne : t.ne) {
      if (__builtin_mul_overflow(n_elements, ne, &n_elements) ||
          __builtin_mul_overflow(nonzero_product, std::max<int64_t>(ne, 1), &nonzero_product)) {
        in.fail(at_dims,
                str_cat(what, " has too many elements (shape ne = ", shape_to_string(t.ne), ")"));
      }
    }
    const uint64_t at_type = in.pos();
    const uint32_t type_id = in.read_u32(str_cat("the type of ", what));
    const GgmlTypeInfo* info = find_ggml_type(type_id);
    if (info == nullptr) in.fail(at_type, str_cat(what, " has unknown ggml type id ", type_id));
    t.type = info->type;
    const int64_t row = t.ne.empty() ? 1 : t.ne[0];
    if (row % info->block_elems != 0) {
      in.fail(at_dims, str_cat(what, " of type ", info->name, " has rows of ", row,
                               " elements, not a multiple of the block size ", info->block_elems));
    }
    // n_elements / block_elems blocks, each block_bytes: overflow-checked.
    uint64_t n_bytes = 0;
    if (__builtin_mul_overflow(static_cast<uint64_t>(n_elements / info->block_elems),
                               static_cast<uint64_t>(info->block_bytes), &n_bytes)) {
      in.fail(at_dims, str_cat(what, " is too large (", n_elements, " elements)"));
    }
    t.n_bytes = n_bytes;
    const uint64_t at_offset = in.pos();
    t.offset = in.read_u64(str_cat("the data offset of ", what));
    if (t.offset % alignment_ != 0) {
      in.fail(at_offset, str_cat(what, " has data offset ", t.offset,
                                 ", not a multiple of the alignment ", alignment_));
    }
    tensor_index_.emplace(t.name, tensors_.size());
    tensors_.push_back(std::move(t));
  }

  // The data section starts at the next multiple of the alignment. A file without tensors may
  // end before it (ggml writes the padding, but nothing follows it).
  data_start_ = align_up(in.pos(), alignment_);
  if (data_start_ > file_size) {
    if (!tensors_.empty()) {
      in.fail(in.pos(), str_cat("the data section would start at offset ", data_start_,
                                ", past the end of the ", file_size, "-byte file"));
    }
    data_start_ = file_size;
  }
  const uint64_t data_size = file_size - data_start_;
  for (GgufTensorInfo& t : tensors_) {
    if (t.offset > data_size || t.n_bytes > data_size - t.offset) {
      in.fail(data_start_,
              str_cat("the data of tensor '", t.name, "' (", t.n_bytes, " bytes at offset ",
                      t.offset, " of the data section) lies ",
                      "outside the file (the data section has ", data_size, " bytes; truncated?)"));
    }
    t.data = mapping_->data() + data_start_ + t.offset;
  }
  check_overlaps(in, data_start_, tensors_);
}

const std::string& GgufFile::path() const {
  return mapping_->path();
}

const GgufValue* GgufFile::find(const std::string& key) const {
  auto it = key_index_.find(key);
  return it == key_index_.end() ? nullptr : &metadata_[it->second].second;
}

const GgufValue& GgufFile::get(const std::string& key) const {
  const GgufValue* v = find(key);
  LLMKIT_CHECK_CODE(v != nullptr, ErrorCode::kNotFound, "GGUF file '", path(),
                    "' has no metadata key '", key, "'");
  return *v;
}

std::string GgufFile::get_string(const std::string& key) const {
  return get(key).as_string(str_cat("key '", key, "' of '", path(), "'"));
}
int64_t GgufFile::get_int(const std::string& key) const {
  return get(key).as_int(str_cat("key '", key, "' of '", path(), "'"));
}
double GgufFile::get_float(const std::string& key) const {
  return get(key).as_float(str_cat("key '", key, "' of '", path(), "'"));
}
int64_t GgufFile::get_int_or(const std::string& key, int64_t fallback) const {
  return has(key) ? get_int(key) : fallback;
}
double GgufFile::get_float_or(const std::string& key, double fallback) const {
  return has(key) ? get_float(key) : fallback;
}
bool GgufFile::get_bool_or(const std::string& key, bool fallback) const {
  return has(key) ? get(key).as_bool(str_cat("key '", key, "' of '", path(), "'")) : fallback;
}

const GgufTensorInfo* GgufFile::find_tensor(const std::string& name) const {
  auto it = tensor_index_.find(name);
  return it == tensor_index_.end() ? nullptr : &tensors_[it->second];
}

const GgufTensorInfo& GgufFile::tensor_info(const std::string& name) const {
  const GgufTensorInfo* t = find_tensor(name);
  LLMKIT_CHECK_CODE(t != nullptr, ErrorCode::kNotFound, "GGUF file '", path(), "' has no tensor '",
                    name, "' (it holds ", tensors_.size(), " tensors)");
  return *t;
}

Tensor GgufFile::tensor(const std::string& name) const {
  const GgufTensorInfo& t = tensor_info(name);
  const GgmlTypeInfo& info = ggml_type_info(t.type);
  LLMKIT_CHECK_CODE(info.readable, ErrorCode::kUnsupported, "GGUF file '", path(), "': tensor '",
                    name, "' has type ", info.name, ", which llmkit cannot read (readable: f32, ",
                    "f16, bf16, q8_0, q4_0, q4_K, q6_K)");
  const Shape shape = t.shape();
  DType dtype = DType::kF32;
  if (t.type == GgmlType::kF16) dtype = DType::kF16;
  if (t.type == GgmlType::kBF16) dtype = DType::kBF16;
  const bool plain =
      t.type == GgmlType::kF32 || t.type == GgmlType::kF16 || t.type == GgmlType::kBF16;
  if (t.n_bytes == 0) return Tensor::empty(shape, dtype);
  if (plain) {
    if (reinterpret_cast<uintptr_t>(t.data) % dtype_size(dtype) == 0) {
      // The mapping is PROT_READ; the const_cast only satisfies Storage's signature.
      auto storage = Storage::borrow(const_cast<uint8_t*>(t.data), t.n_bytes, mapping_);
      return Tensor::from_storage(std::move(storage), shape, contiguous_strides(shape), 0, dtype);
    }
    Tensor out = Tensor::uninitialized(shape, dtype);
    std::memcpy(out.raw_data(), t.data, t.n_bytes);
    return out;
  }
  // Quantized: dequantize row by row (rows of ne[0] elements) into f32.
  const int64_t row = t.ne.empty() ? 1 : t.ne[0];
  const int64_t rows = t.n_elements() / row;
  const int64_t row_bytes = ggml_row_bytes(t.type, row);
  Tensor out = Tensor::uninitialized(shape, DType::kF32);
  float* dst = out.data<float>();
  for (int64_t r = 0; r < rows; ++r) {
    dequantize_row(t.type, t.data + r * row_bytes, dst + r * row, row);
  }
  return out;
}

}  // namespace llmkit::io
