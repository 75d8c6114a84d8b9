#include "llmkit/rag/embedding_pipeline.h"

#include <atomic>
#include <cmath>
#include <exception>
#include <thread>
#include <unordered_map>

#include "llmkit/base/error.h"
#include "llmkit/base/progress_bar.h"
#include "llmkit/rag/content_hash.h"
#include "llmkit/rag/sqlite_db.h"

namespace llmkit::rag {

EmbeddingPipeline::EmbeddingPipeline(std::shared_ptr<const chain::Embeddings> embeddings,
                                     std::string embedder_id, EmbeddingPipelineOptions options)
    : embeddings_(std::move(embeddings)),
      embedder_id_(std::move(embedder_id)),
      options_(std::move(options)) {
  LLMKIT_CHECK(embeddings_ != nullptr, "EmbeddingPipeline: no embeddings given");
  LLMKIT_CHECK(options_.batch_size >= 1, "EmbeddingPipeline: batch_size must be >= 1");
  LLMKIT_CHECK(options_.threads >= 1, "EmbeddingPipeline: threads must be >= 1");
  if (!options_.cache_path.empty()) {
    cache_ = std::make_unique<Db>(options_.cache_path);
    cache_->exec(
        "CREATE TABLE IF NOT EXISTS embedding_cache(embedder TEXT NOT NULL, text_hash TEXT NOT "
        "NULL, vector BLOB NOT NULL, PRIMARY KEY(embedder, text_hash)) WITHOUT ROWID");
  }
}

EmbeddingPipeline::~EmbeddingPipeline() = default;

EmbeddingPipelineStats EmbeddingPipeline::stats() const {
  std::lock_guard lock(mutex_);
  return stats_;
}

std::vector<std::vector<float>> EmbeddingPipeline::embed(const std::vector<std::string>& texts) {
  std::lock_guard call_lock(mutex_);
  const int dim = embeddings_->dim();
  std::vector<std::vector<float>> out(texts.size());
  std::vector<std::string> hashes(texts.size());
  std::unordered_map<std::string, size_t> first;  // hash -> first index with it
  std::vector<size_t> todo;                       // first indices not in the cache
  size_t hits = 0;
  std::unique_ptr<Stmt> lookup;
  if (cache_) {
    lookup = std::make_unique<Stmt>(
        *cache_, "SELECT vector FROM embedding_cache WHERE embedder = ? AND text_hash = ?");
  }
  for (size_t i = 0; i < texts.size(); ++i) {
    hashes[i] = content_hash(texts[i]);
    if (!first.emplace(hashes[i], i).second) continue;
    if (lookup) {
      lookup->bind(1, embedder_id_).bind(2, hashes[i]);
      if (lookup->step()) {
        std::vector<float> v = lookup->column_floats(0);
        if (static_cast<int>(v.size()) == dim) {
          out[i] = std::move(v);
          ++hits;
          lookup->reset();
          continue;
        }
      }
      lookup->reset();
    }
    todo.push_back(i);
  }
  lookup.reset();

  const size_t n_batches = (todo.size() + options_.batch_size - 1) / options_.batch_size;
  std::unique_ptr<ProgressBar> bar;
  if (options_.progress && !todo.empty()) {
    bar = std::make_unique<ProgressBar>(options_.label, static_cast<int64_t>(todo.size()), "text");
  }
  std::mutex done_mutex;  // guards bar, done, error, the cache writes
  size_t done = 0;
  std::exception_ptr error;
  std::atomic<size_t> next{0};
  std::atomic<bool> failed{false};
  auto worker = [&] {
    for (size_t b = next++; b < n_batches && !failed; b = next++) {
      const size_t begin = b * options_.batch_size;
      const size_t end = std::min(todo.size(), begin + options_.batch_size);
      try {
        std::vector<std::string> batch;
        for (size_t j = begin; j < end; ++j) batch.push_back(texts[todo[j]]);
        auto vectors = embeddings_->embed(batch);
        LLMKIT_CHECK(vectors.size() == batch.size(), "EmbeddingPipeline (", embedder_id_,
                     "): the embedder returned ", vectors.size(), " vectors for ", batch.size(),
                     " texts");
        for (size_t j = begin; j < end; ++j) {
          auto& v = vectors[j - begin];
          LLMKIT_CHECK(static_cast<int>(v.size()) == dim, "EmbeddingPipeline (", embedder_id_,
                       "): a vector of ", v.size(), " floats; dim() is ", dim);
          for (float x : v) {
            LLMKIT_CHECK(std::isfinite(x), "EmbeddingPipeline (", embedder_id_,
                         "): the embedder returned a non-finite value");
          }
          out[todo[j]] = std::move(v);
        }
        std::lock_guard lock(done_mutex);
        if (cache_) {
          DbTransaction t(*cache_);
          Stmt put(*cache_,
                   "INSERT OR REPLACE INTO embedding_cache(embedder, text_hash, vector) VALUES "
                   "(?, ?, ?)");
          for (size_t j = begin; j < end; ++j) {
            const auto& v = out[todo[j]];
            put.bind(1, embedder_id_).bind(2, hashes[todo[j]]);
            put.bind_blob(3, v.data(), v.size() * sizeof(float));
            put.run();
          }
          t.commit();
        }
        done += end - begin;
        if (bar) bar->update(static_cast<int64_t>(done));
      } catch (...) {
        std::lock_guard lock(done_mutex);
        if (!error) error = std::current_exception();
        failed = true;
      }
    }
  };
  const int n_threads = static_cast<int>(std::min<size_t>(options_.threads, n_batches));
  std::vector<std::thread> pool;
  for (int t = 1; t < n_threads; ++t) pool.emplace_back(worker);
  worker();
  for (auto& t : pool) t.join();
  if (error) std::rethrow_exception(error);
  if (bar) bar->finish();

  for (size_t i = 0; i < texts.size(); ++i) {
    const size_t f = first.at(hashes[i]);
    if (f != i) {
      out[i] = out[f];
      ++hits;
    }
  }
  stats_.texts += texts.size();
  stats_.cache_hits += hits;
  stats_.embedded += todo.size();
  return out;
}

}  // namespace llmkit::rag
