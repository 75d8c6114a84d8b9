// MultiQueryRetriever: a chat model rewrites the question into n differently worded variants
// (one per line of its answer), the base retriever runs on the question and on every variant,
// and the lists are fused by reciprocal rank (retriever.h). Recovers passages that a single
// wording misses.
#pragma once

#include <string>
#include <vector>

#include "llmkit/chain/chat_model.h"
#include "llmkit/rag/retriever.h"

namespace llmkit::rag {

struct MultiQueryOptions {
  int n_variants = 3;
  size_t k = 4;
  double rrf_k = 60.0;
  bool include_original = true;  // also retrieve with the question as asked
};

// The prompt sent to the model (one user message).
std::string multi_query_prompt(const std::string& question, int n_variants);
// The variants in a model answer: one per non-empty line, list markers ("1.", "2)", "-", "*")
// and surrounding quotes stripped, duplicates (and the question itself) dropped, at most n.
std::vector<std::string> parse_query_variants(const std::string& answer,
                                              const std::string& question, int n);

class MultiQueryRetriever : public Retriever {
 public:
  MultiQueryRetriever(RetrieverPtr base, chain::ChatModelPtr model, MultiQueryOptions options = {});
  std::string name() const override { return "MultiQueryRetriever"; }

 protected:
  std::vector<SearchHit> invoke_impl(const std::string& question,
                                     chain::RunContext& ctx) const override;

 private:
  RetrieverPtr base_;
  chain::ChatModelPtr model_;
  MultiQueryOptions options_;
};

}  // namespace llmkit::rag
