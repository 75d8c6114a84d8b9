// infer::Session: one conversation with a Model: its KV cache, the current position, and scratch
// buffers allocated once. Not thread-safe (one thread at a time); many sessions may share a Model.
//
// decode() appends tokens at position() .. position() + n - 1 and runs the fused forward: a batch
// of tokens goes through matrix-matrix kernels (prefill), a single token through matrix-vector
// kernels; attention reads the cache (causal, per-layer sliding window). Logits equal
// models::TransformerLM's on the same weights (f32: max |diff| <= 1e-4).
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "llmkit/base/context.h"
#include "llmkit/infer/kv_cache.h"
#include "llmkit/infer/model.h"

namespace llmkit::infer {

class ForwardBuffers;

struct SessionOptions {
  int64_t n_ctx = 0;      // context (KV cache) length; 0: min(model n_ctx, 4096)
  int64_t n_batch = 512;  // most tokens per forward step (longer inputs are split)
  int n_threads = 1;
  // Element type of the KV cache: f32 (exact) or f16 (half the memory, as llama.cpp's default).
  KvType kv_type = KvType::kF32;
};

class Session {
 public:
  // Throws Error(kInvalidArgument) for n_ctx < 1 or n_ctx > the model's n_ctx.
  Session(std::shared_ptr<const Model> model, const SessionOptions& options = {});

  // Appends tokens (ids in [0, n_vocab), position() + n <= n_ctx(), else Error naming them) and
  // returns the logits [V] of the last one. The span stays valid until the next call.
  std::span<const float> decode(std::span<const int32_t> tokens);
  // Same, writing the logits of every token into out [n, V] (row-major), and when hidden is not
  // null the final hidden states (after the output norm, the output matrix's input) into hidden
  // [n, C].
  void decode_all(std::span<const int32_t> tokens, float* out, float* hidden = nullptr);

  int64_t position() const { return position_; }
  int64_t n_ctx() const { return cache_.n_ctx(); }
  // Forgets everything after the first n tokens (0 <= n <= position(), else Error).
  void truncate(int64_t n);
  void reset() { truncate(0); }

  const Model& model() const { return *model_; }
  const Context& context() const { return context_; }
  const SessionOptions& options() const { return options_; }  // n_ctx, n_batch resolved

  // Bytes of the buffers a Session allocates besides its KV cache (activations for n_batch
  // tokens, RoPE tables, matrix-product scratch for n_threads threads, logits).
  static int64_t buffer_bytes(const Model& model, int64_t n_batch, int n_threads);

 private:
  // Throws for an empty input, an id outside [0, V) or a context overflow (nothing changes).
  void check_tokens(std::span<const int32_t> tokens) const;
  // One step of at most n_batch tokens at position_ (which the caller then advances). logits:
  // null (no output), [V] of the last token, or [T, V] when all_logits.
  // hidden: null, or [T, C] for the normed final hidden states (with all_logits only).
  void forward(std::span<const int32_t> tokens, float* logits, bool all_logits,
               float* hidden = nullptr);

  std::shared_ptr<const Model> model_;
  SessionOptions options_;
  Context context_;
  KvCache cache_;
  int64_t position_ = 0;
  std::vector<float> last_logits_;
  friend class BatchDecoder;  // appends to several sessions in one forward step
  std::shared_ptr<ForwardBuffers> scratch_;
};

}  // namespace llmkit::infer
