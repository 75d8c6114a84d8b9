// forward_rows: the fused forward of ARCHITECTURE.md's inference path, per step of T rows:
//   x = token_embd[ids] * embedding_scale                                 [T, C]
//   per layer:
//     xn = rms_norm(x) ; q, k, v = xn Wq^T, xn Wk^T, xn Wv^T              [T, H*D], [T, Hkv*D]
//     QK-norm (gemma3) per head ; RoPE at each row's absolute position
//     cache_s[pos] = k[row], v[row] ; att = attention(q, cache_s)         [T, H*D]
//     a = att Wo^T ; post_attention_norm(a) (gemma2/3) ; x += a
//     xn = rms_norm(x) ; h = act(xn Wgate^T) * (xn Wup^T)                  [T, F]
//     m = h Wdown^T ; post_ffw_norm(m) (gemma2/3) ; x += m
//   logits = rms_norm(x[rows]) Wout^T, soft-capped                        [rows, V]
// Products go through WeightMatrix: matvec when T == 1, matvec_rows up to matvec_rows_max
// rows, matmul otherwise (one pass over each
// weight matrix for all rows, whichever segment they belong to).
#include "llmkit/infer/forward_pass.h"

#include <algorithm>
#include <utility>

#include "llmkit/base/error.h"
#include "llmkit/infer/forward_kernels.h"
#include "llmkit/infer/rope.h"
#include "llmkit/ops/fused_simd.h"

