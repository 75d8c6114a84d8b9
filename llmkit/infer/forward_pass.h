// The fused inference forward over rows that may belong to several KV caches: a Session runs it
// on one segment (its own tokens at its own positions), a BatchDecoder on one segment per
// session, so the weight matrices are read once for every row of the step.
//
// Rows are the concatenation of the segments' tokens. Segment s owns rows
// [row0_s, row0_s + count_s) at positions pos0_s .. pos0_s + count_s - 1 of its cache; attention
// of a row reads only its own cache. Shapes per step: x [T, C], q [T, H*D], k/v [T, Hkv*D],
// gate/up [T, F] for T rows in total (T <= the buffers' max_rows).
#pragma once
#include <cstdint>
#include <span>
#include <vector>

#include "llmkit/infer/kv_cache.h"
#include "llmkit/infer/model.h"
#include "llmkit/infer/weight_matrix.h"

namespace llmkit::infer {

struct ForwardSegment {
  KvCache* cache = nullptr;
  int64_t pos0 = 0;   // position of the segment's first token
  int64_t count = 0;  // tokens (rows) of the segment, >= 1
};

// Activation buffers and tables for steps of up to max_rows rows, allocated once. Not thread-safe.
class ForwardBuffers {
 public:
  ForwardBuffers(const Model& model, int64_t max_rows, int n_threads);
  int64_t max_rows() const { return max_rows_; }
  // Bytes the buffers of a ForwardBuffers(model, max_rows, n_threads) take.
  static int64_t bytes(const Model& model, int64_t max_rows, int n_threads);

 private:
  friend void forward_rows(const Model&, ForwardBuffers&, std::span<const int32_t>,
                           std::span<const ForwardSegment>, std::span<const int64_t>, float*,
                           float*, int64_t);
  int64_t max_rows_ = 0;
  std::vector<float> x, xn, q, k, v, att, proj, gate, up;
  std::vector<float> rope_cos, rope_sin;      // [n_tables, max_rows, D/2]
  std::vector<std::vector<double>> inv_freq;  // per table
  std::vector<int> table_of_layer;
  MatmulScratch mm;
};

// One forward step on the current Context's threads: appends every segment's tokens to its cache
// and writes the logits of the rows listed in logit_rows (ascending, each < T) into
// logits [logit_rows.size(), V]; when hidden is not null also their normed final hidden states
// into hidden [logit_rows.size(), C]. tokens: [T] ids already checked against the vocabulary;
// the segments cover them in order and fit their caches (not checked here).
// matvec_rows_max: steps of at most this many rows multiply through the matvec kernels
// (WeightMatrix::matvec_rows: each row exactly as a single-token decode computes it); larger
// steps through matmul (prefill). A Session uses 1, a BatchDecoder more.
void forward_rows(const Model& model, ForwardBuffers& buffers, std::span<const int32_t> tokens,
                  std::span<const ForwardSegment> segments, std::span<const int64_t> logit_rows,
                  float* logits, float* hidden = nullptr, int64_t matvec_rows_max = 1);

}  // namespace llmkit::infer
