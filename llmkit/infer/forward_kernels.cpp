#include "llmkit/infer/forward_kernels.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include "llmkit/base/context.h"
#include "llmkit/ops/elementwise_kernels.h"
#include "llmkit/ops/fused_simd.h"

namespace llmkit::infer {
namespace {

namespace fs = ops::fused_simd;

// A parallel_for chunk size giving each task at least ~kWork floats of work.
int64_t rows_per_task(int64_t work_per_row) {
  constexpr int64_t kWork = 1 << 14;
  return std::max<int64_t>(1, kWork / std::max<int64_t>(1, work_per_row));
}

// Key block of the online softmax (ops::attention's, so the two sum in the same order).
constexpr int64_t kBlock = 64;

void unary(ops::UnaryOp op, float* x, int64_t n) {
  if (ops::simd::has_unary(op)) {
    ops::simd::unary_f32(op, x, x, n);
  } else {
    ops::ref::unary_f32(op, x, x, n);
  }
}

}  // namespace

void rms_norm_rows(const float* x, float* y, int64_t n, int64_t d, const float* g, float eps) {
  parallel_for(
      n,
      [&](int64_t begin, int64_t end) {
        for (int64_t r = begin; r < end; ++r) {
          const float* xr = x + r * d;
          float* yr = y + r * d;
          const float ms = fs::dot(xr, xr, d) / static_cast<float>(d);
          const float rs = 1.0f / std::sqrt(ms + eps);
          for (int64_t j = 0; j < d; ++j) yr[j] = xr[j] * rs * g[j];
        }
      },
      rows_per_task(4 * d));
}

void gated_activation(float* gate, const float* up, int64_t n, bool gelu) {
  parallel_for(
      n,
      [&](int64_t begin, int64_t end) {
        unary(gelu ? ops::UnaryOp::kGeluTanh : ops::UnaryOp::kSilu, gate + begin, end - begin);
        for (int64_t i = begin; i < end; ++i) gate[i] *= up[i];
      },
      1 << 14);
}

void add_inplace(float* x, const float* y, int64_t n) {
  for (int64_t i = 0; i < n; ++i) x[i] += y[i];
}

void cached_attention(const KvCache& cache, int64_t layer, const AttentionShape& a, const float* q,
                      int64_t T, int64_t pos0, float* out) {
  const int64_t H = a.n_head, D = a.head_dim, group = a.n_head / a.n_head_kv;
  // Keys of a head's positions are D floats apart in the cache (kv_cache.h).
  const int64_t key_stride = D;
  parallel_for(
      T * H,
      [&](int64_t begin, int64_t end) {
        float logits[kBlock];
        // f32 copies of a block of K and V rows (used only by an f16 cache)
        std::vector<float> k_buffer, v_buffer;
        if (cache.type() != KvType::kF32) {
          k_buffer.resize(static_cast<size_t>(kBlock * D));
          v_buffer.resize(static_cast<size_t>(kBlock * D));
        }
        for (int64_t row = begin; row < end; ++row) {
          const int64_t t = row / H, h = row % H, g = h / group;
          const int64_t p = pos0 + t;
          const int64_t lo = a.window > 0 ? std::max<int64_t>(0, p - a.window + 1) : 0;
          const float* qt = q + row * D;
          float* acc = out + row * D;
          std::fill(acc, acc + D, 0.0f);
          float m = -std::numeric_limits<float>::infinity(), total = 0.0f;
          for (int64_t s0 = lo; s0 <= p; s0 += kBlock) {
            const int64_t n = std::min(kBlock, p - s0 + 1);
            fs::dot_rows(qt, cache.k_rows(layer, g, s0, n, k_buffer.data()), key_stride, n, D,
                         logits);
            fs::scale_softcap(logits, n, a.scale, a.softcap);
            const float m_new = std::max(m, fs::max(logits, n));
            if (m_new > m && total > 0.0f) {
              const float corr = std::exp(m - m_new);
              total *= corr;
              for (int64_t j = 0; j < D; ++j) acc[j] *= corr;
            }
            m = m_new;
            total += fs::exp_shift_sum(logits, n, m, logits);
            fs::accumulate_rows(logits, cache.v_rows(layer, g, s0, n, v_buffer.data()), key_stride,
                                n, D, acc);
          }
          const float inv = 1.0f / total;
          for (int64_t j = 0; j < D; ++j) acc[j] *= inv;
        }
      },
      rows_per_task((pos0 + T) * D));
}

}  // namespace llmkit::infer
