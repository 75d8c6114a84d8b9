// DistillObjective: the training objective of `llmkit distill` (Hinton et al. 2015, MiniLLM):
//
//   loss = alpha * tau^2 * D(teacher_tau || student_tau) + (1 - alpha) * CE(student, next token)
//
// D is the divergence of distill_loss.h (forward KL, reverse KL or JSD) between the teacher's and
// the student's softmax at temperature tau; tau^2 keeps the soft-target gradients on the scale of
// the hard loss's as tau changes. alpha = 0 is plain next-token training.
//
// Teacher targets per micro-batch come from one of:
//   - the teacher, run on the batch (dense targets, or top-K when top_k > 0),
//   - a TeacherCache record (top-K, precomputed; the teacher is not run).
// Metrics reported per step: "ce" (the hard loss) and "kd" (D, unscaled).
//
// Hidden-state loss (DistilBERT's cosine term, optional, live teacher only): with weight w > 0,
//   loss += w * mean over tokens of (1 - cos(P h_student, h_teacher))
// where h are the final hidden states (after the output norm) and P is a learned projection
// [C_teacher, C_student] when the widths differ (identity otherwise); P is trained with the
// student and saved in its checkpoints (objective.safetensors). Metric "hidden": the mean 1 - cos.
#pragma once

#include <memory>

#include "llmkit/nn/linear.h"

#include "llmkit/train/distill_loss.h"
#include "llmkit/train/teacher.h"
#include "llmkit/train/teacher_cache.h"
#include "llmkit/train/trainer.h"

namespace llmkit::train {

struct DistillOptions {
  DivergenceKind kind = DivergenceKind::kForwardKl;
  float temperature = 1.0f;    // > 0
  float alpha = 0.5f;          // in [0, 1]
  float jsd_beta = 0.5f;       // in (0, 1)
  int64_t top_k = 0;           // > 0: the live teacher's targets are cut to its top K (+ tail)
  float hidden_weight = 0.0f;  // >= 0; > 0 adds the hidden-state cosine loss
};

// P of the hidden-state loss: Linear(C_student -> C_teacher, no bias) named hidden_proj.weight,
// or no parameters (identity) when the widths are equal.
class HiddenProjection : public nn::Module {
 public:
  HiddenProjection(int64_t student_width, int64_t teacher_width, uint64_t seed);
  Tensor forward(const Tensor& student_hidden) const;  // [..., C_s] -> [..., C_t]

 private:
  std::shared_ptr<nn::Linear> proj_;  // null: identity
};

// mean over rows of 1 - cos(projection(student_hidden), teacher_hidden); student_hidden
// [..., C_s], teacher_hidden [..., C_t] with the same number of rows. 0-D, differentiable.
Tensor hidden_cosine_loss(const Tensor& student_hidden, const Tensor& teacher_hidden,
                          const HiddenProjection& projection);

// Throws kInvalidArgument naming the first bad option.
void check_distill_options(const DistillOptions& options);

class DistillObjective : public TrainingObjective {
 public:
  // Exactly one of teacher and cache is non-null. student_width: the student's n_embd (needed
  // for the hidden-state loss, which requires the teacher).
  DistillObjective(std::shared_ptr<Teacher> teacher, std::shared_ptr<TeacherCache> cache,
                   const DistillOptions& options, int64_t student_width = 0, uint64_t seed = 1);

  Terms loss(const models::TransformerLM& model, const Batch& batch, int64_t batch_index) override;
  nn::Module* trainable_module() override;

  // The targets this objective uses for a batch (teacher run or cache read); teacher_hidden
  // (optional, live teacher only) receives its hidden states [B * T, C_t].
  TeacherTargets targets(const Batch& batch, int64_t batch_index,
                         std::vector<float>* teacher_hidden = nullptr);

 private:
  std::shared_ptr<Teacher> teacher_;
  std::shared_ptr<TeacherCache> cache_;
  DistillOptions options_;
  std::shared_ptr<HiddenProjection> projection_;  // with hidden_weight > 0
};

// The loss formula above on given logits and targets (exposed for tests): returns
// {loss, ce, divergence}.
struct DistillTerms {
  Tensor loss;
  Tensor ce;
  Tensor divergence;
};
DistillTerms distill_loss(const Tensor& student_logits, const Tensor& next_tokens,
                          const TeacherTargets& targets, const DistillOptions& options);

}  // namespace llmkit::train
