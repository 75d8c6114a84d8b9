// Indexing sources into a VectorStore: list -> skip unchanged (content hash) -> load -> split ->
// embed (EmbeddingPipeline, cached) -> one atomic commit.
//
// Contract:
//   - A file whose raw-bytes hash equals the stored document's content_hash is not loaded,
//     split or embedded again (unchanged). A changed file replaces its document; a new one is
//     added. With remove_missing, indexed documents that lie under a directory given in `paths`
//     but no longer exist there are deleted.
//   - Unreadable, binary, unsupported or corrupt files are reported in IndexReport::skipped and
//     never stop the run.
//   - All changes land in one VectorStore commit at the end: an interrupted run leaves the index
//     as it was, and (with the pipeline's cache) a rerun re-embeds nothing already embedded.
//   - Without an embedding pipeline (BM25-only index, store dim 0) chunks are stored without
//     vectors.
//   - Splitting: documents with headings (Markdown, HTML) go through MarkdownHeaderSplitter, the
//     others through TextSplitter; with `parents` set, parent-document mode: small chunks
//     (`split`) are searched, their parents (`*parents`) are stored beside them.
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "llmkit/rag/directory_loader.h"
#include "llmkit/rag/embedding_pipeline.h"
#include "llmkit/rag/text_splitter.h"
#include "llmkit/rag/vector_store.h"

namespace llmkit::tokenizer {
class Tokenizer;
}

namespace llmkit::rag {

struct IndexOptions {
  LoadOptions load;
  SplitOptions split{.chunk_size = 500, .overlap = 100};
  const tokenizer::Tokenizer* tokenizer = nullptr;  // token-aware lengths when set
  bool split_by_headings = true;
  std::optional<SplitOptions> parents;
  bool remove_missing = true;
  bool progress = false;  // a progress bar over the files on stderr
};

struct IndexReport {
  int64_t added = 0, updated = 0, unchanged = 0, removed = 0;
  int64_t chunks = 0;                                        // searchable chunks written
  std::vector<std::pair<std::string, std::string>> skipped;  // (path, reason)
  EmbeddingPipelineStats embedding;
  double seconds = 0.0;
  int64_t generation = 0;  // the store's generation after the commit
};

// The chunks (and, in parent mode, parents with each chunk's parent index) of one document.
DocumentEntry split_document(const Document& doc, const IndexOptions& options);

// Indexes `paths` (files or directories) into store. pipeline may be null (BM25 only; then the
// store's dim must be 0). Throws only for store or embedder failures (the index is then
// unchanged).
IndexReport index_paths(VectorStore& store, EmbeddingPipeline* pipeline,
                        const std::vector<std::string>& paths, const IndexOptions& options);

}  // namespace llmkit::rag
