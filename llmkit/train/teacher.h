// Teacher: a frozen model whose predictions a student learns from. It runs through the inference
// engine (infer::Session: fused forward, quantized weights, no autograd tape), so any file
// infer::Model loads can teach: a llmkit checkpoint or run folder, a GGUF (quantized included), a
// Hugging Face folder.
//
// Not thread-safe (one Session inside); logits() uses the Session's own thread pool.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "llmkit/infer/model.h"
#include "llmkit/infer/session.h"
#include "llmkit/train/token_dataset.h"
#include "llmkit/train/trainer.h"

namespace llmkit::train {

class Teacher {
 public:
  // path: a model file or folder, or a training run folder (its checkpoint is used). Errors:
  // kNotFound naming the path when nothing is there; the loader's errors otherwise.
  static std::unique_ptr<Teacher> load(const std::string& path, int threads);
  Teacher(std::shared_ptr<const infer::Model> model, std::string path, uint64_t checksum,
          int threads);

  // check_same_vocabulary(model(), path(), data).
  void check_vocabulary(const TokenDataset& data) const;

  // Logits for inputs i32 [B, T] (each row from an empty cache, positions 0 .. T-1): f32
  // [B * T, V], row-major. hidden (optional) receives the final hidden states (after the output
  // norm) f32 [B * T, C].
  std::vector<float> logits(const Tensor& inputs, std::vector<float>* hidden = nullptr);
  int64_t n_embd() const { return model_->config().n_embd; }

  int64_t n_vocab() const { return model_->config().n_vocab; }
  const std::string& path() const { return path_; }
  // FNV-1a 64 over the bytes of the weight file(s) (and config), identifying the teacher in caches.
  uint64_t checksum() const { return checksum_; }
  std::shared_ptr<const infer::Model> model() const { return model_; }

 private:
  std::shared_ptr<const infer::Model> model_;
  std::string path_;
  uint64_t checksum_ = 0;
  int threads_ = 1;
  std::unique_ptr<infer::Session> session_;
};

// Throws kInvalidArgument unless `model` (loaded from model_path) can predict the tokens of
// `data`: V >= the data's n_vocab and, when the model has a tokenizer, the same vocabulary (equal
// fingerprints, or the data's tokenizer file, loaded, has the same piece for every id).
void check_same_vocabulary(const infer::Model& model, const std::string& model_path,
                           const TokenDataset& data);

// Mean next-token loss, perplexity and accuracy of the teacher on the batches (as evaluate() does
// for a TransformerLM), from its inference-engine logits.
EvalResult evaluate_teacher(Teacher& teacher, const std::vector<Batch>& batches);

// FNV-1a 64 over a file's bytes, or over a folder's regular files (names and bytes, sorted by
// name, not recursive).
uint64_t file_checksum(const std::string& path);

}  // namespace llmkit::train
