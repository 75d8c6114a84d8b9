// EmbedderTrainer: contrastive training of a BertModel text embedder on (query, passage) pairs
// (InfoNCE with in-batch negatives, contrastive_loss.h), AdamW with linear warmup + cosine decay,
// global-norm clipping, atomic checkpoints, exact resume, and the export to a GGUF file of
// llama.cpp's "bert" architecture carrying the training tokenizer.
//
// Run folder (out_dir):
//   checkpoint/        config.json (BertConfig), model.safetensors, optimizer.safetensors,
//                      tokenizer.model, state.json ({"step": N}); written as checkpoint.tmp and
//                      swapped in by renames (checkpoint -> checkpoint.old -> removed), so a crash
//                      leaves a complete checkpoint or checkpoint.old
//   metrics.jsonl      one object per step: step, loss, lr, grad_norm
//   embedder.gguf      the final model (written at the end of a run that was not interrupted)
// Batches are a pure function of (seed, step) (text_pairs.h: sample_batch), so a resumed run
// continues with the batches the uninterrupted run would have drawn; at the same thread count
// the losses are the same bit for bit.
#pragma once

#include <atomic>
#include <memory>
#include <string>
#include <vector>

#include "llmkit/models/bert_gguf.h"
#include "llmkit/optim/optimizer.h"
#include "llmkit/tokenizer/sentencepiece_tokenizer.h"
#include "llmkit/train/retrieval_eval.h"
#include "llmkit/train/text_pairs.h"

namespace llmkit::train {

struct EmbedderTrainOptions {
  int64_t steps = 1000;
  int64_t batch = 32;
  float lr = 1e-3f;
  float min_lr = 1e-4f;
  int64_t warmup = 50;
  float weight_decay = 0.01f;
  float grad_clip = 1.0f;  // <= 0: no clipping
  float temperature = 0.05f;
  int64_t max_query_tokens = 64;  // BOS included; passages are cut at the model's n_ctx
  double holdout = 0.05;          // share of passages held out for evaluation
  int64_t save_every = 200;       // <= 0: only at the end
  uint64_t seed = 1;
  int threads = 1;
  bool resume = false;
  int64_t stop_after = 0;  // > 0: stop (as if interrupted) after this many steps of this run
  bool progress = true;
};

struct EmbedderTrainSummary {
  int64_t steps_done = 0;
  bool interrupted = false;
  double final_loss = 0.0;  // mean loss of the last min(50, steps) steps of this run
  int64_t train_pairs = 0;
  RetrievalEval before;   // held-out retrieval at the start of this run
  RetrievalEval after;    // and at its end
  std::string gguf_path;  // "" when interrupted
  double seconds = 0.0;
};

// The trained model as <path>: add_bert_to_gguf + the tokenizer's vocabulary
// (tokenizer::add_vocab_to_gguf). Throws Error(kInvalidArgument) when the tokenizer's size differs
// from the model's n_vocab.
void write_embedder_gguf(const models::BertModel& model,
                         const tokenizer::SentencePieceTokenizer& tok, const std::string& path,
                         const models::BertExportOptions& options = {});

class EmbedderTrainer {
 public:
  // config is used for a fresh run (its n_vocab is set from the tokenizer); a resumed run takes
  // the checkpoint's. Throws Error when out_dir already holds a checkpoint and resume is false, or
  // resume is true and there is none.
  EmbedderTrainer(const models::BertConfig& config, const std::string& tokenizer_path,
                  std::vector<TextPair> pairs, std::string out_dir, EmbedderTrainOptions options);

  // Trains until options.steps (or stop / stop_after), checkpointing every save_every steps and at
  // the end. stop (optional) is polled once per step.
  EmbedderTrainSummary run(const std::atomic<bool>* stop = nullptr);

  const models::BertModel& model() const { return *model_; }

 private:
  void save(int64_t step) const;

  std::string tokenizer_path_;
  tokenizer::SentencePieceTokenizer tok_;
  std::vector<TokenizedPair> train_, held_out_;
  std::string out_dir_;
  EmbedderTrainOptions options_;
  std::shared_ptr<models::BertModel> model_;
  std::unique_ptr<optim::Optimizer> optimizer_;
  int64_t start_step_ = 0;
};

}  // namespace llmkit::train
