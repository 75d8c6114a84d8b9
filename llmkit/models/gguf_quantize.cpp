// quantize_gguf and its type rules (contract and sources in gguf_quantize.h).
#include "llmkit/models/gguf_quantize.h"

#include <algorithm>

#include "llmkit/base/context.h"
#include "llmkit/base/error.h"
#include "llmkit/io/quantize.h"
#include "llmkit/models/gguf_conventions.h"

namespace llmkit::models {
namespace {

constexpr const char* kTokenEmbd = "token_embd.weight";
constexpr const char* kOutput = "output.weight";
constexpr uint32_t kQuantizationVersion = 2;  // ggml's GGML_QNT_VERSION

bool is_quantized(io::GgmlType t) {
  return io::ggml_type_info(t).block_elems > 1;
}

// llama.cpp's tensor_allows_quantization, reduced to the names llmkit's architectures use.
bool is_matrix(const std::string& name, const std::vector<int64_t>& ne) {
  return ne.size() >= 2 && name.ends_with("weight") &&
         name.find("_norm.weight") == std::string::npos;
}

bool fits(io::GgmlType t, int64_t row) {
  return row % io::ggml_type_info(t).block_elems == 0;
}

struct Choice {
  io::GgmlType type;
  bool fell_back = false;
};

Choice choose(const std::string& name, const std::vector<int64_t>& ne, io::GgmlType stored,
              bool tied, const QuantizeOptions& o) {
  if (!is_matrix(name, ne)) return {ne.size() == 1 ? io::GgmlType::kF32 : stored};
  const int64_t row = ne[0];
  io::GgmlType t = o.type;
  if (name == kTokenEmbd && o.token_embedding_type) {
    t = *o.token_embedding_type;
  } else if (name == kOutput && o.output_type) {
    t = *o.output_type;
  } else if (is_quantized(o.type) && (name == kOutput || (tied && name == kTokenEmbd))) {
    if (o.output_type) {
      t = *o.output_type;
    } else if (!fits(o.type, row)) {
      t = io::GgmlType::kQ8_0;
    } else if (o.type != io::GgmlType::kQ8_0) {
      t = io::GgmlType::kQ6_K;
    }
  }
  if (fits(t, row)) return {t};
  if (t == io::GgmlType::kQ6_K || t == io::GgmlType::kQ4_K) t = io::GgmlType::kQ8_0;
  if (!fits(t, row)) t = io::GgmlType::kF16;
  return {t, true};
}

void check_writable(io::GgmlType t, const char* what) {
  const io::GgmlTypeInfo& info = io::ggml_type_info(t);
  LLMKIT_CHECK(info.writable, "quantize: ", what, " type ", info.name,
               " cannot be written (f32, f16, bf16, q8_0, q4_0, q4_K, q6_K)");
}

// Rows [begin, end) of a tensor with rows of `row` elements: src in `from`, dst in `to`.
void convert_rows(const uint8_t* src, io::GgmlType from, uint8_t* dst, io::GgmlType to, int64_t row,
                  int64_t begin, int64_t end) {
  const int64_t src_bytes = io::ggml_row_bytes(from, row);
  const int64_t dst_bytes = io::ggml_row_bytes(to, row);
  std::vector<float> buf(static_cast<size_t>(row));
  for (int64_t r = begin; r < end; ++r) {
    io::dequantize_row(from, src + r * src_bytes, buf.data(), row);
    io::quantize_row(to, buf.data(), dst + r * dst_bytes, row);
  }
}

std::string convert(const io::GgufTensorInfo& t, io::GgmlType to, int n_threads) {
  const int64_t row = t.ne.empty() ? 1 : t.ne[0];
  const int64_t rows = row == 0 ? 0 : t.n_elements() / row;
  std::string out(static_cast<size_t>(io::ggml_row_bytes(to, row) * rows), '\0');
  auto* dst = reinterpret_cast<uint8_t*>(out.data());
  // Contiguous ranges of rows on the pool; threads only pay off for tasks of >= 2^16 elements.
  const Context context(n_threads);
  const Context::Scope scope(context);
  parallel_for(
      rows,
      [&](int64_t begin, int64_t end) { convert_rows(t.data, t.type, dst, to, row, begin, end); },
      std::max<int64_t>(1, (int64_t{1} << 16) / std::max<int64_t>(row, 1)));
  return out;
}

}  // namespace

io::GgmlType quantize_tensor_type(const std::string& name, const std::vector<int64_t>& ne,
                                  io::GgmlType stored, bool tied_embeddings,
                                  const QuantizeOptions& options) {
  return choose(name, ne, stored, tied_embeddings, options).type;
}

QuantizeSummary quantize_gguf(const io::GgufFile& in, const QuantizeOptions& options,
                              io::GgufWriter& out) {
  check_writable(options.type, "target");
  if (options.output_type) check_writable(*options.output_type, "output tensor");
  if (options.token_embedding_type)
    check_writable(*options.token_embedding_type, "token embedding");

  for (const auto& [key, value] : in.metadata()) out.set(key, value);
  out.set("general.quantization_version", io::GgufValue::u32(kQuantizationVersion));
  out.set("general.file_type", io::GgufValue::u32(llama_file_type(options.type)));

  const bool tied = in.find_tensor(kOutput) == nullptr;
  QuantizeSummary s;
  for (const io::GgufTensorInfo& t : in.tensors()) {
    const Choice c = choose(t.name, t.ne, t.type, tied, options);
    s.bytes_before += t.n_bytes;
    s.fallbacks += c.fell_back ? 1 : 0;
    std::string bytes;
    if (c.type == t.type) {
      bytes.assign(reinterpret_cast<const char*>(t.data), t.n_bytes);
    } else {
      const io::GgmlTypeInfo& from = io::ggml_type_info(t.type);
      LLMKIT_CHECK_CODE(from.readable, ErrorCode::kUnsupported, "quantize: tensor '", t.name,
                        "' of ", in.path(), " is stored as ", from.name,
                        ", which llmkit cannot read (readable: f32, f16, bf16, q8_0, q4_0, q4_K, "
                        "q6_K)");
      bytes = convert(t, c.type, options.n_threads);
      s.converted += 1;
      s.requantized += is_quantized(t.type) ? 1 : 0;
    }
    s.bytes_after += bytes.size();
    s.tensors_per_type[c.type] += 1;
    out.add_tensor(t.name, c.type, t.ne, std::move(bytes));
  }
  return s;
}

}  // namespace llmkit::models
