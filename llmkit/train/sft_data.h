// Supervised fine-tuning (SFT) data for the Trainer: token sequences with a loss mask, batched
// with padding, and the training objective that draws them.
//
// An SftExample is one rendered conversation: ids (the model's input, BOS first when the
// tokenizer uses one) and mask, one entry per id: mask[i] = 1 when ids[i] is a trained target
// (predicted from ids[0..i-1]); mask[0] is never used. Chat code (chain/chat_training.h) sets the
// mask on the assistant turns' tokens and their end-of-turn marker.
//
// Batches: one example per row (no packing: the attention has no per-document mask, so packed
// examples would see each other). A batch is as long as its longest example minus one, capped at
// seq: inputs[r, t] = ids[t] and targets[r, t] = ids[t + 1] when mask[t + 1], else -100 (ignored
// by cross_entropy); a shorter row is padded with pad_id inputs and -100 targets. Padding sits
// after the row's tokens, so with causal attention it changes no real position's logits.
//
// Order: micro-batch k holds the examples at global positions k B .. k B + B - 1 of the sequence
// of epochs, epoch e being a permutation of all examples drawn from (seed, e) (Fisher-Yates over
// SplitMix64). So the data of micro-batch k depends only on k, and a resumed run (the Trainer
// hands its objective the micro-batch index) continues with exactly the batches it would have
// drawn.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "llmkit/tokenizer/tokenizer.h"
#include "llmkit/train/trainer.h"

namespace llmkit::train {

struct SftExample {
  std::vector<int32_t> ids;
  std::vector<uint8_t> mask;  // same length as ids
};

// Batch of the given examples (see above); every example needs at least 2 ids. Shapes: inputs and
// targets i32 [rows, T], T = min(seq, longest - 1).
Batch make_sft_batch(const std::vector<const SftExample*>& rows, int64_t seq, int32_t pad_id);

// Example indices of micro-batch `index` (see Order above).
class SftOrder {
 public:
  SftOrder(size_t examples, uint64_t seed);
  std::vector<size_t> batch(int64_t index, int64_t batch_size) const;
  std::vector<size_t> permutation(int64_t epoch) const;

 private:
  size_t n_;
  uint64_t seed_;
  mutable int64_t cached_epoch_ = -1;
  mutable std::vector<size_t> cached_;
};

// The objective of `llmkit finetune`: cross-entropy over the masked targets of the micro-batch's
// SFT examples; the token batch the Trainer's loader drew is ignored. Metrics: "sft_tokens"
// (trained targets per micro-batch). Not thread-safe.
class SftObjective : public TrainingObjective {
 public:
  SftObjective(std::shared_ptr<const std::vector<SftExample>> examples, int64_t batch, int64_t seq,
               uint64_t seed, int32_t pad_id);
  Terms loss(const models::TransformerLM& model, const Batch& batch, int64_t batch_index) override;

 private:
  std::shared_ptr<const std::vector<SftExample>> examples_;
  int64_t batch_, seq_;
  int32_t pad_id_;
  SftOrder order_;
};

// Mean cross-entropy (nats), perplexity and accuracy over the masked targets of all examples
// (eval mode, no gradients).
EvalResult evaluate_sft(const models::TransformerLM& model, const std::vector<SftExample>& examples,
                        int64_t batch, int64_t seq, int32_t pad_id);

// Writes the examples' ids as a token shard folder (shard_manifest.h) for the Trainer's data:
// train_examples to the train split, val_examples to the validation split, one document each.
// tokenizer_path is recorded in the manifest. Throws when a split would be empty.
void write_sft_shards(const std::string& dir, const std::vector<SftExample>& train_examples,
                      const std::vector<SftExample>& val_examples,
                      const tokenizer::Tokenizer& tokenizer, const std::string& tokenizer_path);

}  // namespace llmkit::train
