// Layer forwards against independent double-precision references written out here, and
// gradient checks of whole layers with respect to their input.
#include <gtest/gtest.h>

#include <cmath>
#include <map>

#include "llmkit/autograd/functions.h"
#include "llmkit/autograd/gradcheck.h"
#include "llmkit/nn/attention.h"
#include "llmkit/nn/linear.h"
#include "llmkit/nn/mlp.h"
#include "llmkit/nn/norm.h"
#include "llmkit/nn/transformer_block.h"

namespace llmkit::nn {
namespace {

using Vec = std::vector<double>;

// Re-draws every parameter from N(0, std^2) (a fresh layer has tiny or constant weights) and
// returns their values by name.
std::map<std::string, std::vector<float>> randomise(Module& m, uint64_t seed, float std = 0.5f) {
  Generator gen(seed);
  NamedTensors state;
  std::map<std::string, std::vector<float>> values;
  for (auto& [name, t] : m.named_parameters()) {
    Tensor v = randn(t.shape(), gen, 0.0f, std);
    state.emplace_back(name, v);
    values[name] = v.to_vector();
  }
  m.load_state_dict(state);
  return values;
}

// y[n][o] = sum_i x[n][i] * w[o][i]
Vec ref_matvec(const Vec& x, const std::vector<float>& w, int64_t n, int64_t in, int64_t out) {
  Vec y(n * out, 0.0);
  for (int64_t r = 0; r < n; ++r)
    for (int64_t o = 0; o < out; ++o)
      for (int64_t i = 0; i < in; ++i) y[r * out + o] += x[r * in + i] * w[o * in + i];
  return y;
}

Vec ref_rms(const Vec& x, const std::vector<float>& w, int64_t dim, bool unit_offset,
            double eps = 1e-6) {
  Vec y(x.size());
  for (size_t r = 0; r < x.size() / dim; ++r) {
    double ss = 0;
    for (int64_t i = 0; i < dim; ++i) ss += x[r * dim + i] * x[r * dim + i];
    double inv = 1.0 / std::sqrt(ss / dim + eps);
    for (int64_t i = 0; i < dim; ++i)
      y[r * dim + i] = x[r * dim + i] * inv * (unit_offset ? 1.0 + w[i] : w[i]);
  }
  return y;
}

Vec to_double(const Tensor& t) {
  std::vector<float> v = t.to_vector();
  return Vec(v.begin(), v.end());
}

void expect_close(const Tensor& got, const Vec& want, double tol) {
  std::vector<float> g = got.to_vector();
  ASSERT_EQ(g.size(), want.size());
  for (size_t i = 0; i < g.size(); ++i) ASSERT_NEAR(g[i], want[i], tol) << "element " << i;
}

TEST(Layers, LinearMatchesReference) {
  Generator gen(3);
  Linear lin(5, 3, true, gen);
  auto w = randomise(lin, 4);
  Tensor x = randn({2, 4, 5}, gen);
  Vec y = ref_matvec(to_double(x), w["weight"], 8, 5, 3);
  for (int64_t r = 0; r < 8; ++r)
    for (int o = 0; o < 3; ++o) y[r * 3 + o] += w["bias"][o];
  expect_close(lin.forward(x), y, 1e-5);
  EXPECT_THROW(lin.forward(randn({2, 4}, gen)), Error);
}

TEST(Layers, RmsNormBothFormsMatchReference) {
  for (bool unit : {false, true}) {
    Generator gen(5);
    RMSNorm norm(6, 1e-6f, unit);
    auto w = randomise(norm, 6);
    Tensor x = randn({3, 6}, gen);
    expect_close(norm.forward(x), ref_rms(to_double(x), w["weight"], 6, unit), 1e-5);
  }
}

double gelu_tanh(double x) {
  return 0.5 * x * (1 + std::tanh(std::sqrt(2 / M_PI) * (x + 0.044715 * x * x * x)));
}
double gelu_erf(double x) {
  return 0.5 * x * (1 + std::erf(x / std::sqrt(2.0)));
}
double silu(double x) {
  return x / (1 + std::exp(-x));
}

TEST(Layers, MlpKindsMatchReference) {
  for (MlpKind kind : {MlpKind::kGeGLU, MlpKind::kSwiGLU, MlpKind::kGelu}) {
    Generator gen(7);
    MlpConfig c;
    c.n_embd = 4;
    c.n_ff = 6;
    c.kind = kind;
    Mlp mlp(c, gen);
    auto w = randomise(mlp, 8);
    Tensor x = randn({3, 4}, gen);
    Vec xd = to_double(x);
    Vec up = ref_matvec(xd, w["ffn_up.weight"], 3, 4, 6);
    Vec hidden(up.size());
    if (kind == MlpKind::kGelu) {
      for (size_t i = 0; i < up.size(); ++i) hidden[i] = gelu_erf(up[i]);
    } else {
      Vec gate = ref_matvec(xd, w["ffn_gate.weight"], 3, 4, 6);
      for (size_t i = 0; i < up.size(); ++i)
        hidden[i] = (kind == MlpKind::kGeGLU ? gelu_tanh(gate[i]) : silu(gate[i])) * up[i];
    }
    expect_close(mlp.forward(x), ref_matvec(hidden, w["ffn_down.weight"], 3, 6, 4), 1e-4);
  }
}

struct AttnCase {
  int64_t n_head, n_head_kv;
  bool qk_norm, unit_offset;
  float softcap;
  int64_t window;
};

// Full attention module forward in double: projections, QK-norm, half-split RoPE, causal/window
// masked soft-capped softmax, GQA head sharing, output projection.
Vec ref_attention(const Vec& x, std::map<std::string, std::vector<float>>& w, const AttnCase& k,
                  int64_t B, int64_t T, int64_t C, int64_t D, double theta,
                  const std::vector<int32_t>& pos) {
  int64_t H = k.n_head, Hkv = k.n_head_kv;
  Vec q = ref_matvec(x, w["attn_q.weight"], B * T, C, H * D);
  Vec kk = ref_matvec(x, w["attn_k.weight"], B * T, C, Hkv * D);
  Vec v = ref_matvec(x, w["attn_v.weight"], B * T, C, Hkv * D);
  if (k.qk_norm) {
    q = ref_rms(q, w["attn_q_norm.weight"], D, k.unit_offset);
    kk = ref_rms(kk, w["attn_k_norm.weight"], D, k.unit_offset);
  }
  auto rope = [&](Vec& a, int64_t heads) {
    for (int64_t r = 0; r < B * T; ++r) {
      double p = pos[r % T];
      for (int64_t h = 0; h < heads; ++h) {
        double* row = &a[(r * heads + h) * D];
        for (int64_t i = 0; i < D / 2; ++i) {
          double ang = p * std::pow(theta, -2.0 * i / D);
          double a0 = row[i], a1 = row[i + D / 2];
          row[i] = a0 * std::cos(ang) - a1 * std::sin(ang);
          row[i + D / 2] = a0 * std::sin(ang) + a1 * std::cos(ang);
        }
      }
    }
  };
  rope(q, H);
  rope(kk, Hkv);
  double scale = 1.0 / std::sqrt(static_cast<double>(D));
  Vec heads(B * T * H * D, 0.0);
  for (int64_t b = 0; b < B; ++b)
    for (int64_t h = 0; h < H; ++h) {
      int64_t g = h / (H / Hkv);
      for (int64_t t = 0; t < T; ++t) {
        Vec s(T, -INFINITY);
        double mx = -INFINITY;
        for (int64_t u = 0; u <= t; ++u) {
          if (k.window > 0 && t - u >= k.window) continue;
          double dot = 0;
          for (int64_t d = 0; d < D; ++d)
            dot += q[((b * T + t) * H + h) * D + d] * kk[((b * T + u) * Hkv + g) * D + d];
          dot *= scale;
          if (k.softcap > 0) dot = k.softcap * std::tanh(dot / k.softcap);
          s[u] = dot;
          mx = std::max(mx, dot);
        }
        double z = 0;
        for (int64_t u = 0; u < T; ++u) z += std::isinf(s[u]) ? 0.0 : std::exp(s[u] - mx);
        for (int64_t u = 0; u < T; ++u) {
          if (std::isinf(s[u])) continue;
          double p = std::exp(s[u] - mx) / z;
          for (int64_t d = 0; d < D; ++d)
            heads[((b * T + t) * H + h) * D + d] += p * v[((b * T + u) * Hkv + g) * D + d];
        }
      }
    }
  return ref_matvec(heads, w["attn_output.weight"], B * T, H * D, C);
}

TEST(Layers, AttentionModuleMatchesReference) {
  const AttnCase cases[] = {{2, 2, false, false, 0.0f, 0},  // MHA
                            {4, 2, true, true, 0.0f, 0},    // GQA + Gemma QK-norm
                            {2, 1, true, false, 3.0f, 3},   // MQA + softcap + window
                            {4, 1, false, false, 0.0f, 2}};
  for (const AttnCase& k : cases) {
    int64_t B = 2, T = 6, C = 8, D = 4;
    Generator gen(11);
    AttentionConfig c;
    c.n_embd = C;
    c.n_head = k.n_head;
    c.n_head_kv = k.n_head_kv;
    c.head_dim = D;
    c.qk_norm = k.qk_norm;
    c.norm_unit_offset = k.unit_offset;
    c.softcap = k.softcap;
    c.window = k.window;
    c.rope_theta = 100.0f;
    CausalSelfAttention attn(c, gen);
    auto w = randomise(attn, 12, 0.4f);
    Tensor x = randn({B, T, C}, gen);
    std::vector<int32_t> pos{0, 1, 2, 3, 4, 5};
    Vec want = ref_attention(to_double(x), w, k, B, T, C, D, 100.0, pos);
    expect_close(attn.forward(x, from_ints(pos, {T})), want, 2e-4);
  }
}

TEST(Layers, TransformerBlockGradcheckWrtInput) {
  Generator gen(13);
  BlockConfig c;
  c.attention.n_embd = 8;
  c.attention.n_head = 2;
  c.attention.n_head_kv = 1;
  c.attention.qk_norm = true;
  c.attention.norm_unit_offset = true;
  c.mlp.n_embd = 8;
  c.mlp.n_ff = 12;
  c.mlp.kind = MlpKind::kGeGLU;
  c.norm_unit_offset = true;
  c.post_norms = true;
  TransformerBlock block(c, gen);
  randomise(block, 14, 0.3f);
  Tensor pos = arange(4);
  Tensor x = randn({1, 4, 8}, gen);
  auto result = autograd::gradcheck(
      [&](const std::vector<Tensor>& in) { return block.forward(in[0], pos); }, {x});
  EXPECT_TRUE(result.ok) << result.message;
}

TEST(Layers, DropoutScalesKeptValuesAndIsIdentityInEval) {
  Dropout drop(0.25f, 3);
  Tensor x = ones({10000});
  std::vector<float> y = drop.forward(x).to_vector();
  int64_t kept = 0;
  for (float v : y) {
    ASSERT_TRUE(v == 0.0f || std::fabs(v - 1.0f / 0.75f) < 1e-6f) << v;
    kept += v != 0.0f;
  }
  EXPECT_NEAR(kept / 10000.0, 0.75, 0.02);
  drop.eval();
  EXPECT_EQ(drop.forward(x).to_vector(), x.to_vector());
}

}  // namespace
}  // namespace llmkit::nn
