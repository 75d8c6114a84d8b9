// Retrieval quality of an embedder on (query, passage) pairs: every distinct passage of the pairs
// is a candidate; each query ranks all candidates by cosine similarity (dot product of the
// normalised embeddings) and its gold passage's rank r (1-based; ties counted against it) scores
// recall@k = [r <= k] and reciprocal rank 1 / r, averaged over queries.
#pragma once

#include <cstdint>
#include <vector>

#include "llmkit/models/bert_model.h"
#include "llmkit/train/text_pairs.h"

namespace llmkit::train {

struct RetrievalEval {
  double recall_at_1 = 0.0;
  double recall_at_5 = 0.0;
  double mrr = 0.0;
  int64_t queries = 0;
  int64_t candidates = 0;
};

// Embeds in chunks of `batch` sequences without recording gradients.
RetrievalEval evaluate_retrieval(const models::BertModel& model,
                                 const std::vector<TokenizedPair>& pairs, int64_t batch = 64);

// The metrics from embeddings: queries [N, C], candidates [M, C] as float rows, gold[i] the
// candidate index of query i.
RetrievalEval score_retrieval(const std::vector<std::vector<float>>& queries,
                              const std::vector<std::vector<float>>& candidates,
                              const std::vector<size_t>& gold);

}  // namespace llmkit::train
