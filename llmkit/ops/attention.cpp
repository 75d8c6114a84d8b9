// Causal grouped-query attention with an online softmax forward and a recomputing backward
// (declared in fused.h).
//
// Notation for one (batch b, query head h) pair, kv head g = h / (H / Hkv):
//   r_ts = scale * q_t . k_s                   raw logit
//   l_ts = c * tanh(r_ts / c)  (or r_ts)       capped logit, c = softcap
//   P_ts = exp(l_ts - lse_t)                   over the keys s visible from query t
//   out_t = sum_s P_ts v_s
// Visibility: query t has absolute position p = S - T + t; key s is visible when s <= p (causal)
// and p - s < window (window > 0), so the visible keys form one range [lo, hi] and each key is seen
// by one range of queries. Rows with no visible key give out = 0, lse = -inf and zero gradients.
//
// Forward: each row streams its keys in blocks of kBlock, keeping a running max m, a running sum
// and an unnormalised accumulator that is rescaled by exp(m_old - m_new) when the max grows
// (the flash-attention recurrence); no T x S matrix exists, scratch is O(kBlock + D) per task.
//
// Backward: with dP_ts = dout_t . v_s and delta_t = sum_s P_ts dP_ts = dout_t . out_t,
//   dl_ts = P_ts (dP_ts - delta_t)                           softmax backward
//   dr_ts = dl_ts * (1 - (l_ts / c)^2)  (or dl_ts)           d(c tanh(r/c))/dr = 1 - tanh^2
//   dq_t = scale * sum_s dr_ts k_s,  dk_s = scale * sum_t dr_ts q_t,  dv_s = sum_t P_ts dout_t,
// with dk, dv also summed over the query heads of the group. P is recomputed from q, k and lse.
// Two passes keep every write private to one task, so both parallelise over all rows without
// locks or per-thread copies of dk/dv: pass 1 walks query rows (writes dq), pass 2 walks key rows
// (writes dk, dv). The price is computing the logits and dP twice.
#include <algorithm>
#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "llmkit/base/context.h"
#include "llmkit/ops/fused.h"
#include "llmkit/ops/fused_simd.h"
#include "llmkit/ops/fused_util.h"

