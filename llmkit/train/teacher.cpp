#include "llmkit/train/teacher.h"

#include <algorithm>
#include <cmath>
#include <filesystem>

#include "llmkit/base/error.h"
#include "llmkit/base/mmap_file.h"
#include "llmkit/infer/perplexity.h"
#include "llmkit/tokenizer/sentencepiece_tokenizer.h"
#include "llmkit/train/checkpoint.h"
#include "llmkit/train/shard_manifest.h"

namespace llmkit::train {
namespace fs = std::filesystem;

namespace {

uint64_t hash_file(const std::string& path, uint64_t h) {
  if (fs::file_size(path) == 0) return h;
  MappedFile file(path);
  return fnv1a64(file.data(), file.size(), h);
}

// A run folder (train/distill output) stands for its checkpoint.
std::string resolve_model_path(const std::string& path) {
  LLMKIT_CHECK_CODE(fs::exists(path), ErrorCode::kNotFound, "teacher '", path,
                    "' does not exist; pass a GGUF file, a model folder or a training run folder");
  if (fs::is_directory(path) && !fs::exists(fs::path(path) / "config.json")) {
    std::string ckpt = find_checkpoint(path);
    if (!ckpt.empty()) return ckpt;
  }
  return path;
}

}  // namespace

uint64_t file_checksum(const std::string& path) {
  if (!fs::is_directory(path)) return hash_file(path, kFnv1a64Offset);
  std::vector<std::string> names;
  for (const auto& entry : fs::directory_iterator(path)) {
    if (entry.is_regular_file()) names.push_back(entry.path().filename().string());
  }
  std::sort(names.begin(), names.end());
  uint64_t h = kFnv1a64Offset;
  for (const std::string& name : names) {
    h = fnv1a64(name.data(), name.size(), h);
    h = hash_file((fs::path(path) / name).string(), h);
  }
  return h;
}

std::unique_ptr<Teacher> Teacher::load(const std::string& path, int threads) {
  const std::string resolved = resolve_model_path(path);
  auto model = infer::Model::load(resolved);
  return std::make_unique<Teacher>(std::move(model), resolved, file_checksum(resolved), threads);
}

Teacher::Teacher(std::shared_ptr<const infer::Model> model, std::string path, uint64_t checksum,
                 int threads)
    : model_(std::move(model)), path_(std::move(path)), checksum_(checksum), threads_(threads) {
  LLMKIT_CHECK(model_ != nullptr, "Teacher: a model is required");
}

void check_same_vocabulary(const infer::Model& model, const std::string& model_path,
                           const TokenDataset& data) {
  const int64_t V = model.config().n_vocab;
  LLMKIT_CHECK(V >= data.n_vocab(), "teacher '", model_path, "' has a vocabulary of ", V,
               " tokens but the data in '", data.dir(), "' uses ", data.n_vocab(),
               "; student and teacher must share the vocabulary");
  const tokenizer::Tokenizer* tok = model.tokenizer();
  if (tok == nullptr || tok->fingerprint() == data.tokenizer_fingerprint()) return;
  // A tokenizer rebuilt from GGUF metadata serializes differently: compare the pieces.
  const std::string& data_tok_path = data.manifest().tokenizer_path;
  std::string why;
  try {
    auto data_tok = tokenizer::SentencePieceTokenizer::load(data_tok_path);
    LLMKIT_CHECK(data_tok.fingerprint() == data.tokenizer_fingerprint(), "the tokenizer file '",
                 data_tok_path, "' changed since the data was prepared");
    for (int32_t id = 0; id < data.n_vocab() && why.empty(); ++id) {
      if (id >= tok->n_vocab() || tok->id_to_piece(id) != data_tok.id_to_piece(id)) {
        why = str_cat("token ", id, " is '", data_tok.id_to_piece(id),
                      "' in the data's tokenizer '", data_tok_path, "' but ",
                      id < tok->n_vocab() ? "'" + tok->id_to_piece(id) + "'" : "missing",
                      " in the teacher's");
      }
    }
    if (why.empty()) return;
  } catch (const Error& e) {
    why = str_cat("its tokenizer (fingerprint ", hex64(tok->fingerprint()),
                  ") could not be compared with the data's (", hex64(data.tokenizer_fingerprint()),
                  "): ", e.what());
  }
  LLMKIT_CHECK(false, "teacher '", model_path, "' uses another vocabulary than the data in '",
               data.dir(), "': ", why,
               ". Student and teacher must share the vocabulary: prepare the data with the "
               "teacher's tokenizer");
}

void Teacher::check_vocabulary(const TokenDataset& data) const {
  check_same_vocabulary(*model_, path_, data);
}

std::vector<float> Teacher::logits(const Tensor& inputs, std::vector<float>* hidden) {
  LLMKIT_CHECK(inputs.dtype() == DType::kI32 && inputs.dim() == 2,
               "Teacher::logits: inputs must be i32 [B, T], got ", describe(inputs));
  const int64_t B = inputs.size(0), T = inputs.size(1), V = n_vocab();
  if (!session_ || session_->n_ctx() < T) {
    infer::SessionOptions so;
    so.n_ctx = std::max<int64_t>(T, 1);
    so.n_batch = std::max<int64_t>(T, 1);
    so.n_threads = threads_;
    session_ = std::make_unique<infer::Session>(model_, so);
  }
  std::vector<int32_t> ids = inputs.to_int_vector();
  std::vector<float> out(static_cast<size_t>(B * T * V));
  const int64_t C = n_embd();
  if (hidden != nullptr) hidden->resize(static_cast<size_t>(B * T * C));
  for (int64_t b = 0; b < B; ++b) {
    session_->reset();
    session_->decode_all(std::span<const int32_t>(ids.data() + b * T, static_cast<size_t>(T)),
                         out.data() + b * T * V, hidden ? hidden->data() + b * T * C : nullptr);
  }
  return out;
}

EvalResult evaluate_teacher(Teacher& teacher, const std::vector<Batch>& batches) {
  const int64_t V = teacher.n_vocab();
  double loss_sum = 0.0;
  int64_t correct = 0, tokens = 0;
  for (const Batch& b : batches) {
    std::vector<float> logits = teacher.logits(b.inputs);
    std::vector<int32_t> truth = b.targets.to_int_vector();
    for (size_t r = 0; r < truth.size(); ++r) {
      std::span<const float> row(logits.data() + static_cast<int64_t>(r) * V,
                                 static_cast<size_t>(V));
      const int64_t best = std::max_element(row.begin(), row.end()) - row.begin();
      loss_sum += infer::token_nll(row, truth[r]);
      correct += best == truth[r];
      ++tokens;
    }
  }
  return make_eval_result(loss_sum, correct, tokens);
}

}  // namespace llmkit::train
