// ops::attention and attention_backward against double-precision references written here: the
// forward through an explicit scores matrix with masking and softmax, the backward by explicit
// matrix calculus on full T x S matrices (itself checked against central differences of the
// forward on small shapes).
#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "fused_reference.h"
#include "llmkit/base/context.h"
#include "llmkit/ops/fused.h"
#include "llmkit/tensor/view.h"

namespace llmkit::ops {
namespace {
using testing::expect_close;
using testing::numeric_grad;
using testing::random_tensor;
using testing::to_doubles;

struct Dims {
  int64_t b, h, hkv, t, s, d;
};

bool visible(const Dims& n, const AttentionOptions& o, int64_t t, int64_t s) {
  const int64_t pos = n.s - n.t + t;
  if (o.causal && s > pos) return false;
  if (o.window > 0 && pos - s >= o.window) return false;
  return true;
}

// Raw logits R = scale * q k^T of one (b, h) pair, [T][S].
std::vector<std::vector<double>> raw_logits(const std::vector<double>& q,
                                            const std::vector<double>& k, const Dims& n,
                                            const AttentionOptions& o, int64_t b, int64_t h) {
  const int64_t g = h / (n.h / n.hkv);
  std::vector<std::vector<double>> r(n.t, std::vector<double>(n.s));
  for (int64_t t = 0; t < n.t; ++t) {
    for (int64_t s = 0; s < n.s; ++s) {
      double dot = 0.0;
      for (int64_t j = 0; j < n.d; ++j) {
        dot += q[((b * n.h + h) * n.t + t) * n.d + j] * k[((b * n.hkv + g) * n.s + s) * n.d + j];
      }
      r[t][s] = o.scale * dot;
    }
  }
  return r;
}

double cap(double r, const AttentionOptions& o) {
  return o.softcap > 0 ? o.softcap * std::tanh(r / o.softcap) : r;
}

// Softmax probabilities P [T][S] (0 where masked; all-zero rows when nothing is visible) and lse.
void probabilities(const std::vector<std::vector<double>>& r, const Dims& n,
                   const AttentionOptions& o, std::vector<std::vector<double>>* p,
                   std::vector<double>* lse) {
  p->assign(n.t, std::vector<double>(n.s, 0.0));
  lse->assign(n.t, -std::numeric_limits<double>::infinity());
  for (int64_t t = 0; t < n.t; ++t) {
    double m = -std::numeric_limits<double>::infinity();
    for (int64_t s = 0; s < n.s; ++s) {
      if (visible(n, o, t, s)) m = std::max(m, cap(r[t][s], o));
    }
    if (std::isinf(m)) continue;
    double z = 0.0;
    for (int64_t s = 0; s < n.s; ++s) {
      if (visible(n, o, t, s)) z += std::exp(cap(r[t][s], o) - m);
    }
    (*lse)[t] = m + std::log(z);
    for (int64_t s = 0; s < n.s; ++s) {
      if (visible(n, o, t, s)) (*p)[t][s] = std::exp(cap(r[t][s], o) - (*lse)[t]);
    }
  }
}

struct RefForward {
  std::vector<double> out, lse;
};
RefForward ref_forward(const std::vector<double>& q, const std::vector<double>& k,
                       const std::vector<double>& v, const Dims& n, const AttentionOptions& o) {
  RefForward f{std::vector<double>(n.b * n.h * n.t * n.d, 0.0), {}};
  for (int64_t b = 0; b < n.b; ++b) {
    for (int64_t h = 0; h < n.h; ++h) {
      const int64_t g = h / (n.h / n.hkv);
      std::vector<std::vector<double>> p;
      std::vector<double> lse;
      probabilities(raw_logits(q, k, n, o, b, h), n, o, &p, &lse);
      f.lse.insert(f.lse.end(), lse.begin(), lse.end());
      for (int64_t t = 0; t < n.t; ++t) {
        for (int64_t s = 0; s < n.s; ++s) {
          for (int64_t j = 0; j < n.d; ++j) {
            f.out[((b * n.h + h) * n.t + t) * n.d + j] +=
                p[t][s] * v[((b * n.hkv + g) * n.s + s) * n.d + j];
          }
        }
      }
    }
  }
  return f;
}

// dV = P^T dO; dP = dO V^T; dL = P o (dP - rowsum(P o dP)); dR = dL o cap'(R);
// dQ = scale dR K; dK = scale dR^T Q (dK, dV summed over the heads of a group).
struct RefGrads {
  std::vector<double> dq, dk, dv;
};
RefGrads ref_backward(const std::vector<double>& q, const std::vector<double>& k,
                      const std::vector<double>& v, const std::vector<double>& dout, const Dims& n,
                      const AttentionOptions& o) {
  RefGrads gr{std::vector<double>(q.size(), 0.0), std::vector<double>(k.size(), 0.0),
              std::vector<double>(v.size(), 0.0)};
  for (int64_t b = 0; b < n.b; ++b) {
    for (int64_t h = 0; h < n.h; ++h) {
      const int64_t g = h / (n.h / n.hkv);
      auto qi = [&](int64_t t, int64_t j) { return ((b * n.h + h) * n.t + t) * n.d + j; };
      auto ki = [&](int64_t s, int64_t j) { return ((b * n.hkv + g) * n.s + s) * n.d + j; };
      std::vector<std::vector<double>> r = raw_logits(q, k, n, o, b, h), p;
      std::vector<double> lse;
      probabilities(r, n, o, &p, &lse);
      for (int64_t t = 0; t < n.t; ++t) {
        std::vector<double> dp(n.s, 0.0);
        double rowsum = 0.0;
        for (int64_t s = 0; s < n.s; ++s) {
          for (int64_t j = 0; j < n.d; ++j) dp[s] += dout[qi(t, j)] * v[ki(s, j)];
          rowsum += p[t][s] * dp[s];
        }
        for (int64_t s = 0; s < n.s; ++s) {
          double dr = p[t][s] * (dp[s] - rowsum);
          if (o.softcap > 0) {
            const double th = std::tanh(r[t][s] / o.softcap);
            dr *= 1.0 - th * th;
          }
          for (int64_t j = 0; j < n.d; ++j) {
            gr.dv[ki(s, j)] += p[t][s] * dout[qi(t, j)];
            gr.dq[qi(t, j)] += o.scale * dr * k[ki(s, j)];
            gr.dk[ki(s, j)] += o.scale * dr * q[qi(t, j)];
          }
        }
      }
    }
  }
  return gr;
}

Dims dims_of(const Tensor& q, const Tensor& k) {
  return {q.size(0), q.size(1), k.size(1), q.size(2), k.size(2), q.size(3)};
}

// Runs forward and backward on (q, k, v) and compares every output with the references; on small
// shapes also checks the reference backward against central differences.
void check_case(const Tensor& q, const Tensor& k, const Tensor& v, const AttentionOptions& o,
                bool finite_differences = true) {
  SCOPED_TRACE(::testing::Message()
               << "q " << describe(q) << " k " << describe(k) << " scale " << o.scale << " softcap "
               << o.softcap << " window " << o.window << " causal " << o.causal);
  const Dims n = dims_of(q, k);
  std::vector<double> qd = to_doubles(q), kd = to_doubles(k), vd = to_doubles(v);
  AttentionResult res = attention(q, k, v, o);
  RefForward want = ref_forward(qd, kd, vd, n, o);
  ASSERT_EQ(res.out.shape(), Shape({n.b, n.h, n.t, n.d}));
  ASSERT_EQ(res.lse.shape(), Shape({n.b, n.h, n.t}));
  expect_close(res.out, want.out, 2e-5, 1e-5, "out");
  std::vector<float> lse = res.lse.to_vector();
  for (size_t i = 0; i < lse.size(); ++i) {
    if (std::isinf(want.lse[i])) {
      EXPECT_TRUE(std::isinf(lse[i]) && lse[i] < 0) << "lse of masked row " << i << ": " << lse[i];
    } else {
      EXPECT_NEAR(lse[i], want.lse[i], 2e-5 + 1e-5 * std::fabs(want.lse[i])) << "lse " << i;
    }
  }

  Tensor dout = random_tensor(res.out.shape(), 4242);
  std::vector<double> dod = to_doubles(dout);
  AttentionGrads g = attention_backward(q, k, v, res.out, res.lse, dout, o);
  RefGrads gw = ref_backward(qd, kd, vd, dod, n, o);
  ASSERT_EQ(g.dq.shape(), q.shape());
  ASSERT_EQ(g.dk.shape(), k.shape());
  ASSERT_EQ(g.dv.shape(), v.shape());
  expect_close(g.dq, gw.dq, 5e-5, 1e-4, "dq");
  expect_close(g.dk, gw.dk, 5e-5, 1e-4, "dk");
  expect_close(g.dv, gw.dv, 5e-5, 1e-4, "dv");
  if (finite_differences) {
    auto f = [&](const std::vector<std::vector<double>>& in) {
      return ref_forward(in[0], in[1], in[2], n, o).out;
    };
    const char* names[] = {"reference dq", "reference dk", "reference dv"};
    const std::vector<double>* analytic[] = {&gw.dq, &gw.dk, &gw.dv};
    for (size_t i = 0; i < 3; ++i) {
      std::vector<double> num = numeric_grad(f, {qd, kd, vd}, i, dod);
      std::vector<float> a(analytic[i]->begin(), analytic[i]->end());
      expect_close(a, num, 1e-6, 1e-5, names[i]);
    }
  }
}

AttentionOptions opts(float scale, float softcap = 0.0f, int64_t window = 0, bool causal = true) {
  AttentionOptions o;
  o.scale = scale;
  o.softcap = softcap;
  o.window = window;
  o.causal = causal;
  return o;
}

TEST(Attention, GroupedQueryHeadsCausal) {
  // H = 4 over Hkv = 2, Hkv = 1 (multi-query) and Hkv = H (multi-head).
  for (int64_t hkv : {2, 1, 4}) {
    Tensor q = random_tensor({2, 4, 5, 4}, 1);
    Tensor k = random_tensor({2, hkv, 5, 4}, 2);
    Tensor v = random_tensor({2, hkv, 5, 4}, 3);
    check_case(q, k, v, opts(0.5f));
  }
}

TEST(Attention, DecodeOffsetsWindowAndSoftcap) {
  Tensor q = random_tensor({1, 4, 3, 4}, 4);
  Tensor k = random_tensor({1, 2, 7, 4}, 5);
  Tensor v = random_tensor({1, 2, 7, 4}, 6);
  check_case(q, k, v, opts(0.5f));                  // T < S: queries at positions 4..6
  check_case(q, k, v, opts(0.5f, 0.0f, 2));         // sliding window of 2
  check_case(q, k, v, opts(1.5f, 1.0f));            // soft-capping in its non-linear range
  check_case(q, k, v, opts(1.5f, 2.0f, 3));         // both
  check_case(q, k, v, opts(0.7f, 0.0f, 0, false));  // non-causal
  check_case(q, k, v, opts(0.7f, 3.0f, 2, false));  // non-causal with a window
  // A single decode step.
  check_case(random_tensor({2, 4, 1, 8}, 7), random_tensor({2, 1, 6, 8}, 8),
             random_tensor({2, 1, 6, 8}, 9), opts(0.35f, 5.0f, 4));
}

TEST(Attention, FullyMaskedRowsGiveZerosNotNaN) {
  // T > S: queries 0 and 1 sit at negative positions and see no key.
  Tensor q = random_tensor({1, 2, 5, 4}, 10);
  Tensor k = random_tensor({1, 1, 3, 4}, 11);
  Tensor v = random_tensor({1, 1, 3, 4}, 12);
  check_case(q, k, v, opts(0.5f, 0.0f, 2));
  AttentionOptions o = opts(0.5f);
  AttentionResult r = attention(q, k, v, o);
  AttentionGrads g = attention_backward(q, k, v, r.out, r.lse, ones(r.out.shape()), o);
  for (int64_t h = 0; h < 2; ++h) {
    for (int64_t t = 0; t < 2; ++t) {
      for (int64_t j = 0; j < 4; ++j) {
        EXPECT_EQ(r.out.at({0, h, t, j}), 0.0f);
        EXPECT_EQ(g.dq.at({0, h, t, j}), 0.0f);
      }
    }
  }
  for (float x : g.dk.to_vector()) EXPECT_TRUE(std::isfinite(x));
  // No keys at all.
  Tensor k0 = Tensor::empty({1, 1, 0, 4});
  AttentionResult e = attention(q, k0, k0, o);
  for (float x : e.out.to_vector()) EXPECT_EQ(x, 0.0f);
  AttentionGrads ge = attention_backward(q, k0, k0, e.out, e.lse, ones(e.out.shape()), o);
  for (float x : ge.dq.to_vector()) EXPECT_EQ(x, 0.0f);
}

TEST(Attention, NonContiguousAndBf16Inputs) {
  // q, k, v as [B, H, T, D] views of [B, T, H, D] tensors (the layout after the projections).
  Tensor q = transpose(random_tensor({2, 5, 4, 4}, 13), 1, 2);
  Tensor k = transpose(random_tensor({2, 6, 2, 4}, 14), 1, 2);
  Tensor v = transpose(random_tensor({2, 6, 2, 4}, 15), 1, 2);
  ASSERT_FALSE(q.is_contiguous());
  check_case(q, k, v, opts(0.5f, 2.0f));
  // A strided head dim (copied internally) and k broadcast over its batch axis (stride 0).
  Tensor qs = permute(random_tensor({2, 4, 3, 4}, 16), {0, 1, 3, 2});  // [2, 4, 4, 3]
  Tensor kb = expand(random_tensor({1, 2, 6, 3}, 17), {2, 2, 6, 3});
  ASSERT_EQ(kb.stride(0), 0);
  check_case(qs, kb, random_tensor({2, 2, 6, 3}, 18), opts(0.6f));
  Tensor qb = to_dtype(random_tensor({1, 2, 3, 4}, 19), DType::kBF16);
  check_case(qb, random_tensor({1, 1, 3, 4}, 20),
             to_dtype(random_tensor({1, 1, 3, 4}, 21), DType::kBF16), opts(0.5f));
}

TEST(Attention, LongRowsSpanSeveralBlocksOnSeveralThreads) {
  // S = 150 crosses the kernel's 64-key blocks, and T = 150 its 64-query blocks in the backward.
  Context context(3);
  Context::Scope scope(context);
  Tensor q = random_tensor({1, 2, 150, 8}, 22, 1.5f);
  Tensor k = random_tensor({1, 1, 150, 8}, 23, 1.5f);
  Tensor v = random_tensor({1, 1, 150, 8}, 24);
  check_case(q, k, v, opts(0.5f), false);
  check_case(q, k, v, opts(0.5f, 3.0f, 100), false);
  check_case(slice(q, 2, 120, 150), k, v, opts(0.5f, 0.0f, 0, false), false);
}

TEST(Attention, ResultsDoNotDependOnTheThreadCount) {
  Tensor q = random_tensor({2, 4, 70, 8}, 25);
  Tensor k = random_tensor({2, 2, 90, 8}, 26);
  Tensor v = random_tensor({2, 2, 90, 8}, 27);
  Tensor dout = random_tensor({2, 4, 70, 8}, 28);
  AttentionOptions o = opts(0.4f, 4.0f, 50);
  auto run = [&](int threads) {
    Context context(threads);
    Context::Scope scope(context);
    AttentionResult r = attention(q, k, v, o);
    AttentionGrads g = attention_backward(q, k, v, r.out, r.lse, dout, o);
    return std::vector<std::vector<float>>{r.out.to_vector(), r.lse.to_vector(), g.dq.to_vector(),
                                           g.dk.to_vector(), g.dv.to_vector()};
  };
  EXPECT_EQ(run(1), run(4));
}

TEST(Attention, BadInputsThrow) {
  Tensor q = random_tensor({1, 3, 2, 4}, 1);
  Tensor k = random_tensor({1, 2, 2, 4}, 2);
  AttentionOptions o = opts(1.0f);
  EXPECT_THROW(attention(q, k, k, o), Error);  // 3 heads over 2 kv heads
  Tensor q4 = random_tensor({1, 4, 2, 4}, 3);
  EXPECT_THROW(attention(q4, random_tensor({1, 2, 2, 5}, 4), random_tensor({1, 2, 2, 5}, 4), o),
               Error);                                                       // D mismatch
  EXPECT_THROW(attention(q4, k, random_tensor({1, 2, 3, 4}, 5), o), Error);  // v mismatch
  EXPECT_THROW(attention(q4, random_tensor({2, 2, 2, 4}, 6), k, o), Error);  // B mismatch
  EXPECT_THROW(attention(random_tensor({4, 2, 4}, 7), k, k, o), Error);      // 3-D q
  EXPECT_THROW(attention(q4, k, k, opts(1.0f, -1.0f)), Error);               // softcap < 0
  EXPECT_THROW(attention(q4, k, k, opts(1.0f, 0.0f, -2)), Error);            // window < 0
  AttentionResult r = attention(q4, k, k, o);
  EXPECT_THROW(attention_backward(q4, k, k, r.out, ones({1, 4, 2}), ones({1, 4, 3, 4}), o), Error);
  EXPECT_THROW(attention_backward(q4, k, k, r.out, ones({1, 4}), r.out, o), Error);
  try {
    attention(q, k, k, o);
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("[1, 3, 2, 4]"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace llmkit::ops