namespace llmkit::infer {
namespace {

// The distinct (RoPE base, scaled) pairs of the model's layers; table_of[layer] indexes them.
std::vector<std::pair<float, bool>> rope_tables_of(const Model& model, std::vector<int>* table_of) {
  std::vector<std::pair<float, bool>> tables;
  for (const LayerSpec& s : model.layer_specs()) {
    const std::pair<float, bool> key{s.rope_theta, s.rope_scaled};
    auto it = std::find(tables.begin(), tables.end(), key);
    if (it == tables.end()) it = tables.insert(tables.end(), key);
    if (table_of != nullptr) table_of->push_back(static_cast<int>(it - tables.begin()));
  }
  return tables;
}

// Every matrix a forward step multiplies with.
std::vector<const WeightMatrix*> matrices_of(const Model& model) {
  std::vector<const WeightMatrix*> all{&model.output()};
  for (const LayerWeights& w : model.layers()) {
    for (const WeightMatrix* m :
         {&w.attn_q, &w.attn_k, &w.attn_v, &w.attn_output, &w.ffn_gate, &w.ffn_up, &w.ffn_down}) {
      all.push_back(m);
    }
  }
  return all;
}

}  // namespace

ForwardBuffers::ForwardBuffers(const Model& model, int64_t max_rows, int n_threads)
    : max_rows_(max_rows) {
  LLMKIT_CHECK(max_rows >= 1, "ForwardBuffers: max_rows must be >= 1, got ", max_rows);
  const models::ModelConfig& c = model.config();
  for (std::vector<float>* buf : {&x, &xn, &proj}) buf->resize(max_rows * c.n_embd);
  for (std::vector<float>* buf : {&q, &att}) buf->resize(max_rows * c.n_head * c.head_dim);
  for (std::vector<float>* buf : {&k, &v}) buf->resize(max_rows * c.n_head_kv * c.head_dim);
  for (std::vector<float>* buf : {&gate, &up}) buf->resize(max_rows * c.n_ff);
  for (const auto& [theta, scaled] : rope_tables_of(model, &table_of_layer)) {
    inv_freq.push_back(rope_inv_freq(theta, c.head_dim, c, scaled));
  }
  const int64_t table = max_rows * (c.head_dim / 2);
  rope_cos.resize(inv_freq.size() * table);
  rope_sin.resize(inv_freq.size() * table);
  for (const WeightMatrix* w : matrices_of(model)) mm.reserve_for(*w, n_threads);
}

int64_t ForwardBuffers::bytes(const Model& model, int64_t max_rows, int n_threads) {
  const models::ModelConfig& c = model.config();
  const int64_t n_tables = static_cast<int64_t>(rope_tables_of(model, nullptr).size());
  // x, xn, proj; q, att; k, v; gate, up; cos and sin tables.
  int64_t floats = max_rows * (3 * c.n_embd + 2 * c.n_head * c.head_dim +
                               2 * c.n_head_kv * c.head_dim + 2 * c.n_ff) +
                   2 * n_tables * max_rows * (c.head_dim / 2);
  int64_t blocks = 0, panels = 0;
  for (const WeightMatrix* w : matrices_of(model)) {
    blocks = std::max(blocks, w->input_blocks());
    panels = std::max(panels, w->panel_floats(n_threads));
  }
  return 4 * (floats + panels) + blocks * static_cast<int64_t>(sizeof(io::BlockQ8_0));
}

void forward_rows(const Model& m, ForwardBuffers& s, std::span<const int32_t> tokens,
                  std::span<const ForwardSegment> segments, std::span<const int64_t> logit_rows,
                  float* logits, float* hidden, int64_t matvec_rows_max) {
  const models::ModelConfig& c = m.config();
  const int64_t T = static_cast<int64_t>(tokens.size());
  const int64_t C = c.n_embd, H = c.n_head, Hkv = c.n_head_kv, D = c.head_dim, F = c.n_ff;
  const int64_t V = c.n_vocab, half = D / 2;
  const float eps = c.norm_eps;
  LLMKIT_CHECK(T >= 1 && T <= s.max_rows_, "forward_rows: ", T, " rows do not fit buffers of ",
               s.max_rows_);
  float* x = s.x.data();
  float* xn = s.xn.data();
  float* q = s.q.data();
  float* k = s.k.data();
  float* v = s.v.data();
  float* att = s.att.data();
  float* proj = s.proj.data();
  float* gate = s.gate.data();
  float* up = s.up.data();
  auto project = [&](const WeightMatrix& w, const float* in, float* out, int64_t n) {
    if (n == 1) {
      w.matvec(in, out, s.mm);
    } else if (n <= matvec_rows_max) {
      w.matvec_rows(in, n, out, s.mm);
    } else {
      w.matmul(in, n, w.cols(), out, w.rows(), s.mm);
    }
  };
  // Matrices sharing the input: one quantisation and one parallel loop for a single row.
  auto project_shared = [&](std::span<const WeightMatrix* const> ws, const float* in,
                            std::span<float* const> outs) {
    if (T == 1) {
      WeightMatrix::matvec_group(ws, in, outs, s.mm);
    } else {
      for (size_t i = 0; i < ws.size(); ++i) project(*ws[i], in, outs[i], T);
    }
  };

  const float embd_scale = m.embedding_scale();
  for (int64_t t = 0; t < T; ++t) {
    float* row = x + t * C;
    m.token_embd().row(tokens[t], row);
    if (embd_scale != 1.0f) {
      for (int64_t j = 0; j < C; ++j) row[j] *= embd_scale;
    }
  }
  const int64_t table_stride = s.max_rows_ * half;
  for (size_t i = 0; i < s.inv_freq.size(); ++i) {
    int64_t row0 = 0;
    for (const ForwardSegment& seg : segments) {
      rope_table(s.inv_freq[i], seg.pos0, seg.count,
                 s.rope_cos.data() + i * table_stride + row0 * half,
                 s.rope_sin.data() + i * table_stride + row0 * half);
      row0 += seg.count;
    }
  }

  for (int64_t l = 0; l < c.n_layer; ++l) {
    const LayerSpec& spec = m.layer_specs()[l];
    const LayerWeights& w = m.layers()[l];
    rms_norm_rows(x, xn, T, C, w.attn_norm.data(), eps);
    const WeightMatrix* qkv[] = {&w.attn_q, &w.attn_k, &w.attn_v};
    float* const qkv_out[] = {q, k, v};
    project_shared(qkv, xn, qkv_out);
    if (spec.qk_norm) {
      rms_norm_rows(q, q, T * H, D, w.attn_q_norm.data(), eps);
      rms_norm_rows(k, k, T * Hkv, D, w.attn_k_norm.data(), eps);
    }
    const float* cos_t = s.rope_cos.data() + s.table_of_layer[l] * table_stride;
    const float* sin_t = s.rope_sin.data() + s.table_of_layer[l] * table_stride;
    AttentionShape shape;
    shape.n_head = H;
    shape.n_head_kv = Hkv;
    shape.head_dim = D;
    shape.scale = spec.q_scale;
    shape.softcap = spec.attn_softcap;
    shape.window = spec.window;
    int64_t row0 = 0;
    for (const ForwardSegment& seg : segments) {
      for (int64_t t = row0; t < row0 + seg.count; ++t) {
        for (int64_t h = 0; h < H; ++h) {
          rope_rotate(q + (t * H + h) * D, half, cos_t + t * half, sin_t + t * half);
        }
        const int64_t pos = seg.pos0 + (t - row0);
        for (int64_t h = 0; h < Hkv; ++h) {
          float* kr = k + (t * Hkv + h) * D;
          rope_rotate(kr, half, cos_t + t * half, sin_t + t * half);
          seg.cache->write_k(l, h, pos, kr);
          seg.cache->write_v(l, h, pos, v + (t * Hkv + h) * D);
        }
      }
      cached_attention(*seg.cache, l, shape, q + row0 * H * D, seg.count, seg.pos0,
                       att + row0 * H * D);
      row0 += seg.count;
    }
    project(w.attn_output, att, proj, T);
    if (spec.post_norms) rms_norm_rows(proj, proj, T, C, w.post_attention_norm.data(), eps);
    add_inplace(x, proj, T * C);

    rms_norm_rows(x, xn, T, C, w.ffn_norm.data(), eps);
    const WeightMatrix* gate_up[] = {&w.ffn_gate, &w.ffn_up};
    float* const gate_up_out[] = {gate, up};
    project_shared(gate_up, xn, gate_up_out);
    gated_activation(gate, up, T * F, spec.gelu);
    project(w.ffn_down, gate, proj, T);
    if (spec.post_norms) rms_norm_rows(proj, proj, T, C, w.post_ffw_norm.data(), eps);
    add_inplace(x, proj, T * C);
  }
  const int64_t n_out = static_cast<int64_t>(logit_rows.size());
  if (n_out == 0) return;

  // The rows asked for, normed and packed: xn [n_out, C].
  for (int64_t i = 0; i < n_out; ++i) {
    rms_norm_rows(x + logit_rows[i] * C, xn + i * C, 1, C, m.output_norm().data(), eps);
  }
  if (hidden != nullptr) std::copy(xn, xn + n_out * C, hidden);
  project(m.output(), xn, logits, n_out);
  const float cap = m.final_softcap();
  if (cap > 0.0f) ops::fused_simd::scale_softcap(logits, n_out * V, 1.0f, cap);
}

}  // namespace llmkit::infer
