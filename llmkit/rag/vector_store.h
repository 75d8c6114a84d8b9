// VectorStore: a persistent index of documents, their chunks and the chunks' embeddings, searched
// by vector similarity (HNSW, or exact) and by BM25 (SQLite FTS5).
//
// On disk one index is one directory:
//   index.sqlite        meta(key, value): format, embedder, dim, generation, hnsw digest/count;
//                       documents(id, source UNIQUE, title, mime, content_hash, metadata json,
//                       text, pages json, headings json); chunks(id, doc_id, idx, begin_offset,
//                       end_offset, text, metadata json, parent_id, is_parent, embedding BLOB of
//                       dim float32, L2-normalised); chunks_fts (FTS5 over the text of the
//                       searchable chunks, i.e. is_parent = 0).
//   vectors.<gen>.hnsw  the HNSW graph of the searchable chunks of committed generation <gen>.
//
// Atomicity: a Writer is one SQLite transaction. commit() first writes the new graph to
// vectors.<gen+1>.hnsw (atomically, fsync'ed), then commits the SQLite transaction that sets
// generation = gen+1 and the file's digest, then deletes the older file. A crash at any point
// leaves the last committed generation: either the commit happened (its file is there) or not
// (SQLite rolls back; the orphan file is removed on the next open). open() loads the graph of the
// committed generation and rebuilds it from the SQLite embeddings when its file is missing,
// damaged or does not match (digest, element count).
//
// Cost: a commit that adds or removes chunks rewrites the whole graph file; batch many documents
// per Writer when indexing. A commit without chunk changes keeps the generation.
//
// Concurrency: one process may write at a time (SQLite's write lock, held from begin() to
// commit()); readers in other processes see committed generations only. Within one object,
// searches may run concurrently with each other and with an open Writer (they see the committed
// state); refresh() picks up a generation committed by another object or process.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "llmkit/rag/document.h"
#include "llmkit/rag/filter.h"
#include "llmkit/rag/hnsw_index.h"

namespace llmkit::rag {

class Db;
class DbTransaction;

struct StoreOptions {
  // create(): the embedder's id and vector size, recorded in the index (dim 0: a BM25-only
  // index that keeps no vectors; its chunks come without embeddings and dense searches throw).
  // open(): when set, must equal the recorded values (Error(kInvalidArgument) otherwise).
  std::string embedder;
  int dim = 0;
  HnswOptions hnsw;
  // Unfiltered dense searches over fewer searchable chunks than this are exact (brute force);
  // filtered searches are always exact.
  size_t exact_below = 10000;
  // Test hook: called during commit() at "hnsw_saved", "meta_updated" and "committed".
  std::function<void(const std::string& stage)> commit_hook;
};

struct DocumentInfo {
  int64_t id = 0;
  std::string source, title, mime, content_hash;
  nlohmann::json metadata = nlohmann::json::object();
  int64_t chunks = 0;  // searchable chunks
};

// A chunk as stored: its Chunk (text, offsets, metadata), ids and its document's title.
struct StoredChunk {
  int64_t id = 0;
  int64_t doc_id = 0;
  std::optional<int64_t> parent_id;  // the parent chunk's id, for children of split_parents
  bool is_parent = false;            // parents are stored for retrieval but never searched
  Chunk chunk;
  std::string title;
};

struct StoreHit {
  StoredChunk chunk;
  double score = 0.0;  // dense: cosine similarity; BM25: -bm25() (higher is better)
};

// One document to add: its searchable chunks with one embedding each (dim floats; normalised on
// the way in), and optionally larger parent chunks with parent_of[i] the parent index of chunk i
// (or -1); parent_of is empty or has one entry per chunk.
struct DocumentEntry {
  Document document;
  std::vector<Chunk> chunks;
  std::vector<std::vector<float>> embeddings;
  std::vector<Chunk> parents;
  std::vector<int> parent_of;
};

struct StoreStats {
  std::string embedder;
  int dim = 0;
  int64_t generation = 0;
  int64_t documents = 0;
  int64_t chunks = 0;  // searchable
  int64_t parents = 0;
  size_t hnsw_size = 0;
  size_t hnsw_deleted = 0;
  // The graph was rebuilt from the SQLite embeddings when this object last loaded it (its file
  // was missing or did not match); false when it was read from vectors.<generation>.hnsw.
  bool graph_rebuilt = false;
};

class VectorStore {
 public:
  class Writer;

