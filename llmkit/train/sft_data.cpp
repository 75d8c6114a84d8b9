#include "llmkit/train/sft_data.h"

#include <algorithm>
#include <filesystem>

#include "llmkit/autograd/backward.h"
#include "llmkit/autograd/functions.h"
#include "llmkit/autograd/node.h"
#include "llmkit/base/atomic_file.h"
#include "llmkit/base/error.h"
#include "llmkit/train/token_shards.h"

namespace llmkit::train {
namespace {

constexpr int32_t kIgnore = -100;

uint64_t splitmix64(uint64_t& state) {
  uint64_t z = (state += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

}  // namespace

Batch make_sft_batch(const std::vector<const SftExample*>& rows, int64_t seq, int32_t pad_id) {
  LLMKIT_CHECK(!rows.empty() && seq > 0, "make_sft_batch: need rows and a positive seq");
  int64_t longest = 0;
  for (const SftExample* e : rows) {
    LLMKIT_CHECK(e->ids.size() >= 2 && e->ids.size() == e->mask.size(),
                 "make_sft_batch: an example needs at least 2 ids and one mask entry per id");
    longest = std::max(longest, static_cast<int64_t>(e->ids.size()));
  }
  const int64_t t = std::min(seq, longest - 1);
  const auto b = static_cast<int64_t>(rows.size());
  Batch out;
  out.inputs = Tensor::uninitialized({b, t}, DType::kI32);
  out.targets = Tensor::uninitialized({b, t}, DType::kI32);
  int32_t* in = out.inputs.data<int32_t>();
  int32_t* tg = out.targets.data<int32_t>();
  for (int64_t r = 0; r < b; ++r) {
    const SftExample& e = *rows[r];
    const auto n = static_cast<int64_t>(e.ids.size());
    for (int64_t i = 0; i < t; ++i) {
      const bool real = i + 1 < n;
      in[r * t + i] = i < n ? e.ids[i] : pad_id;
      tg[r * t + i] = real && e.mask[i + 1] ? e.ids[i + 1] : kIgnore;
    }
  }
  return out;
}

SftOrder::SftOrder(size_t examples, uint64_t seed) : n_(examples), seed_(seed) {
  LLMKIT_CHECK(examples > 0, "SftOrder: no examples");
}

std::vector<size_t> SftOrder::permutation(int64_t epoch) const {
  std::vector<size_t> p(n_);
  for (size_t i = 0; i < n_; ++i) p[i] = i;
  uint64_t state = seed_ * 0x2545f4914f6cdd1dULL + static_cast<uint64_t>(epoch) + 1;
  for (size_t i = n_; i > 1; --i) {
    const size_t j = splitmix64(state) % i;
    std::swap(p[i - 1], p[j]);
  }
  return p;
}

std::vector<size_t> SftOrder::batch(int64_t index, int64_t batch_size) const {
  std::vector<size_t> out;
  for (int64_t k = 0; k < batch_size; ++k) {
    const int64_t g = index * batch_size + k;
    const int64_t epoch = g / static_cast<int64_t>(n_);
    if (epoch != cached_epoch_) {
      cached_ = permutation(epoch);
      cached_epoch_ = epoch;
    }
    out.push_back(cached_[static_cast<size_t>(g % static_cast<int64_t>(n_))]);
  }
  return out;
}

SftObjective::SftObjective(std::shared_ptr<const std::vector<SftExample>> examples, int64_t batch,
                           int64_t seq, uint64_t seed, int32_t pad_id)
    : examples_(std::move(examples)),
      batch_(batch),
      seq_(seq),
      pad_id_(pad_id),
      order_(examples_ ? examples_->size() : 0, seed) {
  LLMKIT_CHECK(batch_ > 0 && seq_ > 0, "SftObjective: batch and seq must be positive");
}

TrainingObjective::Terms SftObjective::loss(const models::TransformerLM& model, const Batch&,
                                            int64_t batch_index) {
  std::vector<const SftExample*> rows;
  for (size_t i : order_.batch(batch_index, batch_)) rows.push_back(&(*examples_)[i]);
  Batch b = make_sft_batch(rows, seq_, pad_id_);
  std::vector<int32_t> tg = b.targets.to_int_vector();
  const auto trained = std::count_if(tg.begin(), tg.end(), [](int32_t v) { return v >= 0; });
  LLMKIT_CHECK(trained > 0, "finetune: micro-batch ", batch_index,
               " has no assistant tokens to train on");
  Terms terms;
  terms.loss = cross_entropy(model.forward(b.inputs), b.targets, kIgnore);
  terms.metrics.push_back({"sft_tokens", static_cast<double>(trained)});
  return terms;
}

EvalResult evaluate_sft(const models::TransformerLM& model, const std::vector<SftExample>& examples,
                        int64_t batch, int64_t seq, int32_t pad_id) {
  autograd::NoGradGuard no_grad;
  double loss_sum = 0.0;
  int64_t correct = 0, tokens = 0;
  for (size_t first = 0; first < examples.size(); first += static_cast<size_t>(batch)) {
    std::vector<const SftExample*> rows;
    for (size_t i = first; i < std::min(examples.size(), first + batch); ++i) {
      rows.push_back(&examples[i]);
    }
    Batch b = make_sft_batch(rows, seq, pad_id);
    std::vector<int32_t> tg = b.targets.to_int_vector();
    const auto n = std::count_if(tg.begin(), tg.end(), [](int32_t v) { return v >= 0; });
    if (n == 0) continue;
    Tensor logits = model.forward(b.inputs);  // [B, T, V]
    loss_sum += static_cast<double>(cross_entropy(logits, b.targets, kIgnore).item()) * n;
    std::vector<int32_t> pred = argmax(logits, -1).to_int_vector();
    for (size_t i = 0; i < tg.size(); ++i) correct += tg[i] >= 0 && pred[i] == tg[i];
    tokens += n;
  }
  return make_eval_result(loss_sum, correct, tokens);
}

void write_sft_shards(const std::string& dir, const std::vector<SftExample>& train_examples,
                      const std::vector<SftExample>& val_examples,
                      const tokenizer::Tokenizer& tokenizer, const std::string& tokenizer_path) {
  LLMKIT_CHECK(!train_examples.empty() && !val_examples.empty(), "finetune: the train (",
               train_examples.size(), ") or validation (", val_examples.size(),
               ") conversations are empty; give more conversations");
  std::filesystem::create_directories(dir);
  ShardManifest m;
  m.n_vocab = tokenizer.n_vocab();
  m.width = token_width_for_vocab(m.n_vocab);
  m.bos_id = std::max(tokenizer.bos_id(), 0);
  m.tokenizer_path = tokenizer_path;
  m.tokenizer_fingerprint = tokenizer.fingerprint();
  m.val_fraction = static_cast<double>(val_examples.size()) /
                   static_cast<double>(train_examples.size() + val_examples.size());
  m.shard_tokens = int64_t{16} << 20;
  auto write = [&](const char* prefix, const std::vector<SftExample>& examples) {
    ShardWriter w(dir, prefix, m.width, m.shard_tokens);
    for (const SftExample& e : examples) {
      // add_document writes the BOS itself; an example starting with it gives the rest.
      const bool has_bos = !e.ids.empty() && e.ids.front() == m.bos_id;
      w.add_document(m.bos_id, std::span<const int32_t>(e.ids).subspan(has_bos ? 1 : 0));
    }
    return w.finish();
  };
  m.train = write("train", train_examples);
  m.val = write("val", val_examples);
  write_file_atomic(dir + "/manifest.json", m.to_json());
  remove_stale_shards(dir, m);
}

}  // namespace llmkit::train
