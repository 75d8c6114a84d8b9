// Shared helpers of the store and retriever tests: a temporary folder, a chain::Embeddings over
// prompt::HashingEmbedder, and DocumentEntry builders.
#pragma once

#include "tests/support/temp_dir.h"

#include <unistd.h>

#include <atomic>
#include <cmath>
#include <filesystem>
#include <random>
#include <string>
#include <vector>

#include "llmkit/chain/chat_model.h"
#include "llmkit/prompt/embedder.h"
#include "llmkit/rag/vector_store.h"

namespace llmkit::rag::testing {

// A fresh empty folder under the system temp dir, removed with the object.
using llmkit::testing::TempDir;

class HashingEmbeddings : public chain::Embeddings {
 public:
  explicit HashingEmbeddings(int dim = 256) : embedder_(prompt::HashingEmbedder::Options{dim}) {}
  std::vector<std::vector<float>> embed(const std::vector<std::string>& texts) const override {
    calls_ += 1;
    texts_ += texts.size();
    return embedder_.embed(texts);
  }
  int dim() const override { return embedder_.dim(); }
  mutable std::atomic<int> calls_{0};
  mutable std::atomic<size_t> texts_{0};

 private:
  prompt::HashingEmbedder embedder_;
};

// A document of source `source` whose text is the pieces joined by "\n", one chunk per piece
// (with correct offsets), chunk metadata {"source", plus extra}.
inline DocumentEntry make_entry(const std::string& source, const std::vector<std::string>& pieces,
                                const std::vector<std::vector<float>>& embeddings,
                                const nlohmann::json& extra = nlohmann::json::object()) {
  DocumentEntry e;
  e.document.source = source;
  e.document.title = "Title of " + source;
  e.document.mime = "text/plain";
  e.document.content_hash = std::string(32, '0');
  e.document.metadata = extra;
  for (size_t i = 0; i < pieces.size(); ++i) {
    if (i) e.document.text += "\n";
    Chunk c;
    c.source = source;
    c.begin = e.document.text.size();
    e.document.text += pieces[i];
    c.end = e.document.text.size();
    c.text = pieces[i];
    c.index = static_cast<int>(i);
    c.metadata = extra;
    c.metadata["source"] = source;
    e.chunks.push_back(c);
  }
  e.embeddings = embeddings;
  return e;
}

inline std::vector<float> random_unit(std::mt19937& rng, int dim) {
  std::normal_distribution<float> n(0.0f, 1.0f);
  std::vector<float> v(static_cast<size_t>(dim));
  double norm = 0.0;
  for (float& x : v) {
    x = n(rng);
    norm += static_cast<double>(x) * x;
  }
  for (float& x : v) x = static_cast<float>(x / std::sqrt(norm));
  return v;
}

inline double dot(const std::vector<float>& a, const std::vector<float>& b) {
  double s = 0.0;
  for (size_t i = 0; i < a.size(); ++i) s += static_cast<double>(a[i]) * b[i];
  return s;
}

}  // namespace llmkit::rag::testing
