#include "llmkit/rag/hybrid_retriever.h"

#include "llmkit/base/error.h"

namespace llmkit::rag {

HybridRetriever::HybridRetriever(std::vector<RetrieverPtr> retrievers, size_t k, double rrf_k,
                                 std::vector<double> weights)
    : retrievers_(std::move(retrievers)), k_(k), rrf_k_(rrf_k), weights_(std::move(weights)) {
  LLMKIT_CHECK(weights_.empty() || weights_.size() == retrievers_.size(),
               "HybridRetriever: ", weights_.size(), " weights for ", retrievers_.size(),
               " retrievers");
  for (double w : weights_) LLMKIT_CHECK(w >= 0.0, "HybridRetriever: weight ", w, " is negative");
  LLMKIT_CHECK(!retrievers_.empty(), "HybridRetriever: give at least one retriever");
  for (const auto& r : retrievers_) LLMKIT_CHECK(r != nullptr, "HybridRetriever: null retriever");
  LLMKIT_CHECK(rrf_k_ >= 0.0, "HybridRetriever: rrf k ", rrf_k_, " must be >= 0");
}

std::vector<SearchHit> HybridRetriever::invoke_impl(const std::string& question,
                                                    chain::RunContext& ctx) const {
  std::vector<std::vector<SearchHit>> lists;
  for (const auto& r : retrievers_) lists.push_back(r->invoke(question, ctx.child_config()));
  return reciprocal_rank_fusion(lists, k_, rrf_k_, weights_);
}

}  // namespace llmkit::rag
