// Rotary position embedding, half-split layout (declared in fused.h).
//
// For a head vector x of size D and half = D / 2, pair i < half is (x_i, x_{i+half}) and rotates by
// a_i = pos * theta^(-2i/D):
//   y_i        = x_i * cos(a_i) - x_{i+half} * sin(a_i)
//   y_{i+half} = x_{i+half} * cos(a_i) + x_i * sin(a_i)
// A rotation's inverse is its transpose (the same formula with -a), which is also its backward.
// Angles are computed in double: pos * inv_freq reaches thousands of radians, where f32 would
// lose about 1e-3 rad.
#include <cmath>
#include <vector>

#include "llmkit/base/context.h"
#include "llmkit/ops/fused.h"
#include "llmkit/ops/fused_util.h"

namespace llmkit::ops {

Tensor rope(const Tensor& x, const Tensor& positions, float theta, bool inverse) {
  LLMKIT_CHECK(x.defined() && positions.defined(), "rope: x and positions must be defined");
  LLMKIT_CHECK(is_floating(x.dtype()) && x.dim() == 4, "rope: x ", describe(x),
               " must be a floating [B, T, H, D] tensor");
  const int64_t b_n = x.size(0), t_n = x.size(1), h_n = x.size(2), d_n = x.size(3);
  LLMKIT_CHECK(d_n % 2 == 0, "rope: head dim D = ", d_n, " of x ", describe(x),
               " must be even (half-split rotation pairs i and i + D/2)");
  LLMKIT_CHECK(positions.dtype() == DType::kI32 && positions.dim() == 1 && positions.size(0) == t_n,
               "rope: positions ", describe(positions), " must be i32 [T] = [", t_n, "] for x ",
               describe(x));
  LLMKIT_CHECK(theta > 0.0f && std::isfinite(theta), "rope: theta must be finite and > 0, got ",
               theta);
  const int64_t half = d_n / 2;
  std::vector<int32_t> pos = positions.to_int_vector();

  // cos/sin table [T, half].
  std::vector<double> inv_freq(static_cast<size_t>(half));
  for (int64_t i = 0; i < half; ++i) {
    inv_freq[i] = std::pow(static_cast<double>(theta), -2.0 * static_cast<double>(i) / d_n);
  }
  std::vector<float> cos_t(static_cast<size_t>(t_n * half)), sin_t(cos_t.size());
  const double sign = inverse ? -1.0 : 1.0;
  parallel_for(
      t_n,
      [&](int64_t begin, int64_t end) {
        for (int64_t t = begin; t < end; ++t) {
          for (int64_t i = 0; i < half; ++i) {
            const double a = static_cast<double>(pos[t]) * inv_freq[i];
            cos_t[t * half + i] = static_cast<float>(std::cos(a));
            sin_t[t * half + i] = static_cast<float>(sign * std::sin(a));
          }
        }
      },
      fused_detail::rows_per_task(8 * half));

  Tensor xf = x.dtype() == DType::kF32 ? x : to_dtype(x, DType::kF32);  // any strides
  Tensor y = Tensor::empty(x.shape());
  const float* xbase = xf.data<float>();
  const int64_t sb = xf.stride(0), st = xf.stride(1), sh = xf.stride(2), sd = xf.stride(3);
  float* yp = y.data<float>();
  const int64_t rows = b_n * t_n * h_n;
  parallel_for(
      rows,
      [&](int64_t begin, int64_t end) {
        for (int64_t row = begin; row < end; ++row) {
          const int64_t h = row % h_n, t = (row / h_n) % t_n, b = row / (h_n * t_n);
          const float* xr = xbase + b * sb + t * st + h * sh;
          const float* c = cos_t.data() + t * half;
          const float* s = sin_t.data() + t * half;
          float* yr = yp + row * d_n;
          if (sd == 1) {  // the common, vectorisable layout
            for (int64_t i = 0; i < half; ++i) {
              yr[i] = xr[i] * c[i] - xr[i + half] * s[i];
              yr[i + half] = xr[i + half] * c[i] + xr[i] * s[i];
            }
          } else {
            for (int64_t i = 0; i < half; ++i) {
              const float x0 = xr[i * sd], x1 = xr[(i + half) * sd];
              yr[i] = x0 * c[i] - x1 * s[i];
              yr[i + half] = x1 * c[i] + x0 * s[i];
            }
          }
        }
      },
      fused_detail::rows_per_task(d_n));
  return y;
}

}  // namespace llmkit::ops
