#include "llmkit/train/distill_loss.h"

#include <algorithm>
#include <cmath>
#include <numeric>

#include "llmkit/autograd/functions.h"
#include "llmkit/autograd/node.h"
#include "llmkit/base/context.h"
#include "llmkit/base/error.h"

namespace llmkit::train {
namespace {

constexpr double kTinyProb = 1e-30;
constexpr float kNoMassLog = -1e30f;  // log(0) as stored in log_tail

// log_softmax(row / tau) into out[V]; returns nothing, out is log-probabilities.
void log_softmax_row(const float* row, int64_t n_vocab, float temperature, double* out) {
  double m = -INFINITY;
  for (int64_t v = 0; v < n_vocab; ++v) m = std::max(m, static_cast<double>(row[v]) / temperature);
  double sum = 0.0;
  for (int64_t v = 0; v < n_vocab; ++v) {
    out[v] = static_cast<double>(row[v]) / temperature - m;
    sum += std::exp(out[v]);
  }
  const double lse = std::log(sum);
  for (int64_t v = 0; v < n_vocab; ++v) out[v] -= lse;
}

void check_targets(const TeacherTargets& t) {
  LLMKIT_CHECK(t.rows >= 0 && t.k >= 1 && t.n_vocab >= 1 && t.k <= t.n_vocab,
               "distill: teacher targets with rows ", t.rows, ", k ", t.k, ", V ", t.n_vocab,
               " need 1 <= k <= V");
  LLMKIT_CHECK(static_cast<int64_t>(t.log_probs.size()) == t.rows * t.k,
               "distill: teacher targets hold ", t.log_probs.size(), " log-probs for ", t.rows,
               " rows of ", t.k);
  if (t.dense()) {
    LLMKIT_CHECK(t.k == t.n_vocab, "distill: dense teacher targets need k == V (", t.k, " vs ",
                 t.n_vocab, ")");
  } else {
    LLMKIT_CHECK(static_cast<int64_t>(t.ids.size()) == t.rows * t.k &&
                     static_cast<int64_t>(t.log_tail.size()) == t.rows,
                 "distill: sparse teacher targets need ids [rows, k] and log_tail [rows]");
  }
}

// Divergence of one row, and when grad != null its gradient with respect to the row's logits
// scaled by `scale` (see the header for the formula). z: the student's logits [V].
double row_divergence(const float* z, const TeacherTargets& t, int64_t row,
                      const DivergenceOptions& o, std::vector<double>& logq_all,
                      std::vector<uint8_t>& listed, std::vector<double>& g, float* grad,
                      double scale) {
  const int64_t V = t.n_vocab, K = t.k;
  const double tau = o.temperature;
  log_softmax_row(z, V, o.temperature, logq_all.data());
  const float* lp = t.log_probs.data() + row * K;
  const int32_t* ids = t.dense() ? nullptr : t.ids.data() + row * K;

  // Buckets 0..K-1 are the listed ids, bucket K the tail (sparse only).
  const bool has_tail = !t.dense();
  double q_tail = 0.0, logq_tail = 0.0, p_tail = 0.0, logp_tail = 0.0;
  if (has_tail) {
    std::fill(listed.begin(), listed.end(), 0);
    for (int64_t j = 0; j < K; ++j) {
      const int32_t id = ids[j];
      LLMKIT_CHECK(id >= 0 && id < V && !listed[id], "distill: teacher target row ", row,
                   " lists id ", id, " twice or outside [0, ", V, ")");
      listed[id] = 1;
    }
    for (int64_t v = 0; v < V; ++v)
      if (!listed[v]) q_tail += std::exp(logq_all[v]);
    q_tail = std::max(q_tail, kTinyProb);
    logq_tail = std::log(q_tail);
    logp_tail = std::max(static_cast<double>(t.log_tail[row]), std::log(kTinyProb));
    p_tail = t.log_tail[row] <= kNoMassLog ? 0.0 : std::exp(logp_tail);
  }
  auto id_of = [&](int64_t j) { return ids ? static_cast<int64_t>(ids[j]) : j; };

  const double beta = o.jsd_beta;
  double divergence = 0.0, sum_qg = 0.0;
  // g_b = dD/dq_b for each bucket; for forward KL the product s_v g_b is formed below without
  // dividing by q_b (listed ids: s_v / q_b = 1).
  g.assign(static_cast<size_t>(K + 1), 0.0);
  auto bucket = [&](int64_t b, double logp, double p, double logq, double q) {
    switch (o.kind) {
      case DivergenceKind::kForwardKl:
        if (p > 0) divergence += p * (logp - logq);
        g[b] = -p;  // times s_v / q_b
        sum_qg += -p;
        break;
      case DivergenceKind::kReverseKl:
        divergence += q * (logq - logp);
        g[b] = logq - logp + 1.0;
        sum_qg += q * g[b];
        break;
      case DivergenceKind::kJsd: {
        const double m = std::max(beta * p + (1.0 - beta) * q, kTinyProb), logm = std::log(m);
        if (p > 0) divergence += beta * p * (logp - logm);
        if (q > 0) divergence += (1.0 - beta) * q * (logq - logm);
        g[b] = (1.0 - beta) * (logq - logm);
        sum_qg += q * g[b];
        break;
      }
    }
  };
  for (int64_t j = 0; j < K; ++j) {
    // Clamped: an f16 cache may hold -inf for a log-prob below -65504.
    const double logp = std::max(static_cast<double>(lp[j]), std::log(kTinyProb));
    const double logq = logq_all[id_of(j)];
    bucket(j, logp, std::exp(logp), logq, std::exp(logq));
  }
  if (has_tail) bucket(K, logp_tail, p_tail, logq_tail, q_tail);
  if (grad == nullptr) return divergence;

  const bool fkl = o.kind == DivergenceKind::kForwardKl;
  const double factor = scale / tau;
  for (int64_t v = 0; v < V; ++v) {  // tail entries first (listed ones are overwritten below)
    const double s = std::exp(logq_all[v]);
    double term = 0.0;
    if (has_tail) term = fkl ? g[K] * (s / q_tail) : s * g[K];
    grad[v] = static_cast<float>(factor * (term - s * sum_qg));
  }
  for (int64_t j = 0; j < K; ++j) {
    const int64_t v = id_of(j);
    const double s = std::exp(logq_all[v]);
    const double term = fkl ? g[j] : s * g[j];
    grad[v] = static_cast<float>(factor * (term - s * sum_qg));
  }
  return divergence;
}

// Runs row_divergence over all rows on the current Context's pool; returns the mean divergence.
double all_rows(const float* z, const TeacherTargets& t, const DivergenceOptions& o, float* grad,
                double scale) {
  const int64_t V = t.n_vocab;
  std::vector<double> per_row(static_cast<size_t>(t.rows), 0.0);
  parallel_for(t.rows, [&](int64_t begin, int64_t end) {
    std::vector<double> logq(static_cast<size_t>(V));
    std::vector<uint8_t> listed(static_cast<size_t>(V));
    std::vector<double> g;  // dD/dq per bucket, [K + 1]
    for (int64_t r = begin; r < end; ++r) {
      per_row[r] =
          row_divergence(z + r * V, t, r, o, logq, listed, g, grad ? grad + r * V : nullptr, scale);
    }
  });
  const double sum = std::accumulate(per_row.begin(), per_row.end(), 0.0);
  return t.rows > 0 ? sum / static_cast<double>(t.rows) : 0.0;
}

}  // namespace

DivergenceKind parse_divergence(const std::string& name) {
  if (name == "fkl") return DivergenceKind::kForwardKl;
  if (name == "rkl") return DivergenceKind::kReverseKl;
  if (name == "jsd") return DivergenceKind::kJsd;
  throw_error(ErrorCode::kInvalidArgument,
              str_cat("unknown distillation loss '", name,
                      "'; use fkl (forward KL), rkl (reverse KL) or jsd (generalized JSD)"));
}

const char* divergence_name(DivergenceKind kind) {
  switch (kind) {
    case DivergenceKind::kForwardKl:
      return "fkl";
    case DivergenceKind::kReverseKl:
      return "rkl";
    case DivergenceKind::kJsd:
      return "jsd";
  }
  return "?";
}

TeacherTargets dense_targets(const float* logits, int64_t rows, int64_t n_vocab,
                             float temperature) {
  LLMKIT_CHECK(temperature > 0, "distill: temperature must be positive, got ", temperature);
  TeacherTargets t;
  t.rows = rows;
  t.k = t.n_vocab = n_vocab;
  t.temperature = temperature;
  t.log_probs.resize(static_cast<size_t>(rows * n_vocab));
  parallel_for(rows, [&](int64_t begin, int64_t end) {
    std::vector<double> lp(static_cast<size_t>(n_vocab));
    for (int64_t r = begin; r < end; ++r) {
      log_softmax_row(logits + r * n_vocab, n_vocab, temperature, lp.data());
      for (int64_t v = 0; v < n_vocab; ++v)
        t.log_probs[r * n_vocab + v] = static_cast<float>(lp[v]);
    }
  });
  return t;
}

TeacherTargets topk_targets(const float* logits, int64_t rows, int64_t n_vocab, int64_t k,
                            float temperature) {
  LLMKIT_CHECK(temperature > 0, "distill: temperature must be positive, got ", temperature);
  LLMKIT_CHECK(k >= 1 && k <= n_vocab, "distill: top-k ", k,
               " must be between 1 and V = ", n_vocab);
  TeacherTargets t;
  t.rows = rows;
  t.k = k;
  t.n_vocab = n_vocab;
  t.temperature = temperature;
  t.ids.resize(static_cast<size_t>(rows * k));
  t.log_probs.resize(static_cast<size_t>(rows * k));
  t.log_tail.resize(static_cast<size_t>(rows));
  parallel_for(rows, [&](int64_t begin, int64_t end) {
    std::vector<double> lp(static_cast<size_t>(n_vocab));
    std::vector<int32_t> order(static_cast<size_t>(n_vocab));
    for (int64_t r = begin; r < end; ++r) {
      log_softmax_row(logits + r * n_vocab, n_vocab, temperature, lp.data());
      std::iota(order.begin(), order.end(), 0);
      std::partial_sort(order.begin(), order.begin() + k, order.end(), [&](int32_t a, int32_t b) {
        return lp[a] > lp[b] || (lp[a] == lp[b] && a < b);
      });
      double tail = 0.0;
      for (int64_t j = k; j < n_vocab; ++j) tail += std::exp(lp[order[j]]);
      for (int64_t j = 0; j < k; ++j) {
        t.ids[r * k + j] = order[j];
        t.log_probs[r * k + j] = static_cast<float>(lp[order[j]]);
      }
      t.log_tail[r] = tail > 0 ? static_cast<float>(std::log(tail)) : kNoMassLog;
    }
  });
  return t;
}

Tensor divergence_loss(const Tensor& student_logits, const TeacherTargets& targets,
                       const DivergenceOptions& options) {
  check_targets(targets);
  LLMKIT_CHECK(options.temperature > 0, "distill: temperature must be positive, got ",
               options.temperature);
  LLMKIT_CHECK(options.jsd_beta > 0 && options.jsd_beta < 1, "distill: JSD beta ", options.jsd_beta,
               " must be in (0, 1)");
  LLMKIT_CHECK(std::abs(options.temperature - targets.temperature) <= 1e-6f * options.temperature,
               "distill: the teacher's targets were computed at temperature ", targets.temperature,
               " but the loss uses ", options.temperature,
               "; use the same --temperature (or rebuild the teacher cache)");
  LLMKIT_CHECK(student_logits.defined() && student_logits.dim() >= 1 &&
                   student_logits.size(-1) == targets.n_vocab &&
                   student_logits.numel() == targets.rows * targets.n_vocab,
               "distill: student logits ", describe(student_logits), " do not match the teacher's ",
               targets.rows, " rows of V = ", targets.n_vocab,
               " (student and teacher must share the vocabulary)");
  Tensor z = contiguous(to_dtype(student_logits.detach(), DType::kF32));
  const double value = all_rows(z.data<float>(), targets, options, nullptr, 0.0);
  Tensor loss = Tensor::empty({});
  loss.data<float>()[0] = static_cast<float>(value);
  if (!autograd::needs_grad({&student_logits})) return loss;
  const Shape shape = student_logits.shape();
  auto saved = std::make_shared<const TeacherTargets>(targets);
  return autograd::record("divergence_loss", loss, {student_logits}, [=](const Tensor& g) {
    Tensor grad = Tensor::empty(shape);
    const double scale = static_cast<double>(g.item()) / static_cast<double>(saved->rows);
    all_rows(z.data<float>(), *saved, options, grad.data<float>(), scale);
    return std::vector<Tensor>{grad};
  });
}

double reference_divergence(const float* z, const TeacherTargets& t, int64_t row,
                            const DivergenceOptions& o) {
  const int64_t V = t.n_vocab, K = t.k;
  std::vector<double> q(static_cast<size_t>(V));
  double m = -INFINITY, sum = 0.0;
  for (int64_t v = 0; v < V; ++v) m = std::max(m, z[v] / static_cast<double>(o.temperature));
  for (int64_t v = 0; v < V; ++v)
    sum += q[v] = std::exp(z[v] / static_cast<double>(o.temperature) - m);
  for (double& x : q) x /= sum;
  std::vector<double> p_b, q_b;
  double listed_q = 0.0;
  for (int64_t j = 0; j < K; ++j) {
    const int64_t id = t.dense() ? j : t.ids[row * K + j];
    p_b.push_back(std::exp(static_cast<double>(t.log_probs[row * K + j])));
    q_b.push_back(q[id]);
    listed_q += q[id];
  }
  if (!t.dense()) {
    p_b.push_back(std::exp(static_cast<double>(t.log_tail[row])));
    q_b.push_back(1.0 - listed_q);
  }
  double d = 0.0;
  const double beta = o.jsd_beta;
  for (size_t b = 0; b < p_b.size(); ++b) {
    const double p = p_b[b], qq = q_b[b];
    switch (o.kind) {
      case DivergenceKind::kForwardKl:
        d += p > 0 ? p * std::log(p / qq) : 0.0;
        break;
      case DivergenceKind::kReverseKl:
        d += qq > 0 ? qq * std::log(qq / p) : 0.0;
        break;
      case DivergenceKind::kJsd: {
        const double mix = beta * p + (1 - beta) * qq;
        if (p > 0) d += beta * p * std::log(p / mix);
        if (qq > 0) d += (1 - beta) * qq * std::log(qq / mix);
        break;
      }
    }
  }
  return d;
}

}  // namespace llmkit::train
