#include "llmkit/tensor/view.h"

#include <algorithm>

namespace llmkit::ops {
namespace {
Shape infer_shape(const Tensor& x, Shape shape, const char* what) {
  int64_t known = 1, infer_at = -1;
  for (size_t i = 0; i < shape.size(); ++i) {
    if (shape[i] == -1) {
      LLMKIT_CHECK(infer_at < 0, what, ": only one dimension of ", shape_to_string(shape),
                   " may be -1");
      infer_at = static_cast<int64_t>(i);
    } else {
      LLMKIT_CHECK(shape[i] >= 0, what, ": invalid target shape ", shape_to_string(shape));
      known *= shape[i];
    }
  }
  if (infer_at >= 0) {
    LLMKIT_CHECK(known != 0 && x.numel() % known == 0, what, ": cannot reshape ", describe(x),
                 " into ", shape_to_string(shape));
    shape[infer_at] = x.numel() / known;
  }
  LLMKIT_CHECK(shape_numel(shape) == x.numel(), what, ": cannot reshape ", describe(x), " (",
               x.numel(), " elements) into ", shape_to_string(shape));
  return shape;
}
}  // namespace

Tensor view(const Tensor& x, Shape shape) {
  shape = infer_shape(x, std::move(shape), "view");
  LLMKIT_CHECK(x.is_contiguous(), "view: ", describe(x),
               " is not contiguous; call contiguous() or use reshape, which copies");
  return Tensor::from_storage(x.storage(), shape, contiguous_strides(shape), x.offset(), x.dtype());
}

Tensor reshape(const Tensor& x, Shape shape) {
  shape = infer_shape(x, std::move(shape), "reshape");
  Tensor c = contiguous(x);
  return Tensor::from_storage(c.storage(), shape, contiguous_strides(shape), c.offset(), c.dtype());
}

Tensor transpose(const Tensor& x, int64_t axis0, int64_t axis1) {
  int64_t a = normalize_axis(axis0, x.dim(), "transpose");
  int64_t b = normalize_axis(axis1, x.dim(), "transpose");
  Shape shape = x.shape();
  Strides strides = x.strides();
  std::swap(shape[a], shape[b]);
  std::swap(strides[a], strides[b]);
  return Tensor::from_storage(x.storage(), shape, strides, x.offset(), x.dtype());
}

Tensor permute(const Tensor& x, const std::vector<int64_t>& axes) {
  LLMKIT_CHECK(static_cast<int64_t>(axes.size()) == x.dim(), "permute: ", axes.size(),
               " axes given for ", describe(x));
  Shape shape(axes.size());
  Strides strides(axes.size());
  std::vector<bool> seen(axes.size(), false);
  for (size_t i = 0; i < axes.size(); ++i) {
    int64_t a = normalize_axis(axes[i], x.dim(), "permute");
    LLMKIT_CHECK(!seen[a], "permute: axis ", axes[i], " appears twice");
    seen[a] = true;
    shape[i] = x.shape()[a];
    strides[i] = x.strides()[a];
  }
  return Tensor::from_storage(x.storage(), shape, strides, x.offset(), x.dtype());
}

Tensor slice(const Tensor& x, int64_t axis, int64_t start, int64_t stop, int64_t step) {
  int64_t a = normalize_axis(axis, x.dim(), "slice");
  LLMKIT_CHECK(step >= 1, "slice: step must be >= 1, got ", step);
  int64_t n = x.shape()[a];
  auto clamp_index = [n](int64_t i) { return std::clamp(i < 0 ? i + n : i, int64_t{0}, n); };
  int64_t s = clamp_index(start), e = clamp_index(stop);
  int64_t len = e > s ? (e - s + step - 1) / step : 0;
  Shape shape = x.shape();
  Strides strides = x.strides();
  shape[a] = len;
  int64_t offset = x.offset() + (len > 0 ? s * strides[a] : 0);
  strides[a] *= step;
  return Tensor::from_storage(x.storage(), shape, strides, offset, x.dtype());
}

Tensor select(const Tensor& x, int64_t axis, int64_t index) {
  int64_t a = normalize_axis(axis, x.dim(), "select");
  int64_t n = x.shape()[a];
  int64_t i = index < 0 ? index + n : index;
  LLMKIT_CHECK_CODE(i >= 0 && i < n, ErrorCode::kOutOfRange, "select: index ", index,
                    " is out of range for axis ", axis, " of ", describe(x));
  Shape shape = x.shape();
  Strides strides = x.strides();
  int64_t offset = x.offset() + i * strides[a];
  shape.erase(shape.begin() + a);
  strides.erase(strides.begin() + a);
  return Tensor::from_storage(x.storage(), shape, strides, offset, x.dtype());
}

Tensor expand(const Tensor& x, const Shape& shape) {
  LLMKIT_CHECK(shape.size() >= x.shape().size(), "expand: cannot broadcast ", describe(x), " to ",
               shape_to_string(shape));
  size_t lead = shape.size() - x.shape().size();
  Strides strides(shape.size(), 0);
  for (size_t i = 0; i < x.shape().size(); ++i) {
    int64_t have = x.shape()[i], want = shape[lead + i];
    LLMKIT_CHECK(have == want || have == 1, "expand: cannot broadcast ", describe(x), " to ",
                 shape_to_string(shape));
    strides[lead + i] = have == want ? x.strides()[i] : 0;
  }
  return Tensor::from_storage(x.storage(), shape, strides, x.offset(), x.dtype());
}

Tensor squeeze(const Tensor& x, int64_t axis) {
  int64_t a = normalize_axis(axis, x.dim(), "squeeze");
  LLMKIT_CHECK(x.shape()[a] == 1, "squeeze: axis ", axis, " of ", describe(x), " has size ",
               x.shape()[a], ", not 1");
  Shape shape = x.shape();
  Strides strides = x.strides();
  shape.erase(shape.begin() + a);
  strides.erase(strides.begin() + a);
  return Tensor::from_storage(x.storage(), shape, strides, x.offset(), x.dtype());
}

Tensor unsqueeze(const Tensor& x, int64_t axis) {
  int64_t a = normalize_axis(axis, x.dim() + 1, "unsqueeze");
  Shape shape = x.shape();
  Strides strides = x.strides();
  int64_t st = a < x.dim() ? strides[a] * shape[a] : 1;
  shape.insert(shape.begin() + a, 1);
  strides.insert(strides.begin() + a, st);
  return Tensor::from_storage(x.storage(), shape, strides, x.offset(), x.dtype());
}

Tensor contiguous(const Tensor& x) {
  return x.is_contiguous() ? x : clone(x);
}

Tensor clone(const Tensor& x) {
  Tensor out = Tensor::empty(x.shape(), x.dtype());
  copy_into(out, x);
  return out;
}

Tensor to_dtype(const Tensor& x, DType dtype) {
  if (x.dtype() == dtype && x.is_contiguous()) return x;
  Tensor out = Tensor::empty(x.shape(), dtype);
  copy_into(out, x);
  return out;
}

void copy_into(const Tensor& dst, const Tensor& src) {
  Tensor s = src.shape() == dst.shape() ? src : expand(src, dst.shape());
  if (dst.is_contiguous() && s.is_contiguous()) {
    convert_elements(s.raw_data(), s.dtype(), dst.raw_data(), dst.dtype(), dst.numel());
    return;
  }
  const uint8_t* sbase = s.storage()->data();
  uint8_t* dbase = dst.storage()->data();
  auto ses = static_cast<int64_t>(dtype_size(s.dtype()));
  auto des = static_cast<int64_t>(dtype_size(dst.dtype()));
  bool same4 = s.dtype() == dst.dtype() && ses == 4;
  for_each_row2(dst.shape(), dst.strides(), dst.offset(), s.strides(), s.offset(),
                [&](int64_t od, int64_t os, int64_t n, int64_t sd, int64_t ss) {
                  if (same4) {
                    auto* d = reinterpret_cast<uint32_t*>(dbase) + od;
                    const auto* p = reinterpret_cast<const uint32_t*>(sbase) + os;
                    for (int64_t i = 0; i < n; ++i) d[i * sd] = p[i * ss];
                    return;
                  }
                  for (int64_t i = 0; i < n; ++i) {
                    convert_elements(sbase + (os + i * ss) * ses, s.dtype(),
                                     dbase + (od + i * sd) * des, dst.dtype(), 1);
                  }
                });
}

}  // namespace llmkit::ops
