// Retrievers: runnables from a question to the passages most relevant to it, best first.
//   SearchHit                 one retrieved chunk with its score (meaning depends on the retriever)
//   Retriever                 chain::Runnable<std::string, std::vector<SearchHit>>
//   reciprocal_rank_fusion    fuses ranked lists: score(c) = sum over lists of 1 / (k + rank),
//                             rank counted from 1 (Cormack et al. 2009, k = 60)
// Implementations: store_retrievers.h (dense, BM25, MMR), hybrid_retriever.h,
// multi_query_retriever.h, parent_document_retriever.h.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "llmkit/chain/runnable.h"
#include "llmkit/rag/document.h"
#include "llmkit/rag/filter.h"

namespace llmkit::rag {

struct StoreHit;

struct SearchHit {
  int64_t chunk_id = 0;  // the store's chunk id
  double score = 0.0;    // higher is better; cosine, -bm25 or a fused score
  Chunk chunk;
  std::string title;  // the document's title
};

// Trace summary: chunk_id, score, source, begin, end, title (not the text).
void to_json(nlohmann::json& j, const SearchHit& hit);

SearchHit to_search_hit(const StoreHit& hit);
std::vector<SearchHit> to_search_hits(const std::vector<StoreHit>& hits);

using Retriever = chain::Runnable<std::string, std::vector<SearchHit>>;
using RetrieverPtr = std::shared_ptr<const Retriever>;

// What a store-backed retriever returns: the k best hits among the chunks passing filter.
struct RetrieverOptions {
  size_t k = 4;
  Filter filter;
};

// Fuses ranked lists by reciprocal rank (a chunk id counts once per list, at its best rank); the
// top_k fused hits, highest fused score first, ties by lower chunk id. A hit's score becomes its
// fused score; its other fields come from the first list that holds it.
// weights: one per list (score(c) = sum of w_list / (k + rank)); empty means all 1. Throws
// Error(kInvalidArgument) when the count differs from the lists'.
std::vector<SearchHit> reciprocal_rank_fusion(const std::vector<std::vector<SearchHit>>& lists,
                                              size_t top_k, double k = 60.0,
                                              const std::vector<double>& weights = {});

}  // namespace llmkit::rag
