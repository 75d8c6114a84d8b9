// ParentDocumentRetriever: searches small chunks (precise matches) with a child retriever and
// returns their larger parent chunks (enough context to answer), stored beside them by
// VectorStore::Writer::add_document (DocumentEntry::parents / parent_of). A parent reached by
// several children appears once, at the rank of its best child, with that child's score; a child
// without a parent is returned as it is. At most k hits.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "llmkit/rag/retriever.h"

namespace llmkit::rag {

class VectorStore;

class ParentDocumentRetriever : public Retriever {
 public:
  ParentDocumentRetriever(RetrieverPtr child_retriever, std::shared_ptr<const VectorStore> store,
                          size_t k = 4);
  std::string name() const override { return "ParentDocumentRetriever"; }

 protected:
  std::vector<SearchHit> invoke_impl(const std::string& question,
                                     chain::RunContext& ctx) const override;

 private:
  RetrieverPtr child_;
  std::shared_ptr<const VectorStore> store_;
  size_t k_;
};

}  // namespace llmkit::rag
