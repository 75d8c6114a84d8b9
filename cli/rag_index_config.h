// What `llmkit rag` keeps beside an index (DIR/rag.json): which embedder made its vectors (so
// search and ask embed queries with the same one), and how it was split. Written atomically.
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "cli/model_args.h"
#include "llmkit/chain/chat_model.h"
#include "llmkit/rag/embedder_loader.h"
#include "llmkit/rag/retriever.h"
#include "llmkit/rag/vector_store.h"

namespace llmkit::cli {

struct RagIndexConfig {
  std::optional<rag::EmbedderSpec> embedder;  // none: BM25 only
  size_t chunk_size = 500;
  size_t overlap = 100;
};

// DIR/rag.json, or nullopt when the folder has none.
std::optional<RagIndexConfig> read_rag_config(const std::string& db);
void write_rag_config(const std::string& db, const RagIndexConfig& config);

// The embedded default embedder made by `make run` (runs/main/embedder/embedder.gguf, found from
// the working folder or beside the llmkit binary's build folder), or $LLMKIT_EMBEDDER when set;
// "" when none exists.
std::string default_embedder_path();

// An opened index with its query embedder (null for BM25-only indexes). Throws Error(kNotFound)
// naming the folder when it holds no index.
struct OpenedIndex {
  std::shared_ptr<rag::VectorStore> store;
  std::shared_ptr<const chain::Embeddings> embeddings;
  RagIndexConfig config;
};
OpenedIndex open_rag_index(const std::string& db, int threads);

// A retriever over the index: mode dense, bm25, hybrid (dense + BM25 fused by reciprocal rank)
// or mmr; "" chooses hybrid when the index has vectors, else bm25. Throws
// Error(kInvalidArgument) for an unknown mode or a vector mode on a BM25-only index.
// The dense list's weight in hybrid fusion (BM25's is 1) unless --dense-weight says otherwise;
// chosen on the development questions (docs/rag.md).
inline constexpr double kDefaultDenseWeight = 1.0;

// dense_weight: the dense list's weight in hybrid fusion (BM25's is 1).
rag::RetrieverPtr make_retriever(const OpenedIndex& index, std::string mode, size_t k,
                                 const rag::Filter& filter = {},
                                 double dense_weight = kDefaultDenseWeight);
// The mode "" resolves to.
std::string resolve_mode(const OpenedIndex& index, const std::string& mode);

// The local chat model that answers: args' model (memory report on stderr), its session bounded
// by args, chat_template_path's template ("" = the model's), at most max_tokens per answer.
chain::ChatModelPtr make_answer_model(const ModelArgs& args, const std::string& chat_template_path,
                                      int64_t max_tokens, float temperature);

}  // namespace llmkit::cli
