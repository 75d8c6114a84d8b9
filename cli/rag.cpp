// `llmkit rag`: retrieval-augmented generation over the user's documents.
//   rag index PATH... --db DIR [--embed-model M | --bm25-only] [--pooling P] [--chunk-size N]
//             [--overlap N] [--include GLOB]... [--exclude GLOB]... [--parent-size N] [-t N]
//       loads, splits, embeds and stores (only what changed since the last run); with no
//       embedder flag, the embedded default embedder when `make run` made it, else BM25 alone —
//       and it says which.
//   rag search --db DIR QUERY [-k N] [--mode dense|bm25|hybrid|mmr] [--source GLOB] [--json]
//   rag ask --db DIR -m MODEL QUESTION [-k N] [--mode M] [--stream] [--json] [-n N]
//       retrieve -> numbered sources -> the model's answer citing [n] -> the sources with offsets
//   rag eval --db DIR --qa FILE.jsonl [...]   (rag_eval.cpp)
#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <thread>

#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "cli/model_args.h"
#include "cli/rag_eval.h"
#include "cli/rag_index_config.h"
#include "llmkit/base/error.h"
#include "llmkit/base/timer.h"
#include "llmkit/base/utf8.h"
#include "llmkit/chain/local_chat_model.h"
#include "llmkit/rag/indexer.h"
#include "llmkit/rag/qa_chain.h"

