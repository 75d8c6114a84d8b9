// BertEncoder::forward: the post-norm BERT encoder over packed sequences (see bert_encoder.h for
// the math). Matrix products run on all sequences' tokens at once ([N, C] with N the packed token
// count) through WeightMatrix::matmul; attention runs per (sequence, head) pair, each query over
// its own sequence's keys only. Loops are split over the current Context's threads.
#include <cmath>
#include <cstring>

#include "llmkit/base/context.h"
#include "llmkit/base/error.h"
#include "llmkit/infer/bert_encoder.h"
#include "llmkit/ops/elementwise_kernels.h"
#include "llmkit/ops/fused_simd.h"
#include "llmkit/ops/softmax_kernels.h"

namespace llmkit::infer {
namespace {

// y[r, :m] += bias for n rows with row stride ld; no-op for an empty bias.
void add_bias(float* y, int64_t n, int64_t ld, const std::vector<float>& bias) {
  if (bias.empty()) return;
  const auto m = static_cast<int64_t>(bias.size());
  parallel_for(
      n,
      [&](int64_t begin, int64_t end) {
        for (int64_t r = begin; r < end; ++r) {
          float* row = y + r * ld;
          for (int64_t j = 0; j < m; ++j) row[j] += bias[j];
        }
      },
      16);
}

// x[r, :] = LN(x[r, :] + add[r, :]) for n rows of d floats (add may be null).
void residual_layer_norm(float* x, const float* add, int64_t n, int64_t d,
                         const std::vector<float>& w, const std::vector<float>& b, float eps) {
  parallel_for(
      n,
      [&](int64_t begin, int64_t end) {
        for (int64_t r = begin; r < end; ++r) {
          float* row = x + r * d;
          if (add != nullptr) {
            const float* a = add + r * d;
            for (int64_t j = 0; j < d; ++j) row[j] += a[j];
          }
          double mean = 0.0;
          for (int64_t j = 0; j < d; ++j) mean += row[j];
          mean /= static_cast<double>(d);
          double var = 0.0;
          for (int64_t j = 0; j < d; ++j) {
            const double c = row[j] - mean;
            var += c * c;
          }
          var /= static_cast<double>(d);
          const double inv = 1.0 / std::sqrt(var + static_cast<double>(eps));
          for (int64_t j = 0; j < d; ++j) {
            row[j] = static_cast<float>((row[j] - mean) * inv) * w[j] + b[j];
          }
        }
      },
      8);
}

void gelu_inplace(float* x, int64_t n, bool tanh_form) {
  const ops::UnaryOp op = tanh_form ? ops::UnaryOp::kGeluTanh : ops::UnaryOp::kGeluExact;
  parallel_for(
      n,
      [&](int64_t begin, int64_t end) {
        if (ops::simd::has_unary(op)) {
          ops::simd::unary_f32(op, x + begin, x + begin, end - begin);
        } else {
          ops::ref::unary_f32(op, x + begin, x + begin, end - begin);
        }
      },
      4096);
}

struct Packed {
  std::vector<int64_t> start, len;  // per sequence: first packed row, token count
  int64_t n = 0;                    // packed rows
};

// out[row, h*D .. h*D + D) = softmax(q_i . k_j * scale over the sequence's j) v: bidirectional
// attention of every sequence. q, k, v rows have strides ldq, ldk, ldv; out has stride C.
void attention(const Packed& p, const float* q, int64_t ldq, const float* k, int64_t ldk,
               const float* v, int64_t ldv, int64_t H, int64_t D, float* out, int64_t C) {
  const auto S = static_cast<int64_t>(p.start.size());
  const float scale = 1.0f / std::sqrt(static_cast<float>(D));
  parallel_for(S * H, [&](int64_t begin, int64_t end) {
    std::vector<float> scores, probs;
    for (int64_t pair = begin; pair < end; ++pair) {
      const int64_t s = pair / H, h = pair % H;
      const int64_t r0 = p.start[s], T = p.len[s];
      scores.resize(T);
      probs.resize(T);
      const float* kb = k + r0 * ldk + h * D;
      const float* vb = v + r0 * ldv + h * D;
      for (int64_t i = 0; i < T; ++i) {
        ops::fused_simd::dot_rows(q + (r0 + i) * ldq + h * D, kb, ldk, T, D, scores.data());
        for (float& x : scores) x *= scale;
        ops::softmax_row(scores.data(), probs.data(), T);
        float* o = out + (r0 + i) * C + h * D;
        std::memset(o, 0, sizeof(float) * D);
        ops::fused_simd::accumulate_rows(probs.data(), vb, ldv, T, D, o);
      }
    }
  });
}

}  // namespace

std::vector<float> BertEncoder::forward(
    const std::vector<const std::vector<int32_t>*>& seqs) const {
  const int64_t C = config_.n_embd, F = config_.n_ff, H = config_.n_head, D = C / H;
  Packed p;
  for (const std::vector<int32_t>* s : seqs) {
    p.start.push_back(p.n);
    p.len.push_back(static_cast<int64_t>(s->size()));
    p.n += static_cast<int64_t>(s->size());
  }
  const int64_t N = p.n;
  std::vector<int64_t> seq_of(N), pos_of(N);
  for (size_t s = 0; s < seqs.size(); ++s) {
    for (int64_t t = 0; t < p.len[s]; ++t) {
      seq_of[p.start[s] + t] = static_cast<int64_t>(s);
      pos_of[p.start[s] + t] = t;
    }
  }

  // Embeddings: token + position + token type 0, then LayerNorm.
  std::vector<float> x(N * C), tmp(N * C), ctx(N * C), ff(N * F);
  parallel_for(
      N,
      [&](int64_t begin, int64_t end) {
        std::vector<float> pos(C);
        for (int64_t r = begin; r < end; ++r) {
          float* row = x.data() + r * C;
          token_embd_.row((*seqs[seq_of[r]])[pos_of[r]], row);
          position_embd_.row(pos_of[r], pos.data());
          for (int64_t j = 0; j < C; ++j) row[j] += pos[j];
          if (!token_type0_.empty()) {
            for (int64_t j = 0; j < C; ++j) row[j] += token_type0_[j];
          }
        }
      },
      8);
  residual_layer_norm(x.data(), nullptr, N, C, embd_norm_w_, embd_norm_b_, config_.eps);

  MatmulScratch scratch;
  std::vector<float> qkv;
  for (const BertLayerWeights& w : layers_) {
    const float *q, *k, *v;
    int64_t ld;
    if (w.qkv.defined()) {
      qkv.resize(N * 3 * C);
      w.qkv.matmul(x.data(), N, C, qkv.data(), 3 * C, scratch);
      add_bias(qkv.data(), N, 3 * C, w.qkv_b);
      q = qkv.data();
      k = q + C;
      v = q + 2 * C;
      ld = 3 * C;
    } else {
      qkv.resize(N * 3 * C);
      float* qp = qkv.data();
      float* kp = qp + N * C;
      float* vp = kp + N * C;
      w.q.matmul(x.data(), N, C, qp, C, scratch);
      w.k.matmul(x.data(), N, C, kp, C, scratch);
      w.v.matmul(x.data(), N, C, vp, C, scratch);
      add_bias(qp, N, C, w.q_b);
      add_bias(kp, N, C, w.k_b);
      add_bias(vp, N, C, w.v_b);
      q = qp;
      k = kp;
      v = vp;
      ld = C;
    }
    attention(p, q, ld, k, ld, v, ld, H, D, ctx.data(), C);
    w.out.matmul(ctx.data(), N, C, tmp.data(), C, scratch);
    add_bias(tmp.data(), N, C, w.out_b);
    residual_layer_norm(x.data(), tmp.data(), N, C, w.attn_norm_w, w.attn_norm_b, config_.eps);

    w.up.matmul(x.data(), N, C, ff.data(), F, scratch);
    add_bias(ff.data(), N, F, w.up_b);
    gelu_inplace(ff.data(), N * F, options_.gelu_tanh);
    w.down.matmul(ff.data(), N, F, tmp.data(), C, scratch);
    add_bias(tmp.data(), N, C, w.down_b);
    residual_layer_norm(x.data(), tmp.data(), N, C, w.out_norm_w, w.out_norm_b, config_.eps);
  }
  return x;
}

}  // namespace llmkit::infer
