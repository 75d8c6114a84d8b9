// Example selectors for few-shot prompts: given the input values of a prompt, choose which
// examples (each a map of field name -> text) to show, in the order to show them.
//   FixedExampleSelector                 all examples, or the first n
//   LengthBasedExampleSelector           the longest prefix of the examples that, formatted and
//                                        joined with the input, stays within a length budget
//   SemanticSimilarityExampleSelector    the k examples most similar to the input (cosine over an
//                                        Embedder), most similar first
//   MaxMarginalRelevanceExampleSelector  k examples balancing similarity to the input against
//                                        similarity to those already chosen (MMR)
//
// Thread safety: a built selector is immutable; select() may run concurrently when the Embedder
// or length function allows it (the built-in ones do).
#pragma once

#include <cstddef>
#include <functional>
#include <limits>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "llmkit/prompt/embedder.h"
#include "llmkit/prompt/prompt_template.h"

namespace llmkit::tokenizer {
class Tokenizer;
}

namespace llmkit::prompt {

using Example = std::map<std::string, std::string>;

// The values of keys in e joined by " " (all of e's values in key order when keys is empty).
// Throws Error(kInvalidArgument) naming a key that e lacks.
std::string example_text(const Example& e, const std::vector<std::string>& keys = {});

class ExampleSelector {
 public:
  virtual ~ExampleSelector() = default;
  // The examples to show for a prompt formatted with input, in order.
  virtual std::vector<Example> select(const Values& input) const = 0;
};

class FixedExampleSelector : public ExampleSelector {
 public:
  explicit FixedExampleSelector(std::vector<Example> examples,
                                size_t n = std::numeric_limits<size_t>::max())
      : examples_(std::move(examples)), n_(n) {}
  std::vector<Example> select(const Values& input) const override;

 private:
  std::vector<Example> examples_;
  size_t n_;
};

// The length of a text in some unit (words, tokens, bytes).
using LengthFunction = std::function<size_t(std::string_view)>;
// Number of maximal runs of non-whitespace characters (ASCII whitespace).
LengthFunction word_count_length();
// tokenizer.encode(text).size() (no BOS). The tokenizer must outlive the function.
LengthFunction token_count_length(const tokenizer::Tokenizer& tokenizer);

// Keeps examples in their order while
//   length(join([example_prompt(e) for the kept examples and the next one] + [input text], sep))
// stays <= max_length, and stops at the first example that would exceed it. The input text is
// example_text(input, input_keys), left out of the join when empty. The budget covers only this
// text: leave room in max_length for a prefix and suffix.
class LengthBasedExampleSelector : public ExampleSelector {
 public:
  LengthBasedExampleSelector(std::vector<Example> examples, PromptTemplate example_prompt,
                             LengthFunction length, size_t max_length,
                             std::string separator = "\n\n",
                             std::vector<std::string> input_keys = {});
  std::vector<Example> select(const Values& input) const override;

 private:
  std::vector<Example> examples_;
  std::vector<std::string> formatted_;  // example_prompt applied to each example
  LengthFunction length_;
  size_t max_length_;
  std::string separator_;
  std::vector<std::string> input_keys_;
};

// Greedy maximal marginal relevance over unit-free similarities: picks k of the candidates (or
// all if fewer), first the one most similar to the query, then each time the candidate
// maximising lambda * cos(query, c) - (1 - lambda) * max over chosen s of cos(c, s); ties go to
// the lower index. Returns candidate indices in the order chosen. lambda in [0, 1]; lambda = 1 is
// plain similarity order.
std::vector<size_t> maximal_marginal_relevance(const std::vector<float>& query,
                                               const std::vector<std::vector<float>>& candidates,
                                               size_t k, double lambda);

// Shared part of the embedding selectors: the examples, their embeddings (of
// example_text(e, example_keys), computed once at construction) and the query embedding.
class EmbeddingExampleSelector : public ExampleSelector {
 public:
  // Throws Error(kInvalidArgument) for a null embedder or an embedder returning vectors of the
  // wrong count or size.
  EmbeddingExampleSelector(std::vector<Example> examples, std::shared_ptr<const Embedder> embedder,
                           std::vector<std::string> example_keys,
                           std::vector<std::string> input_keys);
  const std::vector<std::vector<float>>& example_embeddings() const { return embeddings_; }
  // cos(query embedding, example embedding) for every example.
  std::vector<double> similarities(const Values& input) const;
  std::vector<Example> select(const Values& input) const override;
  // The indices of the selected examples, in order.
  virtual std::vector<size_t> select_indices(const Values& input) const = 0;

 protected:
  std::vector<float> embed_query(const Values& input) const;
  std::vector<Example> examples_;
  std::shared_ptr<const Embedder> embedder_;
  std::vector<std::string> input_keys_;
  std::vector<std::vector<float>> embeddings_;
};

// The k examples with the highest cosine similarity to the input, most similar first (ties: lower
// index first).
class SemanticSimilarityExampleSelector : public EmbeddingExampleSelector {
 public:
  SemanticSimilarityExampleSelector(std::vector<Example> examples,
                                    std::shared_ptr<const Embedder> embedder, size_t k = 4,
                                    std::vector<std::string> example_keys = {},
                                    std::vector<std::string> input_keys = {});
  std::vector<size_t> select_indices(const Values& input) const override;

 private:
  size_t k_;
};

// The fetch_k examples most similar to the input (as SemanticSimilarityExampleSelector), then k
// of them by maximal_marginal_relevance with lambda.
class MaxMarginalRelevanceExampleSelector : public EmbeddingExampleSelector {
 public:
  MaxMarginalRelevanceExampleSelector(std::vector<Example> examples,
                                      std::shared_ptr<const Embedder> embedder, size_t k = 4,
                                      size_t fetch_k = 20, double lambda = 0.5,
                                      std::vector<std::string> example_keys = {},
                                      std::vector<std::string> input_keys = {});
  std::vector<size_t> select_indices(const Values& input) const override;

 private:
  size_t k_, fetch_k_;
  double lambda_;
};

}  // namespace llmkit::prompt
