// HybridRetriever: runs several retrievers on the same question (typically a DenseRetriever and
// a Bm25Retriever, each asked for more than k hits) and fuses their lists by reciprocal rank
// (retriever.h), returning the k best. Each inner retriever is a child run.
#pragma once

#include <string>
#include <vector>

#include "llmkit/rag/retriever.h"

namespace llmkit::rag {

class HybridRetriever : public Retriever {
 public:
  // Throws Error(kInvalidArgument) when retrievers is empty or holds a null.
  // weights: one per retriever (weighted reciprocal rank fusion, as LangChain's
  // EnsembleRetriever); empty: equal weights. Throws Error(kInvalidArgument) when the count
  // differs or a weight is negative.
  HybridRetriever(std::vector<RetrieverPtr> retrievers, size_t k = 4, double rrf_k = 60.0,
                  std::vector<double> weights = {});
  std::string name() const override { return "HybridRetriever"; }

 protected:
  std::vector<SearchHit> invoke_impl(const std::string& question,
                                     chain::RunContext& ctx) const override;

 private:
  std::vector<RetrieverPtr> retrievers_;
  size_t k_;
  double rrf_k_;
  std::vector<double> weights_;
};

}  // namespace llmkit::rag
