// An approximate nearest-neighbour index over unit vectors (hnswlib HNSW, inner-product space), its
// labels the store's chunk ids. Similarity = inner product = cosine for L2-normalised vectors.
//
// Files: save() writes the index atomically (temporary file, fsync, rename, fsync of the folder)
// and returns a digest of the bytes; load() refuses a file whose digest differs (a stale or
// foreign file), so a damaged file is never handed to hnswlib.
//
// Thread safety: search() may run concurrently; add/remove/save need exclusive access.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace llmkit::rag {

struct HnswOptions {
  int m = 16;  // graph degree
  int ef_construction = 200;
  int ef_search = 200;  // candidate list size of a query (at least k): recall against speed
  uint64_t seed = 100;  // level generator seed: builds are deterministic
};

class HnswIndex {
 public:
  HnswIndex(int dim, HnswOptions options = {});
  ~HnswIndex();
  HnswIndex(const HnswIndex&) = delete;
  HnswIndex& operator=(const HnswIndex&) = delete;

  int dim() const { return dim_; }
  // Adds (or replaces) the vector of label; vec has dim() floats, unit length expected.
  void add(int64_t label, const float* vec);
  // Marks label deleted; no-op when absent or already deleted.
  void remove(int64_t label);
  bool contains(int64_t label) const;
  size_t size() const;     // live elements
  size_t deleted() const;  // elements marked deleted (still in the graph)
  // Up to k (label, similarity) pairs, most similar first.
  std::vector<std::pair<int64_t, float>> search(const float* query, size_t k) const;
  // A new index holding only the live elements (drops the deleted ones from the graph).
  std::unique_ptr<HnswIndex> compacted() const;

  // Writes atomically to path; returns the digest of the written bytes (16 hex digits).
  std::string save(const std::string& path) const;
  // Throws Error(kCorruptData) when the file's digest is not expected_digest, Error(kNotFound)
  // when it is missing.
  static std::unique_ptr<HnswIndex> load(const std::string& path, int dim,
                                         const std::string& expected_digest,
                                         HnswOptions options = {});

 private:
  struct Impl;
  int dim_;
  HnswOptions options_;
  std::unique_ptr<Impl> impl_;
};

// XXH3-64 of bytes as 16 lower-case hex digits.
std::string digest64(const std::string& bytes);

}  // namespace llmkit::rag