namespace llmkit::cli {
namespace {
using json = nlohmann::json;

struct IndexCommand {
  std::vector<std::string> paths;
  std::string db;
  std::string embed_model;
  bool bm25_only = false;
  std::string pooling = "mean";
  size_t chunk_size = 500;
  size_t overlap = 100;
  size_t parent_size = 0;
  std::vector<std::string> include, exclude;
  int threads = 0;
  size_t batch = 32;
  bool quiet = false;
};

int threads_or_hardware(int threads) {
  if (threads > 0) return threads;
  const unsigned n = std::thread::hardware_concurrency();
  return n == 0 ? 1 : static_cast<int>(n);
}

void run_index(const IndexCommand& c) {
  LLMKIT_CHECK_CODE(!(c.bm25_only && !c.embed_model.empty()), ErrorCode::kInvalidArgument,
                    "rag index: give --embed-model or --bm25-only, not both");
  const int threads = threads_or_hardware(c.threads);
  std::error_code ec;
  const bool exists = std::filesystem::exists(std::filesystem::path(c.db) / "index.sqlite", ec);
  const std::optional<RagIndexConfig> previous = exists ? read_rag_config(c.db) : std::nullopt;

  RagIndexConfig config;
  config.chunk_size = c.chunk_size;
  config.overlap = c.overlap;
  std::string why;
  if (exists && previous) {
    // An existing index keeps its embedder: vectors of two models cannot be compared.
    config.embedder = previous->embedder;
    if (!c.embed_model.empty()) {
      LLMKIT_CHECK_CODE(previous->embedder && std::filesystem::equivalent(previous->embedder->path,
                                                                          c.embed_model, ec),
                        ErrorCode::kInvalidArgument, "rag index: '", c.db, "' was indexed with ",
                        previous->embedder ? "'" + previous->embedder->path + "'" : "BM25 only",
                        "; index into a new --db to use '", c.embed_model, "'");
    }
    why = "the index's own";
  } else if (!c.embed_model.empty()) {
    config.embedder = rag::EmbedderSpec{c.embed_model, c.pooling, threads};
    why = "--embed-model";
  } else if (!c.bm25_only) {
    const std::string fallback = default_embedder_path();
    if (!fallback.empty()) {
      config.embedder = rag::EmbedderSpec{fallback, c.pooling, threads};
      why = "the embedded default";
    } else {
      why = "no default embedder found (make run trains runs/main/embedder/embedder.gguf)";
    }
  } else {
    why = "--bm25-only";
  }

  std::shared_ptr<const chain::Embeddings> embeddings;
  std::string embedder_id;
  if (config.embedder) {
    config.embedder->threads = threads;
    rag::LoadedEmbedder loaded = rag::load_embedder(*config.embedder);
    embeddings = loaded.embeddings;
    embedder_id = loaded.id;
    std::fprintf(stderr, "rag index: embedder %s (%s: %s), %d dimensions\n", embedder_id.c_str(),
                 why.c_str(), config.embedder->path.c_str(), embeddings->dim());
  } else {
    std::fprintf(stderr, "rag index: BM25 only (%s)\n", why.c_str());
  }

  rag::StoreOptions store_options;
  store_options.embedder = embeddings ? embedder_id : "none";
  store_options.dim = embeddings ? embeddings->dim() : 0;
  std::unique_ptr<rag::VectorStore> store =
      exists ? rag::VectorStore::open(c.db) : rag::VectorStore::create(c.db, store_options);
  if (!exists || !previous) write_rag_config(c.db, config);

  std::unique_ptr<rag::EmbeddingPipeline> pipeline;
  if (embeddings) {
    rag::EmbeddingPipelineOptions po;
    po.batch_size = c.batch;
    po.threads = 1;  // the encoder parallelises each batch over its own threads
    po.cache_path = (std::filesystem::path(c.db) / "embedding_cache.sqlite").string();
    po.progress = !c.quiet;
    pipeline = std::make_unique<rag::EmbeddingPipeline>(embeddings, embedder_id, po);
  }

  rag::IndexOptions options;
  options.load.include = c.include;
  options.load.exclude = c.exclude;
  options.split.chunk_size = c.chunk_size;
  options.split.overlap = c.overlap;
  if (c.parent_size > 0) {
    rag::SplitOptions parent = options.split;
    parent.chunk_size = c.parent_size;
    parent.overlap = 0;
    options.parents = parent;
  }
  options.progress = !c.quiet;
  const rag::IndexReport r = rag::index_paths(*store, pipeline.get(), c.paths, options);
  for (const auto& [path, reason] : r.skipped) {
    std::fprintf(stderr, "rag index: skipped %s: %s\n", path.c_str(), reason.c_str());
  }
  const double rate = r.seconds > 0 ? static_cast<double>(r.chunks) / r.seconds : 0.0;
  std::printf(
      "indexed into %s: %lld added, %lld updated, %lld unchanged, %lld removed, %zu skipped; "
      "%lld chunks (%lld embedded, %lld from cache) in %.1f s (%.0f chunks/s); generation "
      "%lld\n",
      c.db.c_str(), static_cast<long long>(r.added), static_cast<long long>(r.updated),
      static_cast<long long>(r.unchanged), static_cast<long long>(r.removed), r.skipped.size(),
      static_cast<long long>(r.chunks), static_cast<long long>(r.embedding.embedded),
      static_cast<long long>(r.embedding.cache_hits), r.seconds, rate,
      static_cast<long long>(r.generation));
}

std::string one_line(const std::string& text, size_t max_bytes) {
  std::string out;
  for (char ch : text) {
    const bool space = ch == '\n' || ch == '\r' || ch == '\t' || ch == '\f';
    if (space) {
      if (!out.empty() && out.back() != ' ') out += ' ';
    } else {
      out += ch;
    }
    if (out.size() > max_bytes) return out.substr(0, utf8_prefix_length(out, max_bytes)) + "...";
  }
  return out;
}

json hit_json(const rag::SearchHit& h, int number) {
  json j = {{"rank", number},           {"chunk_id", h.chunk_id}, {"score", h.score},
            {"source", h.chunk.source}, {"begin", h.chunk.begin}, {"end", h.chunk.end},
            {"title", h.title},         {"text", h.chunk.text}};
  if (h.chunk.metadata.contains("page")) j["page"] = h.chunk.metadata["page"];
  if (h.chunk.metadata.contains("headings")) j["headings"] = h.chunk.metadata["headings"];
  return j;
}

void print_hit(const rag::SearchHit& h, int number, const char* mark) {
  std::string where =
      h.chunk.source + ":" + std::to_string(h.chunk.begin) + "-" + std::to_string(h.chunk.end);
  if (h.chunk.metadata.contains("page")) where += " p." + h.chunk.metadata["page"].dump();
  std::printf("%s[%d] %.4f  %s  %s\n     %s\n", mark, number, h.score, where.c_str(),
              h.title.c_str(), one_line(h.chunk.text, 200).c_str());
}

struct SearchCommand {
  std::string db, query, mode, source;
  size_t k = 5;
  double dense_weight = kDefaultDenseWeight;
  bool json_out = false;
  int threads = 0;
};

void run_search(const SearchCommand& c) {
  const OpenedIndex index = open_rag_index(c.db, threads_or_hardware(c.threads));
  rag::Filter filter;
  filter.source_glob = c.source;
  const rag::RetrieverPtr retriever = make_retriever(index, c.mode, c.k, filter, c.dense_weight);
  Timer timer;
  const std::vector<rag::SearchHit> hits = retriever->invoke(c.query);
  const double ms = timer.seconds() * 1e3;
  if (c.json_out) {
    json out = {{"query", c.query}, {"mode", resolve_mode(index, c.mode)}, {"hits", json::array()}};
    for (size_t i = 0; i < hits.size(); ++i) out["hits"].push_back(hit_json(hits[i], int(i) + 1));
    std::printf("%s\n", out.dump(2).c_str());
  } else {
    for (size_t i = 0; i < hits.size(); ++i) print_hit(hits[i], static_cast<int>(i) + 1, "");
    if (hits.empty()) std::printf("no passage matches\n");
  }
  std::fprintf(stderr, "rag search: %zu hits, mode %s, %.1f ms\n", hits.size(),
               resolve_mode(index, c.mode).c_str(), ms);
}

struct AskCommand {
  ModelArgs model;
  std::string db, question, mode, chat_template;
  size_t k = 3;
  size_t source_bytes = 600;
  double dense_weight = kDefaultDenseWeight;
  bool json_out = false;
  bool stream = false;
  int64_t max_tokens = 64;
  float temperature = 0.0f;
};

void run_ask(const AskCommand& c) {
  const OpenedIndex index = open_rag_index(c.db, resolve_threads(c.model));
  const chain::ChatModelPtr model =
      make_answer_model(c.model, c.chat_template, c.max_tokens, c.temperature);
  rag::QaOptions qa;
  qa.k = static_cast<int>(c.k);
  qa.max_source_bytes = c.source_bytes;
  const rag::QaChain chain(make_retriever(index, c.mode, c.k, {}, c.dense_weight), model, qa);
  Timer timer;
  rag::QaResult result;
  if (c.stream && !c.json_out) {
    result = chain.stream(rag::QaRequest{c.question, {}}, [](const rag::QaResult& chunk) {
      std::fputs(chunk.raw_answer.c_str(), stdout);
      std::fflush(stdout);
    });
    std::fputs("\n", stdout);
  } else {
    result = chain.invoke(rag::QaRequest{c.question, {}});
  }
  if (c.json_out) {
    json out = {{"question", result.question},     {"answer", result.answer},
                {"raw_answer", result.raw_answer}, {"citations", result.citations},
                {"abstained", result.abstained},   {"sources", json::array()}};
    for (size_t i = 0; i < result.sources.size(); ++i) {
      out["sources"].push_back(hit_json(result.sources[i], static_cast<int>(i) + 1));
    }
    std::printf("%s\n", out.dump(2).c_str());
  } else {
    if (!c.stream) std::printf("%s\n", result.raw_answer.c_str());
    std::printf("sources (* cited):\n");
    for (size_t i = 0; i < result.sources.size(); ++i) {
      const int n = static_cast<int>(i) + 1;
      const bool cited =
          std::find(result.citations.begin(), result.citations.end(), n) != result.citations.end();
      print_hit(result.sources[i], n, cited ? "*" : " ");
    }
  }
  std::fprintf(stderr, "rag ask: %.2f s\n", timer.seconds());
}

void register_rag(CLI::App& app) {
  CLI::App* rag_cmd = app.add_subcommand(
      "rag", "Retrieval-augmented generation: index documents, search them, answer from them");
  rag_cmd->require_subcommand(1);

  auto ic = std::make_shared<IndexCommand>();
  CLI::App* index = rag_cmd->add_subcommand(
      "index", "Index files and folders (text, Markdown, HTML, PDF); only what changed");
  index->add_option("paths", ic->paths, "Files or folders")->required();
  index->add_option("--db", ic->db, "Index folder")->required();
  index->add_option("--embed-model", ic->embed_model,
                    "Embedding model: a BERT GGUF (all-MiniLM, bge, e5...) or any model the "
                    "engine loads (default: the embedded default embedder, else BM25 only)");
  index->add_flag("--bm25-only", ic->bm25_only, "Keep no vectors: BM25 search only");
  index->add_option("--pooling", ic->pooling, "mean, cls (BERT) or last")
      ->check(CLI::IsMember({"mean", "cls", "last"}));
  index->add_option("--chunk-size", ic->chunk_size, "Chunk size in bytes")
      ->check(CLI::PositiveNumber);
  index->add_option("--overlap", ic->overlap, "Overlap between chunks in bytes");
  index->add_option("--parent-size", ic->parent_size,
                    "Parent-document mode: also store parents of this many bytes (0: off)");
  index->add_option("--include", ic->include, "Glob of files to take from folders (repeatable)");
  index->add_option("--exclude", ic->exclude, "Glob of files to leave out (repeatable)");
  index->add_option("-t,--threads", ic->threads, "Threads (0: all)");
  index->add_option("--batch", ic->batch, "Texts per embedding batch")->check(CLI::PositiveNumber);
  index->add_flag("-q,--quiet", ic->quiet, "No progress bars");
  index->callback([ic] { run_index(*ic); });

  auto sc = std::make_shared<SearchCommand>();
  CLI::App* search = rag_cmd->add_subcommand("search", "Search an index");
  search->add_option("query", sc->query, "The query")->required();
  search->add_option("--db", sc->db, "Index folder")->required();
  search->add_option("-k", sc->k, "Passages to return")->check(CLI::PositiveNumber);
  search->add_option("--mode", sc->mode, "dense, bm25, hybrid or mmr (default: hybrid, or bm25)")
      ->check(CLI::IsMember({"dense", "bm25", "hybrid", "mmr"}));
  search->add_option("--source", sc->source, "Only sources matching this glob");
  search->add_option("--dense-weight", sc->dense_weight, "Weight of dense hits in hybrid fusion")
      ->check(CLI::NonNegativeNumber);
  search->add_flag("--json", sc->json_out, "Print JSON");
  search->add_option("-t,--threads", sc->threads, "Threads (0: all)");
  search->callback([sc] { run_search(*sc); });

  auto ac = std::make_shared<AskCommand>();
  CLI::App* ask = rag_cmd->add_subcommand("ask", "Answer a question from an index, citing sources");
  ask->add_option("question", ac->question, "The question")->required();
  ask->add_option("--db", ac->db, "Index folder")->required();
  add_model_args(*ask, ac->model);
  ask->add_option("-k", ac->k, "Sources given to the model")->check(CLI::PositiveNumber);
  ask->add_option("--mode", ac->mode, "dense, bm25, hybrid or mmr")
      ->check(CLI::IsMember({"dense", "bm25", "hybrid", "mmr"}));
  ask->add_option("--dense-weight", ac->dense_weight, "Weight of dense hits in hybrid fusion")
      ->check(CLI::NonNegativeNumber);
  ask->add_option("--source-bytes", ac->source_bytes, "Longest source text given (bytes)")
      ->check(CLI::PositiveNumber);
  ask->add_option("-n,--max-tokens", ac->max_tokens, "Most tokens in the answer");
  ask->add_option("--temp", ac->temperature, "Temperature (0: greedy)");
  ask->add_option("--chat-template", ac->chat_template, "Jinja chat template file");
  ask->add_flag("--stream", ac->stream, "Print the answer as it is generated");
  ask->add_flag("--json", ac->json_out, "Print JSON");
  ask->callback([ac] { run_ask(*ac); });

  add_rag_eval(*rag_cmd);
}

}  // namespace

LLMKIT_REGISTER_COMMAND(695, register_rag)

}  // namespace llmkit::cli
