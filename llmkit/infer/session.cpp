// Session: input checks, buffers allocated once, and the fused forward pass.
//
// One forward step over T tokens (T <= n_batch) at positions pos0 .. pos0 + T - 1, activations
// row-major [T, ...] in the session's buffers:
//   x = token_embd[ids] * embedding_scale                                 [T, C]
//   per layer:
//     xn = rms_norm(x) ; q, k, v = xn Wq^T, xn Wk^T, xn Wv^T              [T, H*D], [T, Hkv*D]
//     QK-norm (gemma3) per head ; RoPE at the absolute positions
//     cache[pos0 + t] = k[t], v[t] ; att = attention(q, cache)            [T, H*D]
//     a = att Wo^T ; post_attention_norm(a) (gemma2/3) ; x += a
//     xn = rms_norm(x) ; h = act(xn Wgate^T) * (xn Wup^T)                  [T, F]
//     m = h Wdown^T ; post_ffw_norm(m) (gemma2/3) ; x += m
//   logits = rms_norm(x) Wout^T (only the rows asked for), soft-capped      [., V]
// Products go through WeightMatrix: matvec when T == 1 (decode), matmul otherwise (prefill).
#include "llmkit/infer/session.h"

#include <algorithm>
#include <cstring>
#include <utility>

#include "llmkit/base/error.h"
#include "llmkit/infer/forward_kernels.h"
#include "llmkit/infer/rope.h"
#include "llmkit/ops/fused_simd.h"

