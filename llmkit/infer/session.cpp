// Session: input checks, buffers allocated once, and the fused forward pass (forward_pass.h) on
// one segment: the session's own tokens at positions position_ .. position_ + T - 1.
#include "llmkit/infer/session.h"

#include <algorithm>
#include <numeric>
#include <utility>

#include "llmkit/base/error.h"
#include "llmkit/infer/forward_pass.h"

namespace llmkit::infer {

int64_t Session::buffer_bytes(const Model& model, int64_t n_batch, int n_threads) {
  return ForwardBuffers::bytes(model, n_batch, n_threads) + 4 * model.config().n_vocab;
}

Session::Session(std::shared_ptr<const Model> model, const SessionOptions& options)
    : model_(std::move(model)), options_(options), context_(options.n_threads) {
  LLMKIT_CHECK(model_ != nullptr, "Session: the model is null");
  const models::ModelConfig& c = model_->config();
  if (options_.n_ctx == 0) options_.n_ctx = std::min<int64_t>(c.n_ctx, 4096);
  LLMKIT_CHECK(options_.n_ctx >= 1 && options_.n_ctx <= c.n_ctx, "Session: context length ",
               options_.n_ctx, " must be in [1, ", c.n_ctx, "] (the model's n_ctx)");
  LLMKIT_CHECK(options_.n_batch >= 1, "Session: n_batch must be >= 1, got ", options_.n_batch);
  options_.n_batch = std::min(options_.n_batch, options_.n_ctx);
  options_.n_threads = context_.n_threads();
  cache_ = KvCache(c.n_layer, c.n_head_kv, c.head_dim, options_.n_ctx, options_.kv_type);
  scratch_ = std::make_shared<ForwardBuffers>(*model_, options_.n_batch, options_.n_threads);
  last_logits_.resize(static_cast<size_t>(c.n_vocab));
}

void Session::check_tokens(std::span<const int32_t> tokens) const {
  const models::ModelConfig& c = model_->config();
  LLMKIT_CHECK(!tokens.empty(), "Session::decode: no tokens to decode");
  for (size_t i = 0; i < tokens.size(); ++i) {
    LLMKIT_CHECK_CODE(tokens[i] >= 0 && tokens[i] < c.n_vocab, ErrorCode::kOutOfRange,
                      "Session::decode: token id ", tokens[i], " (input index ", i,
                      ") is outside the vocabulary [0, ", c.n_vocab, ")");
  }
  const int64_t n = static_cast<int64_t>(tokens.size());
  LLMKIT_CHECK_CODE(position_ + n <= n_ctx(), ErrorCode::kOutOfRange,
                    "Session::decode: the context is full: ", n, " more token(s) at position ",
                    position_, " need ", position_ + n, " positions but the context holds ",
                    n_ctx(), "; raise --ctx (the model allows up to ", c.n_ctx,
                    ") or start over (reset / a new session)");
}

std::span<const float> Session::decode(std::span<const int32_t> tokens) {
  check_tokens(tokens);
  const int64_t n = static_cast<int64_t>(tokens.size());
  for (int64_t begin = 0; begin < n; begin += options_.n_batch) {
    const int64_t count = std::min(options_.n_batch, n - begin);
    const bool last = begin + count == n;
    forward(tokens.subspan(begin, count), last ? last_logits_.data() : nullptr, false);
    position_ += count;
  }
  return last_logits_;
}

void Session::decode_all(std::span<const int32_t> tokens, float* out, float* hidden) {
  check_tokens(tokens);
  LLMKIT_CHECK(out != nullptr, "Session::decode_all: null output buffer");
  const int64_t n = static_cast<int64_t>(tokens.size());
  const int64_t V = model_->config().n_vocab;
  for (int64_t begin = 0; begin < n; begin += options_.n_batch) {
    const int64_t count = std::min(options_.n_batch, n - begin);
    forward(tokens.subspan(begin, count), out + begin * V, true,
            hidden ? hidden + begin * model_->config().n_embd : nullptr);
    position_ += count;
  }
}

void Session::truncate(int64_t n) {
  LLMKIT_CHECK_CODE(n >= 0 && n <= position_, ErrorCode::kOutOfRange, "Session::truncate: ", n,
                    " is outside [0, ", position_, "] (the current position)");
  position_ = n;  // later positions are overwritten before they are read again
}

void Session::forward(std::span<const int32_t> tokens, float* logits, bool all_logits,
                      float* hidden) {
  const int64_t T = static_cast<int64_t>(tokens.size());
  Context::Scope scope(context_);
  const ForwardSegment segment{&cache_, position_, T};
  std::vector<int64_t> rows;
  if (logits != nullptr) {
    rows.resize(all_logits ? T : 1);
    std::iota(rows.begin(), rows.end(), all_logits ? 0 : T - 1);
  }
  forward_rows(*model_, *scratch_, tokens, std::span(&segment, 1), rows, logits,
               all_logits ? hidden : nullptr);
}

}  // namespace llmkit::infer