  // Creates a new index in dir (created when missing). Throws Error(kInvalidArgument) when dir
  // already holds an index or options.dim < 0.
  static std::unique_ptr<VectorStore> create(const std::string& dir, const StoreOptions& options);
  // Opens an existing index; Error(kNotFound) when dir has none.
  static std::unique_ptr<VectorStore> open(const std::string& dir,
                                           const StoreOptions& options = {});
  static std::unique_ptr<VectorStore> open_or_create(const std::string& dir,
                                                     const StoreOptions& options);
  ~VectorStore();

  // Starts a write transaction (waits for other writers of this object; SQLite's busy timeout
  // for other processes). The Writer must not outlive the store.
  std::unique_ptr<Writer> begin();

  std::optional<DocumentInfo> find_document(const std::string& source) const;
  std::vector<DocumentInfo> documents() const;  // by source
  // The whole stored document (text, pages, headings, metadata).
  std::optional<Document> get_document(const std::string& source) const;
  std::optional<StoredChunk> get_chunk(int64_t id) const;
  // The stored (normalised) embedding of a searchable chunk; empty for a parent or unknown id.
  std::vector<float> get_embedding(int64_t id) const;

  // The k searchable chunks most similar to query (dim floats, normalised here), best first;
  // ties by lower id. HNSW unless the store is small or the filter non-empty.
  std::vector<StoreHit> search_dense(const std::vector<float>& query, size_t k,
                                     const Filter& filter = {}) const;
  // Always exact (brute force over the SQLite embeddings).
  std::vector<StoreHit> search_dense_exact(const std::vector<float>& query, size_t k,
                                           const Filter& filter = {}) const;
  // BM25 (FTS5 bm25(), k1 = 1.2, b = 0.75) of free text (any input is safe: see fts_query.h).
  std::vector<StoreHit> search_bm25(const std::string& query, size_t k,
                                    const Filter& filter = {}) const;

  StoreStats stats() const;
  // Reloads the graph when another object or process committed a newer generation (BM25,
  // exact search and lookups always read the latest committed SQLite state). Not while a Writer
  // of this object is open in the calling thread (it waits for it).
  void refresh();
  const std::string& dir() const { return dir_; }
  int dim() const { return dim_; }
  const std::string& embedder() const { return embedder_; }

 private:
  friend class Writer;
  VectorStore(std::string dir, StoreOptions options);
  // Loads generation_ and index_ from the committed state seen through db; throws
  // Error(kCorruptData / kNotFound) when the graph file is missing or does not match.
  void load_state_from(Db& db);
  // load_state_from in a read transaction; on failure, repairs under the write lock (rebuilds
  // the graph from the SQLite embeddings and records the new file).
  void load_or_repair();
  // Inside a write transaction: rebuilds the graph of the current generation and records it.
  void rebuild_locked();
  std::vector<StoreHit> hits_for(const std::vector<std::pair<int64_t, double>>& scored) const;
  std::vector<float> normalised(const std::vector<float>& v, const char* what) const;
  // Throws Error(kInvalidArgument) for a BM25-only index (dim 0).
  void check_has_vectors() const;
  std::string hnsw_path(int64_t generation) const;
  void remove_stale_files(int64_t keep_generation) const;

  std::string dir_;
  StoreOptions options_;
  std::string embedder_;
  int dim_ = 0;
  std::unique_ptr<Db> write_db_;
  std::unique_ptr<Db> read_db_;
  std::mutex writer_mutex_;          // one Writer at a time
  mutable std::shared_mutex state_;  // guards index_ and generation_
  std::unique_ptr<HnswIndex> index_;
  int64_t generation_ = 0;
  bool graph_rebuilt_ = false;
};

// One write transaction. Nothing is visible to searches until commit(); destroying an
// uncommitted Writer rolls everything back.
class VectorStore::Writer {
 public:
  ~Writer();
  Writer(const Writer&) = delete;
  Writer& operator=(const Writer&) = delete;

  // Adds a document with its chunks; returns its id. Throws Error(kInvalidArgument) when a
  // document with the same source exists, or the embeddings/parents do not fit the chunks.
  int64_t add_document(const DocumentEntry& entry);
  // Deletes the document with entry's source (if any), then adds entry.
  int64_t replace_document(const DocumentEntry& entry);
  // Deletes a document and its chunks; false when there is none with this source.
  bool delete_document(const std::string& source);
  // Makes the changes durable and visible (see the atomicity note above). The Writer is spent.
  void commit();

 private:
  friend class VectorStore;
  explicit Writer(VectorStore& store);
  struct Op {
    bool add = false;
    int64_t id = 0;
    std::vector<float> vec;
  };
  VectorStore& store_;
  std::unique_lock<std::mutex> lock_;
  std::unique_ptr<DbTransaction> txn_;
  bool active_ = true;
  std::vector<Op> ops_;
};

}  // namespace llmkit::rag
