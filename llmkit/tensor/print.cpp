// Tensor::to_string: a NumPy-like printer. Dimensions longer than 2 * kEdge + 1 are summarised
// with "..." once the tensor has more than kSummariseAbove elements.
#include <cmath>
#include <cstdio>

#include "llmkit/tensor/tensor.h"

namespace llmkit {
namespace {
constexpr int64_t kEdge = 3;
constexpr int64_t kSummariseAbove = 1000;

std::string format_value(float v, bool integer, bool scientific) {
  char buf[32];
  if (integer) {
    std::snprintf(buf, sizeof(buf), "%lld", static_cast<long long>(v));
  } else if (std::isnan(v) || std::isinf(v)) {
    std::snprintf(buf, sizeof(buf), "%s", std::isnan(v) ? "nan" : (v > 0 ? "inf" : "-inf"));
  } else if (scientific) {
    std::snprintf(buf, sizeof(buf), "%.4e", static_cast<double>(v));
  } else {
    std::snprintf(buf, sizeof(buf), "%.4f", static_cast<double>(v));
  }
  return buf;
}

struct Printer {
  const Tensor& t;
  bool summarise;
  bool integer;
  bool scientific = false;
  size_t width = 0;

  void pad(std::string& s) const {
    if (s.size() < width) s.insert(0, width - s.size(), ' ');
  }

  bool skipped(int64_t i, int64_t n) const {
    return summarise && n > 2 * kEdge + 1 && i >= kEdge && i < n - kEdge;
  }

  float element(int64_t off) const {
    float f;
    convert_elements(t.storage()->data() + off * static_cast<int64_t>(dtype_size(t.dtype())),
                     t.dtype(), &f, DType::kF32, 1);
    return f;
  }

  void collect(int64_t dim, int64_t off, std::vector<float>& out) const {
    if (dim == t.dim()) {
      out.push_back(element(off));
      return;
    }
    int64_t n = t.shape()[dim];
    for (int64_t i = 0; i < n; ++i) {
      if (!skipped(i, n)) collect(dim + 1, off + i * t.strides()[dim], out);
    }
  }

  void print(int64_t dim, int64_t off, int indent, std::string& out) const {
    if (dim == t.dim()) {
      std::string s = format_value(element(off), integer, scientific);
      pad(s);
      out += s;
      return;
    }
    out += "[";
    int64_t n = t.shape()[dim];
    bool first = true;
    for (int64_t i = 0; i < n; ++i) {
      if (skipped(i, n)) {
        if (i == kEdge) {
          out += dim + 1 == t.dim() ? ", ..." : ",\n" + std::string(indent + 1, ' ') + "...";
        }
        continue;
      }
      if (!first) {
        if (dim + 1 == t.dim()) {
          out += ", ";
        } else {
          out += "," + std::string(static_cast<size_t>(t.dim() - dim - 1), '\n');
          out += std::string(indent + 1, ' ');
        }
      }
      first = false;
      print(dim + 1, off + i * t.strides()[dim], indent + 1, out);
    }
    out += "]";
  }
};
}  // namespace

std::string Tensor::to_string() const {
  if (!defined()) return "tensor(undefined)";
  Printer p{*this, numel() > kSummariseAbove, dtype() == DType::kI32};
  std::vector<float> shown;
  p.collect(0, offset(), shown);
  float max_abs = 0.0f, min_abs = INFINITY;
  for (float v : shown) {
    if (!std::isfinite(v)) continue;
    max_abs = std::max(max_abs, std::fabs(v));
    if (v != 0.0f) min_abs = std::min(min_abs, std::fabs(v));
  }
  p.scientific = !p.integer && (max_abs >= 1e5f || (min_abs < 1e-4f && min_abs > 0.0f));
  for (float v : shown)
    p.width = std::max(p.width, format_value(v, p.integer, p.scientific).size());
  std::string body;
  p.print(0, offset(), 7, body);
  return str_cat("tensor(", body, ", shape=", shape_to_string(shape()),
                 ", dtype=", dtype_name(dtype()), ")");
}

}  // namespace llmkit
