// GgufWriter: lays a GGUF v3 file out the way ggml's writer does (header, metadata, tensor infos,
// zero padding to the alignment, then each tensor's bytes padded to the alignment) and writes it
// atomically.
#include <cstring>
#include <limits>

#include "llmkit/base/atomic_file.h"
#include "llmkit/io/gguf.h"
#include "llmkit/io/gguf_internal.h"
#include "llmkit/io/quantize.h"
#include "llmkit/tensor/view.h"

namespace llmkit::io {
namespace {

using namespace gguf_detail;

void put_uint(std::string& out, uint64_t v, uint64_t n) {
  for (uint64_t i = 0; i < n; ++i) out += static_cast<char>((v >> (8 * i)) & 0xff);
}

void put_string(std::string& out, const std::string& s) {
  put_uint(out, s.size(), 8);
  out += s;
}

void put_value(std::string& out, const GgufValue& v) {
  switch (v.type()) {
    case GgufValueType::kString:
      put_string(out, v.as_string());
      return;
    case GgufValueType::kArray:
      put_uint(out, static_cast<uint32_t>(v.elem_type()), 4);
      put_uint(out, v.elems().size(), 8);
      for (const GgufValue& e : v.elems()) put_value(out, e);
      return;
    default:
      put_uint(out, v.bits(), scalar_size(v.type()));
  }
}

void check_alignment_value(const GgufValue& v) {
  LLMKIT_CHECK(v.type() == GgufValueType::kU32 && v.bits() != 0 && (v.bits() & (v.bits() - 1)) == 0,
               "GgufWriter: '", kAlignmentKey, "' must be a u32 power of two, got ",
               gguf_value_type_name(v.type()), " ", v.to_string());
}

}  // namespace

void GgufWriter::set(const std::string& key, GgufValue value) {
  if (key == kAlignmentKey) check_alignment_value(value);
  for (auto& [k, v] : metadata_) {
    if (k == key) {
      v = std::move(value);
      return;
    }
  }
  metadata_.emplace_back(key, std::move(value));
}

void GgufWriter::add_tensor(const std::string& name, GgmlType type, std::vector<int64_t> ne,
                            std::string bytes) {
  LLMKIT_CHECK(name.size() <= kMaxNameBytes, "GgufWriter: tensor name '", name, "' has ",
               name.size(), " bytes; ggml (llama.cpp) accepts at most ", kMaxNameBytes);
  for (const PendingTensor& t : tensors_) {
    LLMKIT_CHECK(t.name != name, "GgufWriter: duplicate tensor name '", name, "'");
  }
  const GgmlTypeInfo* info = find_ggml_type(static_cast<uint32_t>(type));
  LLMKIT_CHECK(info != nullptr, "GgufWriter: tensor '", name, "' has unknown ggml type id ",
               static_cast<uint32_t>(type));
  LLMKIT_CHECK(ne.size() <= kMaxDims, "GgufWriter: tensor '", name, "' has ", ne.size(),
               " dimensions (at most ", kMaxDims, ")");
  int64_t n = 1;
  for (int64_t d : ne) {
    LLMKIT_CHECK(d >= 0 && !__builtin_mul_overflow(n, d, &n), "GgufWriter: tensor '", name,
                 "' has an invalid shape ne = ", shape_to_string(ne));
  }
  const int64_t row = ne.empty() ? 1 : ne[0];
  LLMKIT_CHECK(row % info->block_elems == 0, "GgufWriter: tensor '", name, "' of type ", info->name,
               " has rows of ", row, " elements, not a multiple of the block size ",
               info->block_elems);
  const int64_t rows = row == 0 ? 0 : n / row;
  const int64_t row_bytes = ggml_row_bytes(type, row);
  int64_t expected = 0;
  LLMKIT_CHECK(!__builtin_mul_overflow(rows, row_bytes, &expected), "GgufWriter: tensor '", name,
               "' is too large");
  LLMKIT_CHECK(static_cast<int64_t>(bytes.size()) == expected, "GgufWriter: tensor '", name, "' (",
               info->name, ", ne = ", shape_to_string(ne), ") needs ", expected, " bytes, got ",
               bytes.size());
  tensors_.push_back(PendingTensor{name, type, std::move(ne), std::move(bytes)});
}

void GgufWriter::add_tensor(const std::string& name, const Tensor& tensor, GgmlType type) {
  LLMKIT_CHECK(tensor.defined(), "GgufWriter: tensor '", name, "' is undefined");
  const DType dtype = tensor.dtype();
  LLMKIT_CHECK(dtype == DType::kF32 || dtype == DType::kF16 || dtype == DType::kBF16,
               "GgufWriter: tensor '", name, "' ", describe(tensor), " must be f32, f16 or bf16");
  const GgmlTypeInfo& info = ggml_type_info(type);
  LLMKIT_CHECK(info.writable, "GgufWriter: tensor '", name, "': llmkit cannot write type ",
               info.name, " (writable: f32, f16, bf16, q8_0, q4_0)");
  const Shape& shape = tensor.shape();
  LLMKIT_CHECK(shape.size() <= kMaxDims, "GgufWriter: tensor '", name, "' ", describe(tensor),
               " has more than ", kMaxDims, " dimensions");
  std::vector<int64_t> ne(shape.rbegin(), shape.rend());
  const int64_t row = shape.empty() ? 1 : shape.back();
  LLMKIT_CHECK(row % info.block_elems == 0, "GgufWriter: tensor '", name, "' ", describe(tensor),
               ": rows of ", row, " elements cannot be stored as ", info.name,
               " (the last dimension must be a multiple of ", info.block_elems, ")");
  const int64_t numel = tensor.numel();
  const int64_t rows = row == 0 ? 0 : numel / row;
  const int64_t row_bytes = ggml_row_bytes(type, row);
  std::string bytes(static_cast<size_t>(rows * row_bytes), '\0');
  if (numel > 0) {
    if (info.block_elems == 1) {
      // f32 / f16 / bf16 target: a plain element conversion.
      DType target = type == GgmlType::kF32   ? DType::kF32
                     : type == GgmlType::kF16 ? DType::kF16
                                              : DType::kBF16;
      Tensor c = ops::contiguous(tensor);
      convert_elements(c.raw_data(), dtype, bytes.data(), target, numel);
    } else {
      Tensor f = ops::contiguous(ops::to_dtype(tensor, DType::kF32));
      const float* src = f.data<float>();
      for (int64_t r = 0; r < rows; ++r) {
        quantize_row(type, src + r * row, bytes.data() + r * row_bytes, row);
      }
    }
  }
  add_tensor(name, type, std::move(ne), std::move(bytes));
}

void GgufWriter::write(const std::string& path) const {
  uint64_t alignment = kDefaultAlignment;
  for (const auto& [k, v] : metadata_) {
    if (k == kAlignmentKey) alignment = v.bits();
  }
  std::string header(kMagic, 4);
  put_uint(header, kVersion, 4);
  put_uint(header, tensors_.size(), 8);
  put_uint(header, metadata_.size(), 8);
  for (const auto& [key, value] : metadata_) {
    put_string(header, key);
    put_uint(header, static_cast<uint32_t>(value.type()), 4);
    put_value(header, value);
  }
  uint64_t offset = 0;
  for (const PendingTensor& t : tensors_) {
    put_string(header, t.name);
    put_uint(header, t.ne.size(), 4);
    for (int64_t d : t.ne) put_uint(header, static_cast<uint64_t>(d), 8);
    put_uint(header, static_cast<uint32_t>(t.type), 4);
    put_uint(header, offset, 8);
    offset += align_up(t.bytes.size(), alignment);
  }
  header.append(align_up(header.size(), alignment) - header.size(), '\0');

  write_file_atomic(path, [&](FileSink& sink) {
    sink.write(header.data(), header.size());
    const std::string zeros(alignment, '\0');
    for (const PendingTensor& t : tensors_) {
      if (!t.bytes.empty()) sink.write(t.bytes.data(), t.bytes.size());
      const uint64_t pad = align_up(t.bytes.size(), alignment) - t.bytes.size();
      if (pad > 0) sink.write(zeros.data(), pad);
    }
  });
}

}  // namespace llmkit::io
