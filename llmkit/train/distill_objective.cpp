#include "llmkit/train/distill_objective.h"

#include "llmkit/autograd/functions.h"
#include "llmkit/base/error.h"
#include "llmkit/tensor/creation.h"

#include <cmath>

namespace llmkit::train {

void check_distill_options(const DistillOptions& o) {
  LLMKIT_CHECK(o.temperature > 0, "distill: --temperature must be positive, got ", o.temperature);
  LLMKIT_CHECK(o.alpha >= 0 && o.alpha <= 1, "distill: --alpha must be in [0, 1], got ", o.alpha);
  LLMKIT_CHECK(o.jsd_beta > 0 && o.jsd_beta < 1, "distill: --jsd-beta must be in (0, 1), got ",
               o.jsd_beta);
  LLMKIT_CHECK(o.top_k >= 0, "distill: top-k must not be negative, got ", o.top_k);
  LLMKIT_CHECK(o.hidden_weight >= 0, "distill: --hidden-weight must not be negative, got ",
               o.hidden_weight);
}

HiddenProjection::HiddenProjection(int64_t student_width, int64_t teacher_width, uint64_t seed) {
  LLMKIT_CHECK(student_width > 0 && teacher_width > 0, "HiddenProjection: widths ", student_width,
               " and ", teacher_width, " must be positive");
  if (student_width == teacher_width) return;
  Generator gen(seed);
  proj_ = register_module("hidden_proj", std::make_shared<nn::Linear>(
                                             student_width, teacher_width, false, gen,
                                             1.0f / std::sqrt(static_cast<float>(student_width))));
}

Tensor HiddenProjection::forward(const Tensor& student_hidden) const {
  return proj_ ? proj_->forward(student_hidden) : student_hidden;
}

Tensor hidden_cosine_loss(const Tensor& student_hidden, const Tensor& teacher_hidden,
                          const HiddenProjection& projection) {
  Tensor a = projection.forward(student_hidden);
  const int64_t C = teacher_hidden.size(-1);
  LLMKIT_CHECK(a.size(-1) == C && a.numel() == teacher_hidden.numel(),
               "distill: projected student hidden states ", describe(a),
               " do not match the teacher's ", describe(teacher_hidden));
  a = reshape(a, {a.numel() / C, C});
  Tensor b = reshape(teacher_hidden, {teacher_hidden.numel() / C, C});
  constexpr float kEps = 1e-8f;
  Tensor dot = sum(mul(a, b), {-1});
  Tensor norms = mul(sqrt(add_scalar(sum(square(a), {-1}), kEps)),
                     sqrt(add_scalar(sum(square(b), {-1}), kEps)));
  return mean(sub(scalar(1.0f), div(dot, norms)));
}

DistillTerms distill_loss(const Tensor& student_logits, const Tensor& next_tokens,
                          const TeacherTargets& targets, const DistillOptions& o) {
  DistillTerms t;
  t.ce = cross_entropy(student_logits, next_tokens);
  if (o.alpha == 0.0f) {
    t.divergence = Tensor::empty({});
    t.loss = t.ce;
    return t;
  }
  t.divergence = divergence_loss(student_logits, targets, {o.kind, o.temperature, o.jsd_beta});
  Tensor kd = mul_scalar(t.divergence, o.alpha * o.temperature * o.temperature);
  t.loss = o.alpha == 1.0f ? kd : add(kd, mul_scalar(t.ce, 1.0f - o.alpha));
  return t;
}

DistillObjective::DistillObjective(std::shared_ptr<Teacher> teacher,
                                   std::shared_ptr<TeacherCache> cache,
                                   const DistillOptions& options, int64_t student_width,
                                   uint64_t seed)
    : teacher_(std::move(teacher)), cache_(std::move(cache)), options_(options) {
  check_distill_options(options_);
  LLMKIT_CHECK((teacher_ != nullptr) != (cache_ != nullptr),
               "DistillObjective: give either a teacher or a teacher cache");
  if (options_.hidden_weight > 0) {
    LLMKIT_CHECK(teacher_ != nullptr, "distill: the hidden-state loss (--hidden-weight) needs the ",
                 "teacher's hidden states, which a top-K cache does not hold; drop --cache-topk");
    projection_ = std::make_shared<HiddenProjection>(student_width, teacher_->n_embd(), seed);
  }
}

nn::Module* DistillObjective::trainable_module() {
  return projection_ && projection_->parameter_count() > 0 ? projection_.get() : nullptr;
}

TeacherTargets DistillObjective::targets(const Batch& batch, int64_t batch_index,
                                         std::vector<float>* teacher_hidden) {
  if (cache_) return cache_->read(batch_index, batch_inputs_hash(batch.inputs));
  const int64_t rows = batch.inputs.numel();
  std::vector<float> logits = teacher_->logits(batch.inputs, teacher_hidden);
  const int64_t V = teacher_->n_vocab();
  if (options_.top_k > 0) {
    return topk_targets(logits.data(), rows, V, options_.top_k, options_.temperature);
  }
  return dense_targets(logits.data(), rows, V, options_.temperature);
}

TrainingObjective::Terms DistillObjective::loss(const models::TransformerLM& model,
                                                const Batch& batch, int64_t batch_index) {
  const bool use_hidden = projection_ != nullptr;
  const bool need_teacher = options_.alpha > 0.0f || use_hidden;
  TeacherTargets t;
  std::vector<float> teacher_hidden;
  if (need_teacher) t = targets(batch, batch_index, use_hidden ? &teacher_hidden : nullptr);
  models::TransformerLM::Outputs y = model.forward_with_hidden(batch.inputs);  // [B, T, V/C]
  DistillTerms terms = distill_loss(y.logits, batch.targets, t, options_);
  Terms out;
  out.loss = terms.loss;
  out.metrics.emplace_back("ce", static_cast<double>(terms.ce.item()));
  if (options_.alpha > 0.0f) {
    out.metrics.emplace_back("kd", static_cast<double>(terms.divergence.item()));
  }
  if (use_hidden) {
    Tensor th = from_vector(teacher_hidden, {batch.inputs.numel(), teacher_->n_embd()});
    Tensor h = hidden_cosine_loss(y.hidden, th, *projection_);
    out.loss = add(out.loss, mul_scalar(h, options_.hidden_weight));
    out.metrics.emplace_back("hidden", static_cast<double>(h.item()));
  }
  return out;
}

}  // namespace llmkit::train
