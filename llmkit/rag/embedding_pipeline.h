// EmbeddingPipeline: embeds many texts (chunks) through a chain::Embeddings in batches, several
// batches at once, with an optional progress bar and an on-disk cache so that re-indexing
// unchanged text costs no model calls.
//
// Cache: an SQLite file, table embedding_cache(embedder, text_hash, vector BLOB) keyed by the
// embedder id and content_hash(text) (XXH3-128). Each finished batch is committed at once, so
// an interrupted run keeps what it computed. Vectors are stored as the embedder returned them.
//
// Thread safety: embed() calls on one pipeline are serialised; with threads > 1 the Embeddings'
// embed() is called from several threads at once and must allow it.
#pragma once

#include <cstddef>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "llmkit/chain/chat_model.h"

namespace llmkit::rag {

class Db;

struct EmbeddingPipelineOptions {
  size_t batch_size = 32;  // texts per embed() call
  int threads = 1;         // embed() calls in flight at once
  std::string cache_path;  // the cache's SQLite file; "" for no cache
  bool progress = false;   // a progress bar on stderr
  std::string label = "embed";
};

struct EmbeddingPipelineStats {
  size_t texts = 0;       // texts asked for
  size_t cache_hits = 0;  // served from the cache (or a duplicate in the same call)
  size_t embedded = 0;    // sent to the embedder
};

class EmbeddingPipeline {
 public:
  // embedder_id names the model (and its settings) in the cache: different ids never share
  // vectors. Throws Error(kInvalidArgument) for a null embedder or batch_size/threads < 1,
  // Error(kIo) when the cache file cannot be opened.
  EmbeddingPipeline(std::shared_ptr<const chain::Embeddings> embeddings, std::string embedder_id,
                    EmbeddingPipelineOptions options = {});
  ~EmbeddingPipeline();

  // One vector of dim() floats per text, in order. Throws Error(kInvalidArgument) when the
  // embedder returns the wrong number or size of vectors (or non-finite values).
  std::vector<std::vector<float>> embed(const std::vector<std::string>& texts);

  int dim() const { return embeddings_->dim(); }
  const std::string& embedder_id() const { return embedder_id_; }
  // Cumulative over all embed() calls.
  EmbeddingPipelineStats stats() const;

 private:
  std::shared_ptr<const chain::Embeddings> embeddings_;
  std::string embedder_id_;
  EmbeddingPipelineOptions options_;
  std::unique_ptr<Db> cache_;
  mutable std::mutex mutex_;
  EmbeddingPipelineStats stats_;
};

}  // namespace llmkit::rag
