#include "llmkit/infer/batch_decoder.h"

#include <algorithm>
#include <utility>

#include "llmkit/base/error.h"

namespace llmkit::infer {
namespace {

// Steps of up to this many rows (decode rows of several sessions) go through the matvec kernels:
// each row then equals Session::decode of that token alone; longer steps (prefill chunks) use
// matmul as a Session's prefill does.
constexpr int64_t kMatvecRowsMax = 32;

const Model& non_null(const std::shared_ptr<const Model>& model) {
  LLMKIT_CHECK(model != nullptr, "BatchDecoder: the model is null");
  return *model;
}

}  // namespace

BatchDecoder::BatchDecoder(std::shared_ptr<const Model> model, int64_t max_rows, int n_threads)
    : model_(std::move(model)),
      context_(n_threads),
      buffers_(non_null(model_), max_rows, context_.n_threads()) {}

std::span<const float> BatchDecoder::decode(std::span<Session* const> sessions,
                                            std::span<const std::span<const int32_t>> inputs) {
  LLMKIT_CHECK(sessions.size() == inputs.size(), "BatchDecoder::decode: ", sessions.size(),
               " sessions but ", inputs.size(), " inputs; give one input per session");
  LLMKIT_CHECK(!sessions.empty(), "BatchDecoder::decode: no sessions to decode");
  int64_t total = 0;
  for (size_t i = 0; i < sessions.size(); ++i) {
    Session* s = sessions[i];
    LLMKIT_CHECK(s != nullptr, "BatchDecoder::decode: session ", i, " is null");
    LLMKIT_CHECK(&s->model() == model_.get(), "BatchDecoder::decode: session ", i,
                 " belongs to another model; batch only sessions of the decoder's model");
    LLMKIT_CHECK(std::count(sessions.begin(), sessions.end(), s) == 1,
                 "BatchDecoder::decode: session ", i, " appears more than once");
    try {
      s->check_tokens(inputs[i]);
    } catch (const Error& e) {
      throw Error(e.code(), "BatchDecoder::decode: session " + std::to_string(i) + ": " +
                                std::string(e.what()));
    }
    total += static_cast<int64_t>(inputs[i].size());
  }
  LLMKIT_CHECK(total <= buffers_.max_rows(), "BatchDecoder::decode: ", total,
               " tokens exceed the step's limit of ", buffers_.max_rows(),
               " (max_rows); split the inputs over several steps");

  tokens_.clear();
  segments_.clear();
  rows_.clear();
  for (size_t i = 0; i < sessions.size(); ++i) {
    const int64_t n = static_cast<int64_t>(inputs[i].size());
    tokens_.insert(tokens_.end(), inputs[i].begin(), inputs[i].end());
    segments_.push_back({&sessions[i]->cache_, sessions[i]->position_, n});
    rows_.push_back(static_cast<int64_t>(tokens_.size()) - 1);
  }
  const int64_t V = model_->config().n_vocab;
  logits_.resize(sessions.size() * V);
  {
    Context::Scope scope(context_);
    forward_rows(*model_, buffers_, tokens_, segments_, rows_, logits_.data(), nullptr,
                 kMatvecRowsMax);
  }
  for (size_t i = 0; i < sessions.size(); ++i) {
    sessions[i]->position_ += static_cast<int64_t>(inputs[i].size());
  }
  return logits_;
}

}  // namespace llmkit::infer
