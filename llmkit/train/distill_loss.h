// Knowledge-distillation losses: how far a student's next-token distribution is from a teacher's.
//
// Buckets. The teacher is described over K explicit vocabulary ids per row plus one tail bucket
// (every id not listed). A dense teacher lists all V ids (K = V, no tail); a top-K teacher keeps
// its K most likely ids and the log of the mass of the rest. Both distributions are compared over
// these K + 1 buckets: the student's bucket probability is q_b = sum over ids in b of
// softmax(z / tau), the teacher's p_b comes from TeacherTargets. With a dense teacher this is the
// exact divergence over the whole vocabulary.
//
// Divergences per row (mean over rows is returned):
//   forward KL  KL(p || q) = sum_b p_b (log p_b - log q_b)          (Hinton et al., mass covering)
//   reverse KL  KL(q || p) = sum_b q_b (log q_b - log p_b)          (MiniLLM, mode seeking)
//   JSD(beta)   beta KL(p || m) + (1 - beta) KL(q || m), m = beta p + (1 - beta) q
// Gradient with respect to the student logits z_v (v in bucket b(v)), with g_b = dD/dq_b:
//   dD/dz_v = (1 / tau) s_v (g_b(v) - sum_b q_b g_b),   s = softmax(z / tau)
// where g_b = -p_b / q_b (forward), log q_b - log p_b + 1 (reverse), (1 - beta)(log q_b - log m_b)
// (JSD). The returned loss is NOT scaled by tau^2; distill_objective_loss() does that.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "llmkit/tensor/tensor.h"

namespace llmkit::train {

enum class DivergenceKind { kForwardKl, kReverseKl, kJsd };

// "fkl", "rkl", "jsd"; Error(kInvalidArgument) naming the accepted values otherwise.
DivergenceKind parse_divergence(const std::string& name);
const char* divergence_name(DivergenceKind kind);

// The teacher's distribution for `rows` rows over K listed ids + a tail bucket.
struct TeacherTargets {
  int64_t rows = 0;
  int64_t k = 0;                 // ids per row
  int64_t n_vocab = 0;           // V of the logits these targets describe
  float temperature = 1.0f;      // tau the log-probs were computed at
  std::vector<int32_t> ids;      // [rows, k]; empty for a dense teacher (ids 0 .. V-1, k == V)
  std::vector<float> log_probs;  // [rows, k] teacher log p at `temperature`
  std::vector<float> log_tail;   // [rows] log of the mass outside the listed ids; empty if dense

  bool dense() const { return ids.empty(); }
};

// Dense targets from teacher logits [rows, V]: log_softmax(logits / tau) per row.
TeacherTargets dense_targets(const float* logits, int64_t rows, int64_t n_vocab, float temperature);
// Top-K targets from teacher logits [rows, V]: the k largest log_softmax(logits / tau) per row in
// descending order (ties: lower id first) and log(1 - their mass) computed from the remaining
// ids' probabilities (-inf stored as -1e30 when nothing remains). 1 <= k <= V.
TeacherTargets topk_targets(const float* logits, int64_t rows, int64_t n_vocab, int64_t k,
                            float temperature);

struct DivergenceOptions {
  DivergenceKind kind = DivergenceKind::kForwardKl;
  float temperature = 1.0f;  // must equal targets.temperature
  float jsd_beta = 0.5f;     // in (0, 1)
};

// Mean divergence of the student (logits [..., V], any leading shape whose product is
// targets.rows) from the teacher; 0-D tensor, differentiable with respect to student_logits.
// Errors name the mismatch (rows, V, temperature) and what to do.
Tensor divergence_loss(const Tensor& student_logits, const TeacherTargets& targets,
                       const DivergenceOptions& options);

// The per-row divergence in double precision by plain summation over the buckets (no autograd, no
// fused gradient): the reference the tests hold divergence_loss against.
double reference_divergence(const float* student_logits_row, const TeacherTargets& targets,
                            int64_t row, const DivergenceOptions& options);

}  // namespace llmkit::train
