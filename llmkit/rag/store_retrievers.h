// Retrievers over one VectorStore:
//   DenseRetriever  embeds the question, returns the k most similar chunks (score: cosine)
//   Bm25Retriever   FTS5 BM25 over the chunk text (score: -bm25, higher is better)
//   MmrRetriever    the fetch_k most similar chunks, then k of them chosen by maximal marginal
//                   relevance (prompt::maximal_marginal_relevance, lambda) so that near-duplicate
//                   passages give way to different ones; in MMR order, score: cosine to the
//                   question
// The store and embeddings are shared and must allow concurrent const calls (VectorStore does).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "llmkit/chain/chat_model.h"
#include "llmkit/rag/retriever.h"

namespace llmkit::rag {

class VectorStore;

class DenseRetriever : public Retriever {
 public:
  DenseRetriever(std::shared_ptr<const VectorStore> store,
                 std::shared_ptr<const chain::Embeddings> embeddings,
                 RetrieverOptions options = {});
  std::string name() const override { return "DenseRetriever"; }

 protected:
  std::vector<SearchHit> invoke_impl(const std::string& question,
                                     chain::RunContext& ctx) const override;

 private:
  std::shared_ptr<const VectorStore> store_;
  std::shared_ptr<const chain::Embeddings> embeddings_;
  RetrieverOptions options_;
};

class Bm25Retriever : public Retriever {
 public:
  explicit Bm25Retriever(std::shared_ptr<const VectorStore> store, RetrieverOptions options = {});
  std::string name() const override { return "Bm25Retriever"; }

 protected:
  std::vector<SearchHit> invoke_impl(const std::string& question,
                                     chain::RunContext& ctx) const override;

 private:
  std::shared_ptr<const VectorStore> store_;
  RetrieverOptions options_;
};

struct MmrOptions {
  size_t k = 4;
  size_t fetch_k = 20;
  double lambda = 0.5;  // 1: pure similarity, 0: pure diversity
  Filter filter;
};

class MmrRetriever : public Retriever {
 public:
  MmrRetriever(std::shared_ptr<const VectorStore> store,
               std::shared_ptr<const chain::Embeddings> embeddings, MmrOptions options = {});
  std::string name() const override { return "MmrRetriever"; }

 protected:
  std::vector<SearchHit> invoke_impl(const std::string& question,
                                     chain::RunContext& ctx) const override;

 private:
  std::shared_ptr<const VectorStore> store_;
  std::shared_ptr<const chain::Embeddings> embeddings_;
  MmrOptions options_;
};

// The embedding of one text; throws Error(kInvalidArgument) naming the embedder's fault when it
// returns no vector or one of the wrong size.
std::vector<float> embed_query(const chain::Embeddings& embeddings, const std::string& text);

}  // namespace llmkit::rag
