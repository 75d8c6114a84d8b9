// Gather/scatter along one axis, joining, one-hot. Tensors are viewed as [outer, n, inner] around
// the axis (contiguous copies where needed), so a selected "row" is inner contiguous elements.
#include "llmkit/ops/index.h"

#include <cstring>

#include "llmkit/base/context.h"
#include "llmkit/tensor/view.h"

namespace llmkit::ops {
namespace {

// The index values, checked to be i32 and each in [0, n).
std::vector<int32_t> checked_indices(const Tensor& idx, int64_t n, const char* what,
                                     const std::string& target) {
  LLMKIT_CHECK(idx.defined() && idx.dtype() == DType::kI32, what, ": indices must be i32, got ",
               describe(idx));
  std::vector<int32_t> v = idx.to_int_vector();
  for (size_t i = 0; i < v.size(); ++i) {
    LLMKIT_CHECK_CODE(v[i] >= 0 && v[i] < n, ErrorCode::kOutOfRange, what, ": index ", v[i],
                      " (element ", i, " of the indices) is out of range [0, ", n, ") for ",
                      target);
  }
  return v;
}

int64_t prod(const Shape& s, size_t begin, size_t end) {
  int64_t p = 1;
  for (size_t i = begin; i < end; ++i) p *= s[i];
  return p;
}

// x.shape with dimension `axis` replaced by idx_shape.
Shape replace_axis(const Shape& shape, int64_t axis, const Shape& idx_shape) {
  Shape out(shape.begin(), shape.begin() + axis);
  out.insert(out.end(), idx_shape.begin(), idx_shape.end());
  out.insert(out.end(), shape.begin() + axis + 1, shape.end());
  return out;
}

}  // namespace

Tensor index_select(const Tensor& x_in, int64_t axis, const Tensor& idx) {
  LLMKIT_CHECK(x_in.defined() && x_in.dim() >= 1, "index_select: needs a tensor with at least ",
               "one dimension, got ", describe(x_in));
  int64_t a = normalize_axis(axis, x_in.dim(), "index_select");
  int64_t n = x_in.size(a);
  std::vector<int32_t> ids =
      checked_indices(idx, n, "index_select", str_cat("axis ", a, " of ", describe(x_in)));
  Tensor x = contiguous(x_in);
  const Shape& xs = x.shape();
  int64_t outer = prod(xs, 0, a), inner = prod(xs, a + 1, xs.size());
  auto nidx = static_cast<int64_t>(ids.size());
  Tensor out = Tensor::empty(replace_axis(xs, a, idx.shape()), x.dtype());
  if (out.numel() == 0) return out;
  size_t row_bytes = static_cast<size_t>(inner) * dtype_size(x.dtype());
  const uint8_t* src = static_cast<const uint8_t*>(x.raw_data());
  uint8_t* dst = static_cast<uint8_t*>(out.raw_data());
  parallel_for(
      outer * nidx,
      [&](int64_t t0, int64_t t1) {
        for (int64_t t = t0; t < t1; ++t) {
          int64_t o = t / nidx, k = t % nidx;
          std::memcpy(dst + t * row_bytes, src + (o * n + ids[k]) * row_bytes, row_bytes);
        }
      },
      std::max<int64_t>(1, 16384 / static_cast<int64_t>(row_bytes)));
  return out;
}

Tensor index_add(const Shape& shape, int64_t axis, const Tensor& idx, const Tensor& src_in) {
  for (int64_t d : shape) {
    LLMKIT_CHECK(d >= 0, "index_add: invalid output shape ", shape_to_string(shape));
  }
  int64_t a = normalize_axis(axis, static_cast<int64_t>(shape.size()), "index_add");
  int64_t n = shape[a];
  std::vector<int32_t> ids =
      checked_indices(idx, n, "index_add", str_cat("axis ", a, " of ", shape_to_string(shape)));
  LLMKIT_CHECK(src_in.defined() && is_floating(src_in.dtype()), "index_add: source must be a ",
               "floating tensor, got ", describe(src_in));
  Shape want = replace_axis(shape, a, idx.shape());
  LLMKIT_CHECK(src_in.shape() == want, "index_add: source ", describe(src_in), " must have shape ",
               shape_to_string(want), " (output ", shape_to_string(shape), " with axis ", a,
               " replaced by the indices' shape ", shape_to_string(idx.shape()), ")");
  Tensor src = contiguous(to_dtype(src_in, DType::kF32));
  Tensor out = Tensor::empty(shape, DType::kF32);  // zero-filled
  int64_t outer = prod(shape, 0, a), inner = prod(shape, a + 1, shape.size());
  auto nidx = static_cast<int64_t>(ids.size());
  if (src.numel() == 0 || out.numel() == 0) return out;
  const float* ps = src.data<float>();
  float* po = out.data<float>();
  // Tasks own disjoint column blocks of one outer slice, so repeated indices accumulate without
  // races, in index order (deterministic for any thread count).
  const int64_t block = 64;
  int64_t n_blocks = (inner + block - 1) / block;
  parallel_for(outer * n_blocks, [&](int64_t t0, int64_t t1) {
    for (int64_t t = t0; t < t1; ++t) {
      int64_t o = t / n_blocks, c0 = (t % n_blocks) * block;
      int64_t c1 = std::min(inner, c0 + block);
      for (int64_t k = 0; k < nidx; ++k) {
        const float* s = ps + (o * nidx + k) * inner;
        float* d = po + (o * n + ids[k]) * inner;
        for (int64_t c = c0; c < c1; ++c) d[c] += s[c];
      }
    }
  });
  return out;
}

Tensor concat(const std::vector<Tensor>& xs, int64_t axis) {
  LLMKIT_CHECK(!xs.empty(), "concat: needs at least one tensor");
  const Tensor& first = xs[0];
  LLMKIT_CHECK(first.defined() && first.dim() >= 1, "concat: tensors need at least one ",
               "dimension, got ", describe(first));
  int64_t a = normalize_axis(axis, first.dim(), "concat");
  Shape out_shape = first.shape();
  out_shape[a] = 0;
  for (size_t i = 0; i < xs.size(); ++i) {
    const Tensor& x = xs[i];
    LLMKIT_CHECK(x.defined() && x.dtype() == first.dtype(), "concat: tensor ", i, " is ",
                 describe(x), " but tensor 0 is ", describe(first), " (dtypes must match)");
    bool same = x.dim() == first.dim();
    for (int64_t d = 0; same && d < x.dim(); ++d) same = d == a || x.size(d) == first.size(d);
    LLMKIT_CHECK(same, "concat: tensor ", i, " ", describe(x), " does not match tensor 0 ",
                 describe(first), " outside axis ", a);
    out_shape[a] += x.size(a);
  }
  Tensor out = Tensor::empty(out_shape, first.dtype());
  if (out.numel() == 0) return out;
  auto es = static_cast<int64_t>(dtype_size(first.dtype()));
  int64_t outer = prod(out_shape, 0, a), inner = prod(out_shape, a + 1, out_shape.size());
  int64_t out_row = out_shape[a] * inner * es;  // bytes per outer slice of the output
  auto* dst = static_cast<uint8_t*>(out.raw_data());
  int64_t at = 0;  // byte position of the current input inside an output slice
  for (const Tensor& x_in : xs) {
    int64_t row = x_in.size(a) * inner * es;
    if (row > 0) {
      Tensor x = contiguous(x_in);
      const auto* src = static_cast<const uint8_t*>(x.raw_data());
      for (int64_t o = 0; o < outer; ++o) {
        std::memcpy(dst + o * out_row + at, src + o * row, static_cast<size_t>(row));
      }
    }
    at += row;
  }
  return out;
}

Tensor stack(const std::vector<Tensor>& xs, int64_t axis) {
  LLMKIT_CHECK(!xs.empty(), "stack: needs at least one tensor");
  LLMKIT_CHECK(xs[0].defined(), "stack: tensor 0 is undefined");
  int64_t a = normalize_axis(axis, xs[0].dim() + 1, "stack");
  std::vector<Tensor> parts;
  parts.reserve(xs.size());
  for (size_t i = 0; i < xs.size(); ++i) {
    LLMKIT_CHECK(
        xs[i].defined() && xs[i].shape() == xs[0].shape() && xs[i].dtype() == xs[0].dtype(),
        "stack: tensor ", i, " is ", describe(xs[i]), " but tensor 0 is ", describe(xs[0]),
        " (shapes and dtypes must match)");
    parts.push_back(unsqueeze(xs[i], a));
  }
  return concat(parts, a);
}

Tensor one_hot(const Tensor& idx, int64_t n_classes) {
  LLMKIT_CHECK(n_classes >= 1, "one_hot: n_classes must be >= 1, got ", n_classes);
  std::vector<int32_t> ids =
      checked_indices(idx, n_classes, "one_hot", str_cat(n_classes, " classes"));
  Shape shape = idx.shape();
  shape.push_back(n_classes);
  Tensor out = Tensor::empty(shape, DType::kF32);  // zero-filled
  float* p = out.data<float>();
  for (size_t i = 0; i < ids.size(); ++i) p[static_cast<int64_t>(i) * n_classes + ids[i]] = 1.0f;
  return out;
}

}  // namespace llmkit::ops
