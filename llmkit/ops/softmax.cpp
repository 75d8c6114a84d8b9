// Softmax family over any axis. The tensor is viewed as [outer, n, inner] around the axis; each of
// the outer * inner rows of n elements is handled by a row kernel. When the axis is last (inner ==
// 1) rows are contiguous and the kernels read the tensor in place; otherwise each row is gathered
// into a scratch buffer (stride inner), processed, and scattered back. Rows run in parallel.
#include "llmkit/ops/softmax.h"

#include <cmath>
#include <vector>

#include "llmkit/base/context.h"
#include "llmkit/ops/softmax_kernels.h"
#include "llmkit/tensor/view.h"

namespace llmkit::ops {
namespace {

// out_row = f(in rows...), all rows of length n.
using Row1 = void (*)(const float* x, float* y, int64_t n);
using Row2 = void (*)(const float* y, const float* g, float* dx, int64_t n);

// dL/dx = y * (g - sum(g * y)) for y = softmax(x).
void softmax_backward_row(const float* y, const float* g, float* dx, int64_t n) {
  float s = 0.0f;
  for (int64_t i = 0; i < n; ++i) s += g[i] * y[i];
  for (int64_t i = 0; i < n; ++i) dx[i] = y[i] * (g[i] - s);
}

// dL/dx = g - exp(y) * sum(g) for y = log_softmax(x).
void log_softmax_backward_row(const float* y, const float* g, float* dx, int64_t n) {
  float s = 0.0f;
  for (int64_t i = 0; i < n; ++i) s += g[i];
  for (int64_t i = 0; i < n; ++i) dx[i] = g[i] - std::exp(y[i]) * s;
}

Tensor f32_contiguous(const Tensor& t, const char* what) {
  LLMKIT_CHECK(t.defined() && is_floating(t.dtype()), what, ": needs a floating tensor, got ",
               describe(t));
  return contiguous(to_dtype(t, DType::kF32));
}

// Runs a row kernel over every row along `axis` of the inputs (one or two tensors of one shape).
// kernel(in_rows, out_row, n) gets pointers to contiguous rows. Returns the f32 output.
template <typename Kernel>
Tensor map_rows(const char* what, const std::vector<Tensor>& inputs_in, int64_t axis,
                Kernel kernel) {
  std::vector<Tensor> inputs;
  for (const Tensor& t : inputs_in) inputs.push_back(f32_contiguous(t, what));
  const Shape& shape = inputs[0].shape();
  for (const Tensor& t : inputs) {
    LLMKIT_CHECK(t.shape() == shape, what, ": shapes differ: ", describe(inputs_in[0]), " vs ",
                 describe(t));
  }
  int64_t a = normalize_axis(axis, static_cast<int64_t>(shape.size()), what);
  int64_t n = shape[a];
  int64_t inner = shape_numel(Shape(shape.begin() + a + 1, shape.end()));
  int64_t outer = shape_numel(Shape(shape.begin(), shape.begin() + a));
  Tensor out = Tensor::uninitialized(shape, DType::kF32);
  if (out.numel() == 0) return out;
  std::vector<const float*> in_ptrs;
  for (const Tensor& t : inputs) in_ptrs.push_back(t.data<float>());
  float* out_ptr = out.data<float>();
  const size_t n_in = inputs.size();
  // Enough rows per task to amortise scheduling (~16k elements).
  int64_t min_rows = std::max<int64_t>(1, 16384 / std::max<int64_t>(n, 1));

  if (inner == 1) {
    parallel_for(
        outer,
        [&](int64_t r0, int64_t r1) {
          const float* rows[2] = {nullptr, nullptr};
          for (int64_t r = r0; r < r1; ++r) {
            for (size_t j = 0; j < n_in; ++j) rows[j] = in_ptrs[j] + r * n;
            kernel(rows, out_ptr + r * n, n);
          }
        },
        min_rows);
    return out;
  }
  parallel_for(
      outer * inner,
      [&](int64_t r0, int64_t r1) {
        std::vector<float> scratch(static_cast<size_t>(n) * (n_in + 1));
        const float* rows[2] = {nullptr, nullptr};
        for (size_t j = 0; j < n_in; ++j) rows[j] = scratch.data() + j * n;
        float* y = scratch.data() + n_in * n;
        for (int64_t r = r0; r < r1; ++r) {
          int64_t base = (r / inner) * n * inner + r % inner;
          for (size_t j = 0; j < n_in; ++j) {
            float* dst = scratch.data() + j * n;
            for (int64_t i = 0; i < n; ++i) dst[i] = in_ptrs[j][base + i * inner];
          }
          kernel(rows, y, n);
          for (int64_t i = 0; i < n; ++i) out_ptr[base + i * inner] = y[i];
        }
      },
      min_rows);
  return out;
}

Tensor forward(const char* what, const Tensor& x, int64_t axis, Row1 row) {
  return map_rows(what, {x}, axis,
                  [row](const float* const* in, float* y, int64_t n) { row(in[0], y, n); });
}

Tensor backward(const char* what, const Tensor& y, const Tensor& g, int64_t axis, Row2 row) {
  return map_rows(what, {y, g}, axis, [row](const float* const* in, float* dx, int64_t n) {
    row(in[0], in[1], dx, n);
  });
}

}  // namespace

Tensor softmax(const Tensor& x, int64_t axis) {
  return forward("softmax", x, axis, &softmax_row);
}

Tensor log_softmax(const Tensor& x, int64_t axis) {
  return forward("log_softmax", x, axis, &log_softmax_row);
}

Tensor softmax_backward(const Tensor& y, const Tensor& grad, int64_t axis) {
  return backward("softmax_backward", y, grad, axis, &softmax_backward_row);
}

Tensor log_softmax_backward(const Tensor& y, const Tensor& grad, int64_t axis) {
  return backward("log_softmax_backward", y, grad, axis, &log_softmax_backward_row);
}

}  // namespace llmkit::ops
