#include "llmkit/rag/store_retrievers.h"

#include "llmkit/base/error.h"
#include "llmkit/prompt/example_selector.h"
#include "llmkit/rag/vector_store.h"

namespace llmkit::rag {

std::vector<float> embed_query(const chain::Embeddings& embeddings, const std::string& text) {
  auto vectors = embeddings.embed({text});
  LLMKIT_CHECK(vectors.size() == 1, "the embedder returned ", vectors.size(),
               " vectors for one question");
  LLMKIT_CHECK(static_cast<int>(vectors[0].size()) == embeddings.dim(), "the embedder returned ",
               vectors[0].size(), " floats, but its dim() is ", embeddings.dim());
  return std::move(vectors[0]);
}

namespace {
void check_parts(const void* store, const void* embeddings, const char* who) {
  LLMKIT_CHECK(store != nullptr, who, ": no vector store given");
  LLMKIT_CHECK(embeddings != nullptr, who, ": no embeddings given");
}
}  // namespace

DenseRetriever::DenseRetriever(std::shared_ptr<const VectorStore> store,
                               std::shared_ptr<const chain::Embeddings> embeddings,
                               RetrieverOptions options)
    : store_(std::move(store)), embeddings_(std::move(embeddings)), options_(std::move(options)) {
  check_parts(store_.get(), embeddings_.get(), "DenseRetriever");
}

std::vector<SearchHit> DenseRetriever::invoke_impl(const std::string& question,
                                                   chain::RunContext&) const {
  return to_search_hits(
      store_->search_dense(embed_query(*embeddings_, question), options_.k, options_.filter));
}

Bm25Retriever::Bm25Retriever(std::shared_ptr<const VectorStore> store, RetrieverOptions options)
    : store_(std::move(store)), options_(std::move(options)) {
  LLMKIT_CHECK(store_ != nullptr, "Bm25Retriever: no vector store given");
}

std::vector<SearchHit> Bm25Retriever::invoke_impl(const std::string& question,
                                                  chain::RunContext&) const {
  return to_search_hits(store_->search_bm25(question, options_.k, options_.filter));
}

MmrRetriever::MmrRetriever(std::shared_ptr<const VectorStore> store,
                           std::shared_ptr<const chain::Embeddings> embeddings, MmrOptions options)
    : store_(std::move(store)), embeddings_(std::move(embeddings)), options_(std::move(options)) {
  check_parts(store_.get(), embeddings_.get(), "MmrRetriever");
  LLMKIT_CHECK(options_.lambda >= 0.0 && options_.lambda <= 1.0, "MmrRetriever: lambda ",
               options_.lambda, " outside [0, 1]");
}

std::vector<SearchHit> MmrRetriever::invoke_impl(const std::string& question,
                                                 chain::RunContext&) const {
  const std::vector<float> query = embed_query(*embeddings_, question);
  const auto candidates =
      store_->search_dense(query, std::max(options_.fetch_k, options_.k), options_.filter);
  std::vector<std::vector<float>> vectors;
  vectors.reserve(candidates.size());
  for (const auto& c : candidates) vectors.push_back(store_->get_embedding(c.chunk.id));
  std::vector<SearchHit> out;
  for (size_t i : prompt::maximal_marginal_relevance(query, vectors, options_.k, options_.lambda)) {
    out.push_back(to_search_hit(candidates[i]));
  }
  return out;
}

}  // namespace llmkit::rag