namespace llmkit::infer {
namespace {

// Floats of each activation buffer for batches of n_batch tokens.
struct BufferSizes {
  int64_t x, q, kv, ff, rope;  // [B, C], [B, H*D], [B, Hkv*D], [B, F], one cos or sin table
  int64_t n_rope_tables;
};

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

BufferSizes buffer_sizes(const Model& model, int64_t n_batch) {
  const models::ModelConfig& c = model.config();
  BufferSizes b;
  b.x = n_batch * c.n_embd;
  b.q = n_batch * c.n_head * c.head_dim;
  b.kv = n_batch * c.n_head_kv * c.head_dim;
  b.ff = n_batch * c.n_ff;
  b.rope = n_batch * (c.head_dim / 2);
  b.n_rope_tables = static_cast<int64_t>(rope_tables_of(model, nullptr).size());
  return b;
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

struct Session::Scratch {
  std::vector<float> x, xn, q, k, v, att, proj, gate, up;
  std::vector<float> rope_cos, rope_sin;      // [n_tables, n_batch, D/2]
  std::vector<std::vector<double>> inv_freq;  // per table
  std::vector<int> table_of_layer;
  MatmulScratch mm;
};

int64_t Session::buffer_bytes(const Model& model, int64_t n_batch, int n_threads) {
  const BufferSizes b = buffer_sizes(model, n_batch);
  // x, xn, proj; q, att; k, v; gate, up; cos and sin tables (the Scratch members).
  int64_t floats = 3 * b.x + 2 * b.q + 2 * b.kv + 2 * b.ff + 2 * b.n_rope_tables * b.rope;
  floats += model.config().n_vocab;  // last_logits_
  int64_t blocks = 0, panels = 0;
  for (const WeightMatrix* w : matrices_of(model)) {
    blocks = std::max(blocks, w->input_blocks());
    panels = std::max(panels, w->panel_floats(n_threads));
  }
  return 4 * (floats + panels) + blocks * static_cast<int64_t>(sizeof(io::BlockQ8_0));
}

Session::Session(std::shared_ptr<const Model> model, const SessionOptions& options)
    : model_(std::move(model)), options_(options), context_(options.n_threads) {
  LLMKIT_CHECK(model_ != nullptr, "Session: the model is null");
  const models::ModelConfig& c = model_->config();
  if (options_.n_ctx == 0) options_.n_ctx = std::min<int64_t>(c.n_ctx, 4096);
  LLMKIT_CHECK(options_.n_ctx >= 1 && options_.n_ctx <= c.n_ctx, "Session: context length ",
               options_.n_ctx, " must be in [1, ", c.n_ctx, "] (the model's n_ctx)");
  LLMKIT_CHECK(options_.n_batch >= 1, "Session: n_batch must be >= 1, got ", options_.n_batch);
  options_.n_batch = std::min(options_.n_batch, options_.n_ctx);
  options_.n_threads = context_.n_threads();
  cache_ = KvCache(c.n_layer, c.n_head_kv, c.head_dim, options_.n_ctx, options_.kv_type);

  auto s = std::make_shared<Scratch>();
  const BufferSizes b = buffer_sizes(*model_, options_.n_batch);
  for (std::vector<float>* buf : {&s->x, &s->xn, &s->proj}) buf->resize(b.x);
  for (std::vector<float>* buf : {&s->q, &s->att}) buf->resize(b.q);
  for (std::vector<float>* buf : {&s->k, &s->v}) buf->resize(b.kv);
  for (std::vector<float>* buf : {&s->gate, &s->up}) buf->resize(b.ff);
  for (const auto& [theta, scaled] : rope_tables_of(*model_, &s->table_of_layer)) {
    s->inv_freq.push_back(rope_inv_freq(theta, c.head_dim, c, scaled));
  }
  s->rope_cos.resize(b.n_rope_tables * b.rope);
  s->rope_sin.resize(b.n_rope_tables * b.rope);
  for (const WeightMatrix* w : matrices_of(*model_)) s->mm.reserve_for(*w, options_.n_threads);
  scratch_ = std::move(s);
  last_logits_.resize(static_cast<size_t>(c.n_vocab));
}

void Session::check_tokens(std::span<const int32_t> tokens) const {
  const models::ModelConfig& c = model_->config();
  LLMKIT_CHECK(!tokens.empty(), "Session::decode: no tokens to decode");
  for (size_t i = 0; i < tokens.size(); ++i) {
    LLMKIT_CHECK_CODE(tokens[i] >= 0 && tokens[i] < c.n_vocab, ErrorCode::kOutOfRange,
                      "Session::decode: token id ", tokens[i], " (input index ", i,
                      ") is outside the vocabulary [0, ", c.n_vocab, ")");
  }
  const int64_t n = static_cast<int64_t>(tokens.size());
  LLMKIT_CHECK_CODE(position_ + n <= n_ctx(), ErrorCode::kOutOfRange,
                    "Session::decode: the context is full: ", n, " more token(s) at position ",
                    position_, " need ", position_ + n, " positions but the context holds ",
                    n_ctx(), "; raise --ctx (the model allows up to ", c.n_ctx,
                    ") or start over (reset / a new session)");
}

std::span<const float> Session::decode(std::span<const int32_t> tokens) {
  check_tokens(tokens);
  const int64_t n = static_cast<int64_t>(tokens.size());
  for (int64_t begin = 0; begin < n; begin += options_.n_batch) {
    const int64_t count = std::min(options_.n_batch, n - begin);
    const bool last = begin + count == n;
    forward(tokens.subspan(begin, count), last ? last_logits_.data() : nullptr, false);
    position_ += count;
  }
  return last_logits_;
}

void Session::decode_all(std::span<const int32_t> tokens, float* out, float* hidden) {
  check_tokens(tokens);
  LLMKIT_CHECK(out != nullptr, "Session::decode_all: null output buffer");
  const int64_t n = static_cast<int64_t>(tokens.size());
  const int64_t V = model_->config().n_vocab;
  for (int64_t begin = 0; begin < n; begin += options_.n_batch) {
    const int64_t count = std::min(options_.n_batch, n - begin);
    forward(tokens.subspan(begin, count), out + begin * V, true,
            hidden ? hidden + begin * model_->config().n_embd : nullptr);
    position_ += count;
  }
}

void Session::truncate(int64_t n) {
  LLMKIT_CHECK_CODE(n >= 0 && n <= position_, ErrorCode::kOutOfRange, "Session::truncate: ", n,
                    " is outside [0, ", position_, "] (the current position)");
  position_ = n;  // later positions are overwritten before they are read again
}

void Session::forward(std::span<const int32_t> tokens, float* logits, bool all_logits,
                      float* hidden) {
  const Model& m = *model_;
  const models::ModelConfig& c = m.config();
  const int64_t T = static_cast<int64_t>(tokens.size());
  const int64_t C = c.n_embd, H = c.n_head, Hkv = c.n_head_kv, D = c.head_dim, F = c.n_ff;
  const int64_t V = c.n_vocab, half = D / 2, pos0 = position_;
  const float eps = c.norm_eps;
  Scratch& s = *scratch_;
  Context::Scope scope(context_);
  float* x = s.x.data();
  float* xn = s.xn.data();
  float* q = s.q.data();
  float* k = s.k.data();
  float* v = s.v.data();
  float* att = s.att.data();
  float* proj = s.proj.data();
  float* gate = s.gate.data();
  float* up = s.up.data();
  auto project = [&](const WeightMatrix& w, const float* in, float* out) {
    if (T == 1) {
      w.matvec(in, out, s.mm);
    } else {
      w.matmul(in, T, w.cols(), out, w.rows(), s.mm);
    }
  };
  // Matrices sharing the input: one quantisation and one parallel loop when decoding one token.
  auto project_shared = [&](std::span<const WeightMatrix* const> ws, const float* in,
                            std::span<float* const> outs) {
    if (T == 1) {
      WeightMatrix::matvec_group(ws, in, outs, s.mm);
    } else {
      for (size_t i = 0; i < ws.size(); ++i) project(*ws[i], in, outs[i]);
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
  const int64_t table_stride = options_.n_batch * half;
  for (size_t i = 0; i < s.inv_freq.size(); ++i) {
    rope_table(s.inv_freq[i], pos0, T, s.rope_cos.data() + i * table_stride,
               s.rope_sin.data() + i * table_stride);
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
    for (int64_t t = 0; t < T; ++t) {
      for (int64_t h = 0; h < H; ++h) {
        rope_rotate(q + (t * H + h) * D, half, cos_t + t * half, sin_t + t * half);
      }
      for (int64_t h = 0; h < Hkv; ++h) {
        float* kr = k + (t * Hkv + h) * D;
        rope_rotate(kr, half, cos_t + t * half, sin_t + t * half);
        cache_.write_k(l, h, pos0 + t, kr);
        cache_.write_v(l, h, pos0 + t, v + (t * Hkv + h) * D);
      }
    }
    AttentionShape shape;
    shape.n_head = H;
    shape.n_head_kv = Hkv;
    shape.head_dim = D;
    shape.scale = spec.q_scale;
    shape.softcap = spec.attn_softcap;
    shape.window = spec.window;
    cached_attention(cache_, l, shape, q, T, pos0, att);
    project(w.attn_output, att, proj);
    if (spec.post_norms) rms_norm_rows(proj, proj, T, C, w.post_attention_norm.data(), eps);
    add_inplace(x, proj, T * C);

    rms_norm_rows(x, xn, T, C, w.ffn_norm.data(), eps);
    const WeightMatrix* gate_up[] = {&w.ffn_gate, &w.ffn_up};
    float* const gate_up_out[] = {gate, up};
    project_shared(gate_up, xn, gate_up_out);
    gated_activation(gate, up, T * F, spec.gelu);
    project(w.ffn_down, gate, proj);
    if (spec.post_norms) rms_norm_rows(proj, proj, T, C, w.post_ffw_norm.data(), eps);
    add_inplace(x, proj, T * C);
  }
  if (logits == nullptr) return;

  const float cap = m.final_softcap();
  if (all_logits) {
    rms_norm_rows(x, xn, T, C, m.output_norm().data(), eps);
    if (hidden != nullptr) std::copy(xn, xn + T * C, hidden);
    project(m.output(), xn, logits);
    if (cap > 0.0f) ops::fused_simd::scale_softcap(logits, T * V, 1.0f, cap);
  } else {
    rms_norm_rows(x + (T - 1) * C, xn, 1, C, m.output_norm().data(), eps);
    m.output().matvec(xn, logits, s.mm);
    if (cap > 0.0f) ops::fused_simd::scale_softcap(logits, V, 1.0f, cap);
  }
}

}  // namespace llmkit::infer
