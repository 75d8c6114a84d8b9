#include "cli/rag_index_config.h"

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include <nlohmann/json.hpp>

#include "llmkit/base/atomic_file.h"
#include "llmkit/base/error.h"
#include "llmkit/chain/local_chat_model.h"
#include "llmkit/rag/hybrid_retriever.h"
#include "llmkit/rag/store_retrievers.h"

namespace llmkit::cli {
namespace fs = std::filesystem;
using json = nlohmann::json;

std::optional<RagIndexConfig> read_rag_config(const std::string& db) {
  const fs::path path = fs::path(db) / "rag.json";
  std::error_code ec;
  if (!fs::exists(path, ec)) return std::nullopt;
  json j;
  try {
    j = json::parse(read_file(path.string()));
  } catch (const json::exception& e) {
    throw_error(ErrorCode::kCorruptData, str_cat("'", path.string(), "' is not valid JSON (",
                                                 e.what(), "); delete it and index again"));
  }
  RagIndexConfig config;
  config.chunk_size = j.value("chunk_size", size_t{500});
  config.overlap = j.value("overlap", size_t{100});
  if (j.contains("embedder") && j["embedder"].is_object()) {
    rag::EmbedderSpec spec;
    spec.path = j["embedder"].value("path", "");
    spec.pooling = j["embedder"].value("pooling", "mean");
    config.embedder = spec;
  }
  return config;
}

void write_rag_config(const std::string& db, const RagIndexConfig& config) {
  json j = {{"chunk_size", config.chunk_size}, {"overlap", config.overlap}};
  if (config.embedder) {
    j["embedder"] = {{"path", config.embedder->path}, {"pooling", config.embedder->pooling}};
  } else {
    j["embedder"] = nullptr;
  }
  write_file_atomic((fs::path(db) / "rag.json").string(), j.dump(2) + "\n");
}

std::string default_embedder_path() {
  if (const char* env = std::getenv("LLMKIT_EMBEDDER"); env != nullptr && *env != '\0') {
    return env;
  }
  const fs::path relative = fs::path("runs") / "main" / "embedder" / "embedder.gguf";
  std::error_code ec;
  if (fs::exists(relative, ec)) return relative.string();
  // build/release/llmkit -> <repo>/runs/main/embedder/embedder.gguf
  const fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  if (!ec) {
    const fs::path beside = exe.parent_path().parent_path().parent_path() / relative;
    if (fs::exists(beside, ec)) return beside.string();
  }
  return "";
}

OpenedIndex open_rag_index(const std::string& db, int threads) {
  std::error_code ec;
  LLMKIT_CHECK_CODE(fs::exists(fs::path(db) / "index.sqlite", ec), ErrorCode::kNotFound, "'", db,
                    "' holds no index; create one with `llmkit rag index PATH... --db ", db, "`");
  OpenedIndex out;
  out.config = read_rag_config(db).value_or(RagIndexConfig{});
  out.store = rag::VectorStore::open(db);
  if (out.config.embedder && out.store->dim() > 0) {
    rag::EmbedderSpec spec = *out.config.embedder;
    spec.threads = threads;
    out.embeddings = rag::load_embedder(spec).embeddings;
  }
  return out;
}

std::string resolve_mode(const OpenedIndex& index, const std::string& mode) {
  if (!mode.empty()) return mode;
  return index.embeddings ? "hybrid" : "bm25";
}

rag::RetrieverPtr make_retriever(const OpenedIndex& index, std::string mode, size_t k,
                                 const rag::Filter& filter, double dense_weight) {
  mode = resolve_mode(index, mode);
  const bool needs_vectors = mode == "dense" || mode == "hybrid" || mode == "mmr";
  LLMKIT_CHECK_CODE(mode == "bm25" || needs_vectors, ErrorCode::kInvalidArgument,
                    "unknown retrieval mode '", mode, "'; use dense, bm25, hybrid or mmr");
  LLMKIT_CHECK_CODE(!needs_vectors || index.embeddings, ErrorCode::kInvalidArgument, "mode '", mode,
                    "' needs vectors but index '", index.store->dir(),
                    "' is BM25 only; use --mode bm25 or index again with --embed-model");
  rag::RetrieverOptions options{k, filter};
  if (mode == "bm25") return std::make_shared<const rag::Bm25Retriever>(index.store, options);
  if (mode == "dense") {
    return std::make_shared<const rag::DenseRetriever>(index.store, index.embeddings, options);
  }
  if (mode == "mmr") {
    rag::MmrOptions mmr;
    mmr.k = k;
    mmr.fetch_k = std::max<size_t>(20, 4 * k);
    mmr.filter = filter;
    return std::make_shared<const rag::MmrRetriever>(index.store, index.embeddings, mmr);
  }
  // hybrid: each side asked for more than k so that fusion can reorder.
  rag::RetrieverOptions wide{std::max<size_t>(20, 2 * k), filter};
  std::vector<rag::RetrieverPtr> parts = {
      std::make_shared<const rag::DenseRetriever>(index.store, index.embeddings, wide),
      std::make_shared<const rag::Bm25Retriever>(index.store, wide)};
  return std::make_shared<const rag::HybridRetriever>(parts, k, 60.0,
                                                      std::vector<double>{dense_weight, 1.0});
}

chain::ChatModelPtr make_answer_model(const ModelArgs& args, const std::string& chat_template_path,
                                      int64_t max_tokens, float temperature) {
  const std::shared_ptr<const infer::Model> loaded = load_model_for_inference(args);
  chain::LocalChatConfig config;
  config.session = session_options(*loaded, args);
  config.chat_template = read_chat_template(chat_template_path);
  config.max_tokens = max_tokens;
  chain::ChatOptions options;
  options.temperature = temperature;
  return std::make_shared<const chain::LocalChatModel>(loaded, options, config);
}

}  // namespace llmkit::cli
