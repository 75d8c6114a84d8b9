// BatchDecoder: one forward step that appends tokens to several Sessions of the same model at once
// (continuous batching). Every weight matrix is read once for all the step's rows, which is what
// makes decoding N streams together cheaper than N single-token steps; attention of each row reads
// only its own session's cache. Logits equal those of Session::decode on each session alone (same
// kernels; a multi-row step uses the matmul path, like a prefill).
//
// Not thread-safe; the sessions must not be used by another thread during decode().
#pragma once
#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "llmkit/base/context.h"
#include "llmkit/infer/forward_pass.h"
#include "llmkit/infer/session.h"

namespace llmkit::infer {

class BatchDecoder {
 public:
  // max_rows: most tokens one step takes over all sessions (>= 1); n_threads as Context.
  BatchDecoder(std::shared_ptr<const Model> model, int64_t max_rows, int n_threads = 1);

  // Appends inputs[i] to *sessions[i] and returns the logits [n, V] (row-major) of each input's
  // last token, valid until the next call. The sessions must be distinct and of this model; each
  // input non-empty, with ids in [0, V), fitting its session's context; the inputs together at
  // most max_rows tokens. Otherwise throws Error naming the session index, and no session changes.
  std::span<const float> decode(std::span<Session* const> sessions,
                                std::span<const std::span<const int32_t>> inputs);

  int64_t max_rows() const { return buffers_.max_rows(); }
  const Model& model() const { return *model_; }

 private:
  std::shared_ptr<const Model> model_;
  Context context_;
  ForwardBuffers buffers_;
  std::vector<int32_t> tokens_;
  std::vector<ForwardSegment> segments_;
  std::vector<int64_t> rows_;
  std::vector<float> logits_;
};

}  // namespace llmkit::infer