namespace llmkit::ops {
namespace {
using fused_detail::f32_rows;

constexpr int64_t kBlock = 64;

// Row access into a [B, heads, rows, D] f32 tensor whose last axis is contiguous.
struct Rows {
  const float* base;
  int64_t sb, sh, st;
  const float* row(int64_t b, int64_t h, int64_t t) const {
    return base + b * sb + h * sh + t * st;
  }
};
Rows rows_of(const Tensor& x) {
  return {x.data<float>(), x.stride(0), x.stride(1), x.stride(2)};
}

struct Dims {
  int64_t b, h, hkv, t, s, d, group;
};

std::string describe_or_undefined(const Tensor& t) {
  return t.defined() ? describe(t) : std::string("undefined");
}

Dims check_inputs(const Tensor& q, const Tensor& k, const Tensor& v,
                  const AttentionOptions& options, const char* what) {
  LLMKIT_CHECK(q.defined() && k.defined() && v.defined(), what,
               ": q, k and v must be defined tensors");
  LLMKIT_CHECK(is_floating(q.dtype()) && is_floating(k.dtype()) && is_floating(v.dtype()) &&
                   q.dim() == 4 && k.dim() == 4 && v.dim() == 4,
               what, ": q ", describe(q), ", k ", describe(k), " and v ", describe(v),
               " must be floating 4-D tensors: q [B, H, T, D], k and v [B, Hkv, S, D]");
  Dims d{q.size(0), q.size(1), k.size(1), q.size(2), k.size(2), q.size(3), 0};
  LLMKIT_CHECK(k.size(0) == d.b && k.size(3) == d.d && v.shape() == k.shape(), what, ": q ",
               describe(q), ", k ", describe(k), " and v ", describe(v),
               " disagree: k and v must both be [B, Hkv, S, D] with q's B and D");
  LLMKIT_CHECK(d.hkv > 0 && d.h % d.hkv == 0, what, ": the ", d.h, " query heads of q ",
               describe(q), " must be a multiple of the ", d.hkv, " kv heads of k ", describe(k));
  LLMKIT_CHECK(d.d > 0, what, ": head dim D of q ", describe(q), " must be positive");
  d.group = d.h / d.hkv;
  LLMKIT_CHECK(std::isfinite(options.scale), what, ": scale must be finite, got ", options.scale);
  LLMKIT_CHECK(options.softcap >= 0.0f && std::isfinite(options.softcap), what,
               ": softcap must be finite and >= 0 (0: none), got ", options.softcap);
  LLMKIT_CHECK(options.window >= 0, what, ": window must be >= 0 (0: unlimited), got ",
               options.window);
  return d;
}

// Visible keys [lo, hi] of query t (empty when lo > hi).
void key_range(const Dims& d, const AttentionOptions& o, int64_t t, int64_t* lo, int64_t* hi) {
  const int64_t p = d.s - d.t + t;
  *hi = o.causal ? std::min(p, d.s - 1) : d.s - 1;
  *lo = o.window > 0 ? std::max<int64_t>(0, p - o.window + 1) : 0;
}

// Queries [lo, hi] that see key s: the inverse of key_range.
void query_range(const Dims& d, const AttentionOptions& o, int64_t s, int64_t* lo, int64_t* hi) {
  const int64_t shift = d.s - d.t;  // p = t + shift
  *lo = o.causal ? std::max<int64_t>(0, s - shift) : 0;
  *hi = o.window > 0 ? std::min(d.t - 1, s + o.window - 1 - shift) : d.t - 1;
}

// Turns a block of softmax gradients dl (in place) into raw-logit gradients times scale.
void chain_softcap(float* ds, const float* l, int64_t n, const AttentionOptions& o) {
  if (o.softcap > 0.0f) {
    const float inv_c = 1.0f / o.softcap;
    for (int64_t i = 0; i < n; ++i) {
      const float th = l[i] * inv_c;
      ds[i] *= (1.0f - th * th) * o.scale;
    }
  } else {
    for (int64_t i = 0; i < n; ++i) ds[i] *= o.scale;
  }
}
}  // namespace

AttentionResult attention(const Tensor& q_in, const Tensor& k_in, const Tensor& v_in,
                          const AttentionOptions& options) {
  const Dims d = check_inputs(q_in, k_in, v_in, options, "attention");
  Tensor q = f32_rows(q_in), k = f32_rows(k_in), v = f32_rows(v_in);
  AttentionResult res{Tensor::empty({d.b, d.h, d.t, d.d}), Tensor::empty({d.b, d.h, d.t})};
  const Rows qr = rows_of(q), kr = rows_of(k), vr = rows_of(v);
  float* out = res.out.data<float>();
  float* lse = res.lse.data<float>();
  const int64_t n_rows = d.b * d.h * d.t;
  parallel_for(
      n_rows,
      [&](int64_t begin, int64_t end) {
        float logits[kBlock];
        for (int64_t row = begin; row < end; ++row) {
          const int64_t t = row % d.t, h = (row / d.t) % d.h, b = row / (d.t * d.h);
          const int64_t g = h / d.group;
          float* acc = out + row * d.d;  // accumulates in place (the output starts zeroed)
          int64_t lo, hi;
          key_range(d, options, t, &lo, &hi);
          if (lo > hi) {
            lse[row] = -std::numeric_limits<float>::infinity();
            continue;
          }
          const float* qt = qr.row(b, h, t);
          float m = -std::numeric_limits<float>::infinity(), total = 0.0f;
          for (int64_t s0 = lo; s0 <= hi; s0 += kBlock) {
            const int64_t n = std::min(kBlock, hi - s0 + 1);
            fused_simd::dot_rows(qt, kr.row(b, g, s0), kr.st, n, d.d, logits);
            fused_simd::scale_softcap(logits, n, options.scale, options.softcap);
            const float m_new = std::max(m, fused_simd::max(logits, n));
            if (m_new > m && total > 0.0f) {
              const float corr = std::exp(m - m_new);
              total *= corr;
              for (int64_t j = 0; j < d.d; ++j) acc[j] *= corr;
            }
            m = m_new;
            total += fused_simd::exp_shift_sum(logits, n, m, logits);
            fused_simd::accumulate_rows(logits, vr.row(b, g, s0), vr.st, n, d.d, acc);
          }
          const float inv = 1.0f / total;
          for (int64_t j = 0; j < d.d; ++j) acc[j] *= inv;
          lse[row] = m + std::log(total);
        }
      },
      fused_detail::rows_per_task(d.s * d.d));
  return res;
}

AttentionGrads attention_backward(const Tensor& q_in, const Tensor& k_in, const Tensor& v_in,
                                  const Tensor& out_in, const Tensor& lse_in, const Tensor& dout_in,
                                  const AttentionOptions& options) {
  const Dims d = check_inputs(q_in, k_in, v_in, options, "attention_backward");
  const Shape out_shape{d.b, d.h, d.t, d.d};
  LLMKIT_CHECK(out_in.defined() && dout_in.defined() && out_in.shape() == out_shape &&
                   dout_in.shape() == out_shape && is_floating(out_in.dtype()) &&
                   is_floating(dout_in.dtype()),
               "attention_backward: out ", describe_or_undefined(out_in), " and dout ",
               describe_or_undefined(dout_in), " must be floating ", shape_to_string(out_shape),
               " to match q ", describe(q_in));
  LLMKIT_CHECK(
      lse_in.defined() && lse_in.shape() == Shape({d.b, d.h, d.t}) && is_floating(lse_in.dtype()),
      "attention_backward: lse ", describe_or_undefined(lse_in), " must be floating [", d.b, ", ",
      d.h, ", ", d.t, "] (the lse returned by attention)");
  Tensor q = f32_rows(q_in), k = f32_rows(k_in), v = f32_rows(v_in);
  Tensor o = f32_rows(out_in), dout = f32_rows(dout_in);
  Tensor lse_t = fused_detail::f32_contiguous(lse_in);
  const Rows qr = rows_of(q), kr = rows_of(k), vr = rows_of(v), orows = rows_of(o),
             dor = rows_of(dout);
  const float* lse = lse_t.data<float>();
  AttentionGrads grads{Tensor::empty(q.shape()), Tensor::empty(k.shape()),
                       Tensor::empty(v.shape())};
  const int64_t n_rows = d.b * d.h * d.t;

  // delta_t = dout_t . out_t, one per query row ([B, H, T], the size of lse).
  std::vector<float> delta(static_cast<size_t>(n_rows));
  parallel_for(
      n_rows,
      [&](int64_t begin, int64_t end) {
        for (int64_t row = begin; row < end; ++row) {
          const int64_t t = row % d.t, h = (row / d.t) % d.h, b = row / (d.t * d.h);
          delta[row] = fused_simd::dot(dor.row(b, h, t), orows.row(b, h, t), d.d);
        }
      },
      fused_detail::rows_per_task(d.d));

  // Pass 1, per query row: dq_t = scale * sum_s dr_ts k_s.
  float* dq = grads.dq.data<float>();
  parallel_for(
      n_rows,
      [&](int64_t begin, int64_t end) {
        float l[kBlock], p[kBlock], ds[kBlock];
        for (int64_t row = begin; row < end; ++row) {
          const int64_t t = row % d.t, h = (row / d.t) % d.h, b = row / (d.t * d.h);
          const int64_t g = h / d.group;
          int64_t lo, hi;
          key_range(d, options, t, &lo, &hi);
          const float* qt = qr.row(b, h, t);
          const float* dot_t = dor.row(b, h, t);
          for (int64_t s0 = lo; s0 <= hi; s0 += kBlock) {
            const int64_t n = std::min(kBlock, hi - s0 + 1);
            fused_simd::dot_rows(qt, kr.row(b, g, s0), kr.st, n, d.d, l);
            fused_simd::scale_softcap(l, n, options.scale, options.softcap);
            fused_simd::exp_shift_sum(l, n, lse[row], p);
            fused_simd::dot_rows(dot_t, vr.row(b, g, s0), vr.st, n, d.d, ds);  // dP
            for (int64_t i = 0; i < n; ++i) ds[i] = p[i] * (ds[i] - delta[row]);
            chain_softcap(ds, l, n, options);
            fused_simd::accumulate_rows(ds, kr.row(b, g, s0), kr.st, n, d.d, dq + row * d.d);
          }
        }
      },
      fused_detail::rows_per_task(2 * d.s * d.d));

  // Pass 2, per key row of each kv head: dk_s and dv_s over the group's query heads.
  float* dk = grads.dk.data<float>();
  float* dv = grads.dv.data<float>();
  const int64_t n_keys = d.b * d.hkv * d.s;
  parallel_for(
      n_keys,
      [&](int64_t begin, int64_t end) {
        float l[kBlock], p[kBlock], ds[kBlock];
        for (int64_t key = begin; key < end; ++key) {
          const int64_t s = key % d.s, g = (key / d.s) % d.hkv, b = key / (d.s * d.hkv);
          int64_t lo, hi;
          query_range(d, options, s, &lo, &hi);
          const float* ks = kr.row(b, g, s);
          const float* vs = vr.row(b, g, s);
          float* dks = dk + key * d.d;
          float* dvs = dv + key * d.d;
          for (int64_t h = g * d.group; h < (g + 1) * d.group; ++h) {
            const int64_t row0 = (b * d.h + h) * d.t;  // flat index of query row 0 of (b, h)
            for (int64_t t0 = lo; t0 <= hi; t0 += kBlock) {
              const int64_t n = std::min(kBlock, hi - t0 + 1);
              fused_simd::dot_rows(ks, qr.row(b, h, t0), qr.st, n, d.d, l);
              fused_simd::scale_softcap(l, n, options.scale, options.softcap);
              for (int64_t i = 0; i < n; ++i) p[i] = l[i] - lse[row0 + t0 + i];
              fused_simd::exp_shift_sum(p, n, 0.0f, p);
              fused_simd::dot_rows(vs, dor.row(b, h, t0), dor.st, n, d.d, ds);  // dP
              for (int64_t i = 0; i < n; ++i) ds[i] = p[i] * (ds[i] - delta[row0 + t0 + i]);
              chain_softcap(ds, l, n, options);
              fused_simd::accumulate_rows(p, dor.row(b, h, t0), dor.st, n, d.d, dvs);
              fused_simd::accumulate_rows(ds, qr.row(b, h, t0), qr.st, n, d.d, dks);
            }
          }
        }
      },
      fused_detail::rows_per_task(2 * d.t * d.group * d.d));
  return grads;
}

}  // namespace llmkit::ops
