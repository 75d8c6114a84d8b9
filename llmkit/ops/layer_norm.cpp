// LayerNorm over the last axis (declared in fused.h).
//
// Forward, per row x of C channels: mu = mean(x), r = 1 / sqrt(mean((x - mu)^2) + eps),
//   xhat = (x - mu) * r,  y = xhat * w + b.
// Backward: with u = dy * w, the standard result of differentiating through mu and r is
//   dx = r * (u - mean(u) - xhat * mean(u * xhat)),
//   dw = sum over rows of dy * xhat,  db = sum over rows of dy.
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

// Checks x [..., C], w [C] and (when defined) b [C]; returns C.
int64_t check_ln_inputs(const Tensor& x, const Tensor& w, const Tensor& b, const char* what) {
  LLMKIT_CHECK(x.defined() && w.defined(), what, ": x and w must be defined tensors");
  LLMKIT_CHECK(is_floating(x.dtype()) && is_floating(w.dtype()), what,
               ": x and w must be floating point, got x ", describe(x), " and w ", describe(w));
  LLMKIT_CHECK(x.dim() >= 1 && x.size(-1) > 0, what, ": x ", describe(x),
               " needs a non-empty last (channel) axis");
  int64_t c = x.size(-1);
  LLMKIT_CHECK(w.dim() == 1 && w.size(0) == c, what, ": weight ", describe(w), " must be [", c,
               "] to match the last axis of x ", describe(x));
  if (b.defined()) {
    LLMKIT_CHECK(is_floating(b.dtype()) && b.dim() == 1 && b.size(0) == c, what, ": bias ",
                 describe(b), " must be a floating [", c, "] to match x ", describe(x));
  }
  return c;
}

Shape without_last_axis(const Shape& s) {
  return Shape(s.begin(), s.end() - 1);
}
}  // namespace

LayerNormResult layer_norm(const Tensor& x, const Tensor& w, const Tensor& b, float eps) {
  const int64_t c = check_ln_inputs(x, w, b, "layer_norm");
  LLMKIT_CHECK(eps >= 0.0f && std::isfinite(eps), "layer_norm: eps must be finite and >= 0, got ",
               eps);
  Tensor xc = f32_contiguous(x);
  std::vector<float> wv = w.to_vector();
  std::vector<float> bv = b.defined() ? b.to_vector() : std::vector<float>(c, 0.0f);
  Shape stat_shape = without_last_axis(x.shape());
  LayerNormResult res{Tensor::empty(x.shape()), Tensor::empty(stat_shape),
                      Tensor::empty(stat_shape)};
  const int64_t rows = x.numel() / c;
  const float* xp = xc.data<float>();
  float* yp = res.y.data<float>();
  float* mp = res.mean.data<float>();
  float* rp = res.rstd.data<float>();
  const float inv_c = 1.0f / static_cast<float>(c);
  parallel_for(
      rows,
      [&](int64_t begin, int64_t end) {
        for (int64_t row = begin; row < end; ++row) {
          const float* xr = xp + row * c;
          float* yr = yp + row * c;
          // Two passes (centre, then square) keep the variance accurate for large means; the
          // centred row is staged in y.
          const float mu = fused_simd::sum(xr, c) * inv_c;
          for (int64_t j = 0; j < c; ++j) yr[j] = xr[j] - mu;
          const float r = 1.0f / std::sqrt(fused_simd::dot(yr, yr, c) * inv_c + eps);
          for (int64_t j = 0; j < c; ++j) yr[j] = yr[j] * r * wv[j] + bv[j];
          mp[row] = mu;
          rp[row] = r;
        }
      },
      rows_per_task(c));
  return res;
}

LayerNormGrads layer_norm_backward(const Tensor& x, const Tensor& w, const Tensor& mean,
                                   const Tensor& rstd, const Tensor& dy, bool has_bias) {
  const int64_t c = check_ln_inputs(x, w, Tensor(), "layer_norm_backward");
  const Shape stat_shape = without_last_axis(x.shape());
  LLMKIT_CHECK(
      mean.defined() && rstd.defined() && mean.shape() == stat_shape && rstd.shape() == stat_shape,
      "layer_norm_backward: mean ", (mean.defined() ? describe(mean) : "undefined"), " and rstd ",
      (rstd.defined() ? describe(rstd) : "undefined"),
      " must have x's shape without the last axis (x ", describe(x), ")");
  LLMKIT_CHECK(dy.defined() && dy.shape() == x.shape(), "layer_norm_backward: dy ",
               (dy.defined() ? describe(dy) : "undefined"), " must match x ", describe(x));
  Tensor xc = f32_contiguous(x), dyc = f32_contiguous(dy);
  Tensor mc = f32_contiguous(mean), rc = f32_contiguous(rstd);
  std::vector<float> wv = w.to_vector();
  const int64_t rows = x.numel() / c;
  LayerNormGrads grads{Tensor::empty(x.shape()), Tensor::empty({c}),
                       has_bias ? Tensor::empty({c}) : Tensor()};
  const float* xp = xc.data<float>();
  const float* dyp = dyc.data<float>();
  const float* mp = mc.data<float>();
  const float* rp = rc.data<float>();
  float* dxp = grads.dx.data<float>();
  const float inv_c = 1.0f / static_cast<float>(c);

  // dw and db sum over all rows: per-block partials (double), added in block order afterwards.
  const int64_t n_blocks = std::max<int64_t>(
      1, std::min<int64_t>(current_context().n_threads(), rows / rows_per_task(c)));
  std::vector<double> partial_w(static_cast<size_t>(n_blocks * c), 0.0);
  std::vector<double> partial_b(static_cast<size_t>(n_blocks * c), 0.0);
  parallel_for(n_blocks, [&](int64_t block_begin, int64_t block_end) {
    std::vector<float> xhat(static_cast<size_t>(c)), u(static_cast<size_t>(c));
    for (int64_t block = block_begin; block < block_end; ++block) {
      double* pw = partial_w.data() + block * c;
      double* pb = partial_b.data() + block * c;
      for (int64_t row = rows * block / n_blocks; row < rows * (block + 1) / n_blocks; ++row) {
        const float* xr = xp + row * c;
        const float* dyr = dyp + row * c;
        float* dxr = dxp + row * c;
        const float mu = mp[row], r = rp[row];
        for (int64_t j = 0; j < c; ++j) {
          xhat[j] = (xr[j] - mu) * r;
          u[j] = dyr[j] * wv[j];
        }
        const float mean_u = fused_simd::sum(u.data(), c) * inv_c;
        const float mean_ux = fused_simd::dot(u.data(), xhat.data(), c) * inv_c;
        for (int64_t j = 0; j < c; ++j) dxr[j] = r * (u[j] - mean_u - xhat[j] * mean_ux);
        for (int64_t j = 0; j < c; ++j) {
          pw[j] += static_cast<double>(dyr[j] * xhat[j]);
          pb[j] += static_cast<double>(dyr[j]);
        }
      }
    }
  });
  float* dwp = grads.dw.data<float>();
  float* dbp = has_bias ? grads.db.data<float>() : nullptr;
  for (int64_t j = 0; j < c; ++j) {
    double sw = 0.0, sb = 0.0;
    for (int64_t block = 0; block < n_blocks; ++block) {
      sw += partial_w[block * c + j];
      sb += partial_b[block * c + j];
    }
    dwp[j] = static_cast<float>(sw);
    if (dbp != nullptr) dbp[j] = static_cast<float>(sb);
  }
  return grads;
}

}  // namespace llmkit::ops
