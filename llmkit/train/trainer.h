// Trainer: next-token pretraining of a TransformerLM on token shards, with AdamW, linear warmup +
// cosine decay, global-norm clipping, gradient accumulation, periodic evaluation, atomic
// checkpoints and bit-exact resume.
//
// Run folder (run_dir):
//   metrics.jsonl     one JSON object per step: step, loss, lr, grad_norm, tokens_per_s, and on
//                     evaluation steps val_loss, val_ppl, val_acc
//   loss_curve.svg    train (per step) and validation loss, redrawn at each evaluation
//   summary.json      final figures (written at the end and on interruption)
//   checkpoint/       see checkpoint.h
// Resume: with resume = true and a checkpoint present, the model, optimizer, step and data
// position are restored and metrics.jsonl is cut back to the checkpoint's step, so the continued
// run produces the same losses, bit for bit, as an uninterrupted one at the same thread count.
#pragma once

#include <atomic>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "llmkit/models/transformer_lm.h"
#include "llmkit/train/data_loader.h"

namespace llmkit::train {

struct TrainOptions {
  int64_t steps = 1000;
  int64_t batch = 8;
  int64_t seq = 128;
  float lr = 3e-3f;
  float min_lr = 3e-4f;
  int64_t warmup = 50;
  float weight_decay = 0.1f;
  float beta1 = 0.9f;
  float beta2 = 0.95f;
  float grad_clip = 1.0f;  // <= 0: no clipping
  int64_t grad_accum = 1;
  int64_t eval_every = 100;   // <= 0: only at the end
  int64_t eval_batches = 16;  // validation batches per periodic evaluation
  int64_t save_every = 500;   // <= 0: only at the end
  uint64_t seed = 1;
  int threads = 2;
  bool resume = false;
  int64_t stop_after = 0;  // > 0: stop (as if interrupted) after this many steps of this run
  bool progress = true;    // draw a progress bar on stderr
};

struct EvalResult {
  double loss = 0.0;      // mean next-token cross-entropy (nats)
  double ppl = 0.0;       // exp(loss)
  double accuracy = 0.0;  // argmax == target
  int64_t tokens = 0;
};

struct TrainSummary {
  int64_t steps_done = 0;
  bool interrupted = false;
  double final_train_loss = 0.0;
  EvalResult final_eval;
  double tokens_per_s = 0.0;
  double seconds = 0.0;
};

// The EvalResult of `tokens` predictions with summed loss loss_sum (nats) and `correct` hits.
EvalResult make_eval_result(double loss_sum, int64_t correct, int64_t tokens);

// Mean loss, perplexity and accuracy of model over the given validation batches (eval mode, no
// gradients).
EvalResult evaluate(const models::TransformerLM& model, const std::vector<Batch>& batches);

// What a training step minimises on one micro-batch. The default objective (none given to the
// Trainer) is the next-token cross-entropy; distillation supplies its own (distill_objective.h).
class TrainingObjective {
 public:
  struct Terms {
    Tensor loss;  // 0-D, differentiable with respect to the model's parameters
    // Extra figures for metrics.jsonl (averaged over a step's micro-batches), e.g. {"ce", 4.1}.
    std::vector<std::pair<std::string, double>> metrics;
  };
  virtual ~TrainingObjective() = default;
  // batch_index: how many micro-batches the run drew before this one since step 0 (the same after
  // a resume, so per-batch data such as a teacher cache can be addressed by it).
  virtual Terms loss(const models::TransformerLM& model, const Batch& batch,
                     int64_t batch_index) = 0;
  // Parameters the objective trains besides the model's (e.g. a projection), or null. The Trainer
  // optimizes them with the model and keeps them in its checkpoints (objective.safetensors).
  virtual nn::Module* trainable_module() { return nullptr; }
};

class Trainer {
 public:
  // model: freshly initialised (or loaded) weights; they are replaced by the checkpoint's on
  // resume. tokenizer_path: copied into checkpoints so a run folder is self-contained.
  // objective: null for next-token cross-entropy.
  Trainer(std::shared_ptr<models::TransformerLM> model, std::shared_ptr<TokenDataset> data,
          std::string run_dir, std::string tokenizer_path, TrainOptions options,
          std::shared_ptr<TrainingObjective> objective = nullptr);

  // Trains until options.steps or until *stop becomes true (then saves a checkpoint and returns
  // with interrupted = true).
  TrainSummary run(const std::atomic<bool>* stop = nullptr);

  const models::TransformerLM& model() const { return *model_; }

 private:
  std::shared_ptr<models::TransformerLM> model_;
  std::shared_ptr<TokenDataset> data_;
  std::string run_dir_;
  std::string tokenizer_path_;
  TrainOptions options_;
  std::shared_ptr<TrainingObjective> objective_;
};

}  // namespace llmkit::train
