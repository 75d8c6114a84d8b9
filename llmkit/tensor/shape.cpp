#include "llmkit/tensor/shape.h"

#include <algorithm>

#include "llmkit/base/error.h"

namespace llmkit {

int64_t shape_numel(const Shape& shape) {
  int64_t n = 1;
  for (int64_t d : shape) n *= d;
  return n;
}

Strides contiguous_strides(const Shape& shape) {
  Strides strides(shape.size());
  int64_t s = 1;
  for (size_t i = shape.size(); i-- > 0;) {
    strides[i] = s;
    s *= std::max<int64_t>(shape[i], 1);
  }
  return strides;
}

std::string shape_to_string(const Shape& shape) {
  std::string s = "[";
  for (size_t i = 0; i < shape.size(); ++i) {
    if (i) s += ", ";
    s += std::to_string(shape[i]);
  }
  return s + "]";
}

Shape broadcast_shapes(const Shape& a, const Shape& b, const char* what) {
  size_t n = std::max(a.size(), b.size());
  Shape out(n);
  for (size_t i = 0; i < n; ++i) {
    int64_t da = i < n - a.size() ? 1 : a[i - (n - a.size())];
    int64_t db = i < n - b.size() ? 1 : b[i - (n - b.size())];
    LLMKIT_CHECK(da == db || da == 1 || db == 1, what, ": shapes ", shape_to_string(a), " and ",
                 shape_to_string(b), " cannot be broadcast together (dimension ", i, ": ", da,
                 " vs ", db, ")");
    out[i] = da == 1 ? db : da;
  }
  return out;
}

int64_t normalize_axis(int64_t axis, int64_t ndim, const char* what) {
  int64_t a = axis < 0 ? axis + ndim : axis;
  LLMKIT_CHECK_CODE(a >= 0 && a < ndim, ErrorCode::kOutOfRange, what, ": axis ", axis,
                    " is out of range for a tensor with ", ndim, " dimensions");
  return a;
}

}  // namespace llmkit
