// RMSNorm over the last axis (declared in fused.h).
//
// Forward, per row x of C channels with gain g = (unit_offset ? 1 + w : w):
//   r = 1 / sqrt(mean(x^2) + eps),  y = x * r * g.
// Backward: with u = dy * g,
//   dr/dx_j = -r^3 * x_j / C, so dx = r * u - x * (r^3 / C) * sum(u * x),
//   dw = sum over rows of dy * x * r (the same for both gain forms, since d(1 + w)/dw = 1).
#include <cmath>
#include <vector>

#include "llmkit/base/context.h"
#include "llmkit/ops/fused.h"
#include "llmkit/ops/fused_simd.h"
#include "llmkit/ops/fused_util.h"

namespace llmkit::ops {
namespace {
using fused_detail::f32_contiguous;
using fused_detail::rows_per_task;

// Checks x [..., C] and w [C]; returns C.
int64_t check_rms_inputs(const Tensor& x, const Tensor& w, const char* what) {
  LLMKIT_CHECK(x.defined() && w.defined(), what, ": x and w must be defined tensors");
  LLMKIT_CHECK(is_floating(x.dtype()) && is_floating(w.dtype()), what,
               ": x and w must be floating point, got x ", describe(x), " and w ", describe(w));
  LLMKIT_CHECK(x.dim() >= 1 && x.size(-1) > 0, what, ": x ", describe(x),
               " needs a non-empty last (channel) axis");
  int64_t c = x.size(-1);
  LLMKIT_CHECK(w.dim() == 1 && w.size(0) == c, what, ": weight ", describe(w), " must be [", c,
               "] to match the last axis of x ", describe(x));
  return c;
}

Shape without_last_axis(const Shape& s) {
  return Shape(s.begin(), s.end() - 1);
}

std::vector<float> gain(const Tensor& w, bool unit_offset) {
  std::vector<float> g = w.to_vector();
  if (unit_offset) {
    for (float& v : g) v += 1.0f;
  }
  return g;
}
}  // namespace

RmsNormResult rms_norm(const Tensor& x, const Tensor& w, float eps, bool unit_offset) {
  const int64_t c = check_rms_inputs(x, w, "rms_norm");
  LLMKIT_CHECK(eps >= 0.0f && std::isfinite(eps), "rms_norm: eps must be finite and >= 0, got ",
               eps);
  Tensor xc = f32_contiguous(x);
  std::vector<float> g = gain(w, unit_offset);
  RmsNormResult res{Tensor::empty(x.shape()), Tensor::empty(without_last_axis(x.shape()))};
  const int64_t rows = x.numel() / c;
  const float* xp = xc.data<float>();
  float* yp = res.y.data<float>();
  float* rp = res.rstd.data<float>();
  parallel_for(
      rows,
      [&](int64_t begin, int64_t end) {
        for (int64_t row = begin; row < end; ++row) {
          const float* xr = xp + row * c;
          float* yr = yp + row * c;
          const float ms = fused_simd::dot(xr, xr, c) / static_cast<float>(c);
          const float r = 1.0f / std::sqrt(ms + eps);
          rp[row] = r;
          for (int64_t j = 0; j < c; ++j) yr[j] = xr[j] * r * g[j];
        }
      },
      rows_per_task(c));
  return res;
}

RmsNormGrads rms_norm_backward(const Tensor& x, const Tensor& w, const Tensor& rstd,
                               const Tensor& dy, bool unit_offset) {
  const int64_t c = check_rms_inputs(x, w, "rms_norm_backward");
  LLMKIT_CHECK(rstd.defined() && rstd.shape() == without_last_axis(x.shape()),
               "rms_norm_backward: rstd ", (rstd.defined() ? describe(rstd) : "undefined"),
               " must have x's shape without the last axis (x ", describe(x), ")");
  LLMKIT_CHECK(dy.defined() && dy.shape() == x.shape(), "rms_norm_backward: dy ",
               (dy.defined() ? describe(dy) : "undefined"), " must match x ", describe(x));
  Tensor xc = f32_contiguous(x), dyc = f32_contiguous(dy), rc = f32_contiguous(rstd);
  std::vector<float> g = gain(w, unit_offset);
  const int64_t rows = x.numel() / c;
  RmsNormGrads grads{Tensor::empty(x.shape()), Tensor::empty({c})};
  const float* xp = xc.data<float>();
  const float* dyp = dyc.data<float>();
  const float* rp = rc.data<float>();
  float* dxp = grads.dx.data<float>();

  // dw is a sum over all rows: each block of rows accumulates its own partial sum (in double),
  // then the partials are added in block order, so the result does not depend on timing.
  const int64_t n_blocks = std::max<int64_t>(
      1, std::min<int64_t>(current_context().n_threads(), rows / rows_per_task(c)));
  std::vector<double> partial(static_cast<size_t>(n_blocks * c), 0.0);
  parallel_for(n_blocks, [&](int64_t block_begin, int64_t block_end) {
    std::vector<float> u(static_cast<size_t>(c));
    for (int64_t block = block_begin; block < block_end; ++block) {
      double* pw = partial.data() + block * c;
      for (int64_t row = rows * block / n_blocks; row < rows * (block + 1) / n_blocks; ++row) {
        const float* xr = xp + row * c;
        const float* dyr = dyp + row * c;
        float* dxr = dxp + row * c;
        const float r = rp[row];
        for (int64_t j = 0; j < c; ++j) u[j] = dyr[j] * g[j];
        const float coef = r * r * r * fused_simd::dot(u.data(), xr, c) / static_cast<float>(c);
        for (int64_t j = 0; j < c; ++j) dxr[j] = r * u[j] - xr[j] * coef;
        for (int64_t j = 0; j < c; ++j) pw[j] += static_cast<double>(dyr[j] * xr[j] * r);
      }
    }
  });
  float* dwp = grads.dw.data<float>();
  for (int64_t j = 0; j < c; ++j) {
    double s = 0.0;
    for (int64_t block = 0; block < n_blocks; ++block) s += partial[block * c + j];
    dwp[j] = static_cast<float>(s);
  }
  return grads;
}

}  // namespace llmkit::ops
