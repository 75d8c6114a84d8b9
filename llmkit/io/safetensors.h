// safetensors read/write (https://github.com/huggingface/safetensors, format only).
//
// File layout: an 8-byte little-endian u64 N, then N bytes of a UTF-8 JSON object
//   {"<name>": {"dtype": "F32", "shape": [2, 3], "data_offsets": [begin, end]}, ...,
//    "__metadata__": {"<key>": "<value>", ...}}        (metadata optional)
// then the data buffer. Offsets are bytes relative to the buffer start; tensors are row-major and
// little-endian; the buffer must be covered exactly (no holes, no overlaps, no trailing bytes).
//
// Dtypes: llmkit reads and writes F32, F16, BF16 and I32. Other dtypes of the format (F64, I64,
// U8, BOOL, ...) are accepted in a file's header (listed with supported = false) but get() throws
// Error(kUnsupported) for them; a dtype string the format does not define makes the file corrupt.
//
// Errors: a malformed file throws Error(kCorruptData) naming the file, the tensor (when there is
// one) and what is wrong; a missing file or tensor name throws Error(kNotFound). Nothing is ever
// read outside the file's bytes.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "llmkit/base/mmap_file.h"
#include "llmkit/tensor/tensor.h"

namespace llmkit::io {

// One header entry.
struct SafetensorsTensorInfo {
  std::string name;
  std::string dtype_str;      // as written in the header: "F32", "BF16", "I64", ...
  bool supported = false;     // dtype_str is one of F32, F16, BF16, I32
  DType dtype = DType::kF32;  // meaningful only when supported
  Shape shape;
  uint64_t begin = 0;  // byte range [begin, end) relative to the data buffer
  uint64_t end = 0;
};

// A safetensors file opened read-only through a memory mapping.
//
// Ownership and lifetime: tensors returned by get() borrow the mapped bytes and keep the mapping
// alive (shared_ptr), so they stay valid after the SafetensorsFile is destroyed. The mapping is
// read-only: never write into a tensor from get() (it would fault); use get_copy() for a tensor
// you will modify. Thread safety: all const methods may be called concurrently.
class SafetensorsFile {
 public:
  // Maps and validates the whole header. Throws Error(kNotFound) when the file does not exist and
  // Error(kCorruptData) for any malformed content.
  explicit SafetensorsFile(const std::string& path);

  const std::string& path() const { return mapping_->path(); }
  // Tensor names in header order.
  const std::vector<std::string>& names() const { return names_; }
  bool contains(const std::string& name) const { return index_.count(name) != 0; }
  // Throws Error(kNotFound) naming the file and the tensor.
  const SafetensorsTensorInfo& info(const std::string& name) const;
  const std::map<std::string, std::string>& metadata() const { return metadata_; }

  // A contiguous tensor of the entry's shape and dtype. Zero-copy (borrows the mapping) when the
  // bytes are aligned to the element size, else an owned copy. Throws Error(kNotFound) for an
  // unknown name and Error(kUnsupported) for a dtype llmkit cannot represent.
  Tensor get(const std::string& name) const;
  // Like get() but always an owned, writable copy.
  Tensor get_copy(const std::string& name) const;

  // The mapping the borrowed tensors point into.
  const std::shared_ptr<MappedFile>& mapping() const { return mapping_; }
  // Byte offset of the data buffer within the file (8 + header length).
  uint64_t data_start() const { return data_start_; }

 private:
  std::shared_ptr<MappedFile> mapping_;
  uint64_t data_start_ = 0;
  std::vector<std::string> names_;
  std::vector<SafetensorsTensorInfo> infos_;  // header order
  std::map<std::string, size_t> index_;       // name -> position in infos_
  std::map<std::string, std::string> metadata_;
};

using NamedTensorList = std::vector<std::pair<std::string, Tensor>>;

// All tensors of a file, in header order. With copy = false the tensors borrow the mapping
// (read-only, see SafetensorsFile); with copy = true they are owned and writable.
NamedTensorList load_safetensors(const std::string& path, bool copy = false);

// Writes `tensors` and `metadata` to path atomically (a temporary file in the same folder renamed
// over path, see llmkit/base/atomic_file.h). The header lists the tensors in the given order; the
// data buffer holds them by decreasing element size (stable) and starts at a multiple of 8 bytes
// (the header is padded with spaces), so every tensor is aligned to its element size and loads
// zero-copy. Tensors may have any layout (non-contiguous ones are written row-major) and dtype
// f32, f16, bf16 or i32. Throws
// Error(kInvalidArgument) for an empty, duplicate or reserved ("__metadata__") name or an undefined
// tensor, and Error(kIo) when the file cannot be written; on any error, path is left untouched.
void save_safetensors(const std::string& path, const NamedTensorList& tensors,
                      const std::map<std::string, std::string>& metadata = {});

// The safetensors dtype string of a llmkit dtype: "F32", "F16", "BF16", "I32".
const char* safetensors_dtype_name(DType dtype);

}  // namespace llmkit::io
