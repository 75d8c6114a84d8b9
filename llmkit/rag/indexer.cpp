#include "llmkit/rag/indexer.h"

#include <filesystem>
#include <set>

#include "llmkit/base/error.h"
#include "llmkit/base/progress_bar.h"
#include "llmkit/base/timer.h"

namespace llmkit::rag {
namespace {

// Lexically normalised directory prefixes ("docs/" for "docs", "./docs/") of the directories in
// paths; indexed sources under one of them are candidates for removal.
std::vector<std::string> directory_prefixes(const std::vector<std::string>& paths) {
  std::vector<std::string> prefixes;
  for (const auto& p : paths) {
    std::error_code ec;
    if (!std::filesystem::is_directory(p, ec)) continue;
    std::string norm = std::filesystem::path(p).lexically_normal().generic_string();
    if (norm == ".") {
      prefixes.push_back("");
      continue;
    }
    if (!norm.ends_with('/')) norm += '/';
    prefixes.push_back(norm);
  }
  return prefixes;
}

}  // namespace

DocumentEntry split_document(const Document& doc, const IndexOptions& options) {
  DocumentEntry entry;
  entry.document = doc;
  if (options.parents) {
    ParentChildChunks pc = split_parents(doc, *options.parents, options.split, options.tokenizer);
    entry.chunks = std::move(pc.children);
    entry.parents = std::move(pc.parents);
    entry.parent_of.assign(pc.parent_of.begin(), pc.parent_of.end());
  } else if (options.split_by_headings && !doc.headings.empty()) {
    entry.chunks = MarkdownHeaderSplitter(options.split, options.tokenizer).split(doc);
  } else if (options.split_by_headings && doc.mime == "text/markdown") {
    entry.chunks = MarkdownHeaderSplitter(options.split, options.tokenizer).split(doc);
  } else {
    entry.chunks = TextSplitter(options.split, options.tokenizer).split(doc);
  }
  return entry;
}

IndexReport index_paths(VectorStore& store, EmbeddingPipeline* pipeline,
                        const std::vector<std::string>& paths, const IndexOptions& options) {
  Timer timer;
  IndexReport report;
  LLMKIT_CHECK_CODE((pipeline == nullptr) == (store.dim() == 0), ErrorCode::kInvalidArgument,
                    "index '", store.dir(), "' ",
                    store.dim() == 0 ? "keeps no vectors (BM25 only) but an embedder was given"
                                     : "needs vectors but no embedder was given",
                    "; index with the embedder it was created with, or into a new --db");
  if (pipeline) {
    LLMKIT_CHECK_CODE(pipeline->dim() == store.dim(), ErrorCode::kInvalidArgument, "index '",
                      store.dir(), "' holds ", store.dim(),
                      "-dimensional vectors but the embedder '", pipeline->embedder_id(),
                      "' makes ", pipeline->dim(), "; use the index's embedder or a new --db");
  }

  // 1. What changed.
  const std::vector<SourceFile> sources = list_sources(paths, options.load);
  std::vector<std::string> to_load;
  std::set<std::string> present;
  for (const auto& s : sources) {
    if (!s.error.empty()) {
      report.skipped.emplace_back(s.path, s.error);
      continue;
    }
    present.insert(s.path);
    const auto known = store.find_document(s.path);
    if (known && known->content_hash == s.hash) {
      ++report.unchanged;
    } else {
      to_load.push_back(s.path);
    }
  }

  // 2. Load and split.
  std::vector<DocumentEntry> entries;
  std::vector<bool> is_update;
  {
    std::unique_ptr<ProgressBar> bar;
    if (options.progress && !to_load.empty()) {
      bar =
          std::make_unique<ProgressBar>("load+split", static_cast<int64_t>(to_load.size()), "file");
    }
    LoadOptions direct = options.load;
    for (size_t i = 0; i < to_load.size(); ++i) {
      LoadReport loaded = load_paths({to_load[i]}, direct);
      for (auto& sk : loaded.skipped) report.skipped.push_back(std::move(sk));
      for (auto& doc : loaded.documents) {
        is_update.push_back(store.find_document(doc.source).has_value());
        entries.push_back(split_document(doc, options));
      }
      if (bar) bar->update(static_cast<int64_t>(i + 1));
    }
    if (bar) bar->finish();
  }

  // 3. Embed every new chunk in one pipeline call (batched, threaded, cached).
  if (pipeline) {
    std::vector<std::string> texts;
    for (const auto& e : entries) {
      for (const auto& c : e.chunks) texts.push_back(c.text);
    }
    const std::vector<std::vector<float>> vectors = pipeline->embed(texts);
    size_t next = 0;
    for (auto& e : entries) {
      e.embeddings.assign(vectors.begin() + static_cast<std::ptrdiff_t>(next),
                          vectors.begin() + static_cast<std::ptrdiff_t>(next + e.chunks.size()));
      next += e.chunks.size();
    }
    report.embedding = pipeline->stats();
  }

  // 4. One commit.
  std::vector<std::string> removed;
  if (options.remove_missing) {
    const std::vector<std::string> prefixes = directory_prefixes(paths);
    if (!prefixes.empty()) {
      for (const auto& info : store.documents()) {
        if (present.count(info.source)) continue;
        for (const auto& prefix : prefixes) {
          if (info.source.starts_with(prefix)) {
            removed.push_back(info.source);
            break;
          }
        }
      }
    }
  }
  if (!entries.empty() || !removed.empty()) {
    auto writer = store.begin();
    for (size_t i = 0; i < entries.size(); ++i) {
      writer->replace_document(entries[i]);
      report.chunks += static_cast<int64_t>(entries[i].chunks.size());
      ++(is_update[i] ? report.updated : report.added);
    }
    for (const auto& source : removed) {
      if (writer->delete_document(source)) ++report.removed;
    }
    writer->commit();
  }
  report.generation = store.stats().generation;
  report.seconds = timer.seconds();
  return report;
}

}  // namespace llmkit::rag
