// InfoNCE with in-batch negatives (the contrastive loss of dense retrievers: DPR, E5, GTE).
//
// queries q [N, C] and passages p [N, C], row i of each forming a positive pair and every other
// row of the batch a negative. With similarities S = q p^T / temperature [N, N]:
//   L_q2p = mean_i ( logsumexp_j S[i, j] - S[i, i] )       query -> passage
//   L_p2q = mean_j ( logsumexp_i S[i, j] - S[j, j] )       passage -> query
//   loss  = (L_q2p + L_p2q) / 2  when symmetric, else L_q2p                 (0-D)
// The embeddings are used as given (normalise them first for cosine similarity). Rows must not
// repeat a passage: a duplicate would be a false negative (the pair sampler avoids them).
#pragma once

#include "llmkit/tensor/tensor.h"

namespace llmkit::train {

// Throws Error(kInvalidArgument) for mismatched or non-2-D shapes, N < 1, or temperature <= 0.
Tensor contrastive_loss(const Tensor& queries, const Tensor& passages, float temperature,
                        bool symmetric = true);

}  // namespace llmkit::train
