// Text embeddings for example selection (and later retrieval): the Embedder interface, cosine
// similarity, and a deterministic built-in embedder that needs no model.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace llmkit::prompt {

class Embedder {
 public:
  virtual ~Embedder() = default;
  // One vector of dim() floats per text, in order.
  virtual std::vector<std::vector<float>> embed(const std::vector<std::string>& texts) const = 0;
  virtual int dim() const = 0;
};

// cos(a, b) = a.b / (|a| |b|), accumulated in double; 0 when either vector is all zeros. Throws
// Error(kInvalidArgument) when the sizes differ.
double cosine_similarity(const std::vector<float>& a, const std::vector<float>& b);

// A hashed bag of features: every lower-cased word (a maximal run of ASCII letters and digits, or
// of bytes >= 0x80) and every character n-gram (n = ngram, over the word padded with one space on
// each side, in UTF-8 characters; none when ngram == 0) is hashed with FNV-1a into one of dim
// buckets with a sign from another hash bit (so collisions cancel rather than pile up). Counts
// are optionally TF-IDF weighted and the vector is L2-normalised (all zeros for a text with no
// features). Deterministic across machines and runs.
//
// Thread safety: embed() is const and may run concurrently; fit_idf() may not.
class HashingEmbedder : public Embedder {
 public:
  struct Options {
    int dim = 512;
    int ngram = 3;             // character n-gram length; 0 for words only
    float word_weight = 1.0f;  // weight of a word feature relative to an n-gram feature
  };
  HashingEmbedder() : HashingEmbedder(Options{}) {}
  explicit HashingEmbedder(Options options);

  // Enables TF-IDF weighting: each bucket's count is multiplied by
  // idf = ln((1 + N) / (1 + df)) + 1, with df the number of corpus texts that have a feature in
  // that bucket and N the corpus size (scikit-learn's smooth idf, per bucket).
  void fit_idf(const std::vector<std::string>& corpus);
  bool has_idf() const { return !idf_.empty(); }

  std::vector<std::vector<float>> embed(const std::vector<std::string>& texts) const override;
  int dim() const override { return options_.dim; }

  // The raw signed bucket counts of text (before IDF and normalisation), for tests and tools.
  std::vector<float> counts(std::string_view text) const;

 private:
  Options options_;
  std::vector<float> idf_;  // empty unless fit_idf() ran
};

}  // namespace llmkit::prompt
