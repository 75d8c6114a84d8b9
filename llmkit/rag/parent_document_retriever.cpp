#include "llmkit/rag/parent_document_retriever.h"

#include <set>

#include "llmkit/base/error.h"
#include "llmkit/rag/vector_store.h"

namespace llmkit::rag {

ParentDocumentRetriever::ParentDocumentRetriever(RetrieverPtr child_retriever,
                                                 std::shared_ptr<const VectorStore> store, size_t k)
    : child_(std::move(child_retriever)), store_(std::move(store)), k_(k) {
  LLMKIT_CHECK(child_ != nullptr, "ParentDocumentRetriever: no child retriever given");
  LLMKIT_CHECK(store_ != nullptr, "ParentDocumentRetriever: no vector store given");
}

std::vector<SearchHit> ParentDocumentRetriever::invoke_impl(const std::string& question,
                                                            chain::RunContext& ctx) const {
  std::vector<SearchHit> out;
  std::set<int64_t> seen;
  for (const SearchHit& hit : child_->invoke(question, ctx.child_config())) {
    if (out.size() >= k_) break;
    auto child = store_->get_chunk(hit.chunk_id);
    if (!child || !child->parent_id) {
      if (seen.insert(hit.chunk_id).second) out.push_back(hit);
      continue;
    }
    if (!seen.insert(*child->parent_id).second) continue;
    auto parent = store_->get_chunk(*child->parent_id);
    if (!parent) continue;  // deleted meanwhile
    out.push_back(SearchHit{parent->id, hit.score, parent->chunk, parent->title});
  }
  return out;
}

}  // namespace llmkit::rag
