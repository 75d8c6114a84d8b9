#include "llmkit/prompt/example_selector.h"

#include <algorithm>
#include <numeric>

#include "llmkit/base/error.h"
#include "llmkit/tokenizer/tokenizer.h"

namespace llmkit::prompt {
namespace {

// Indices 0..n-1 ordered by descending score, ties by index.
std::vector<size_t> rank_descending(const std::vector<double>& score) {
  std::vector<size_t> order(score.size());
  std::iota(order.begin(), order.end(), size_t{0});
  std::stable_sort(order.begin(), order.end(),
                   [&](size_t a, size_t b) { return score[a] > score[b]; });
  return order;
}

}  // namespace

std::string example_text(const Example& e, const std::vector<std::string>& keys) {
  std::string out;
  bool first = true;
  auto append = [&](const std::string& s) {
    if (!first) out += ' ';
    out += s;
    first = false;
  };
  if (keys.empty()) {
    for (const auto& [key, value] : e) append(value);
    return out;
  }
  for (const auto& key : keys) {
    auto it = e.find(key);
    LLMKIT_CHECK(it != e.end(), "example selector: example or input has no field '", key,
                 "'; give every example the keys the selector reads");
    append(it->second);
  }
  return out;
}

std::vector<Example> FixedExampleSelector::select(const Values&) const {
  const size_t n = std::min(n_, examples_.size());
  return {examples_.begin(), examples_.begin() + static_cast<std::ptrdiff_t>(n)};
}

LengthFunction word_count_length() {
  return [](std::string_view text) {
    size_t n = 0;
    bool in_word = false;
    for (const char c : text) {
      const bool space = c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
      if (!space && !in_word) ++n;
      in_word = !space;
    }
    return n;
  };
}

LengthFunction token_count_length(const tokenizer::Tokenizer& tokenizer) {
  const tokenizer::Tokenizer* tok = &tokenizer;
  return [tok](std::string_view text) { return tok->encode(text).size(); };
}

LengthBasedExampleSelector::LengthBasedExampleSelector(std::vector<Example> examples,
                                                       PromptTemplate example_prompt,
                                                       LengthFunction length, size_t max_length,
                                                       std::string separator,
                                                       std::vector<std::string> input_keys)
    : examples_(std::move(examples)),
      length_(std::move(length)),
      max_length_(max_length),
      separator_(std::move(separator)),
      input_keys_(std::move(input_keys)) {
  LLMKIT_CHECK(length_, "LengthBasedExampleSelector: the length function is empty");
  for (size_t i = 0; i < examples_.size(); ++i) {
    try {
      formatted_.push_back(example_prompt.format_with(examples_[i], ExtraValues::kIgnore));
    } catch (const Error& err) {
      throw_error(ErrorCode::kInvalidArgument,
                  str_cat("LengthBasedExampleSelector: example ", i, ": ", err.what()));
    }
  }
}

std::vector<Example> LengthBasedExampleSelector::select(const Values& input) const {
  const std::string input_text = example_text(input, input_keys_);
  std::vector<Example> out;
  std::string joined;  // the kept examples joined with separator_
  for (size_t i = 0; i < examples_.size(); ++i) {
    std::string candidate = out.empty() ? formatted_[i] : joined + separator_ + formatted_[i];
    std::string measured = input_text.empty() ? candidate : candidate + separator_ + input_text;
    if (length_(measured) > max_length_) break;
    joined = std::move(candidate);
    out.push_back(examples_[i]);
  }
  return out;
}

std::vector<size_t> maximal_marginal_relevance(const std::vector<float>& query,
                                               const std::vector<std::vector<float>>& candidates,
                                               size_t k, double lambda) {
  LLMKIT_CHECK(lambda >= 0 && lambda <= 1,
               "maximal marginal relevance: lambda must be in [0, 1], got ", lambda);
  const size_t n = candidates.size();
  std::vector<double> relevance(n);
  for (size_t i = 0; i < n; ++i) relevance[i] = cosine_similarity(query, candidates[i]);
  std::vector<size_t> chosen;
  std::vector<bool> taken(n, false);
  // max_sim[i]: max over chosen s of cos(candidates[i], s)
  std::vector<double> max_sim(n, -std::numeric_limits<double>::infinity());
  while (chosen.size() < std::min(k, n)) {
    size_t best = n;
    double best_score = 0;
    for (size_t i = 0; i < n; ++i) {
      if (taken[i]) continue;
      const double score =
          chosen.empty() ? relevance[i] : lambda * relevance[i] - (1 - lambda) * max_sim[i];
      if (best == n || score > best_score) {
        best = i;
        best_score = score;
      }
    }
    taken[best] = true;
    chosen.push_back(best);
    for (size_t i = 0; i < n; ++i) {
      if (!taken[i])
        max_sim[i] = std::max(max_sim[i], cosine_similarity(candidates[i], candidates[best]));
    }
  }
  return chosen;
}

EmbeddingExampleSelector::EmbeddingExampleSelector(std::vector<Example> examples,
                                                   std::shared_ptr<const Embedder> embedder,
                                                   std::vector<std::string> example_keys,
                                                   std::vector<std::string> input_keys)
    : examples_(std::move(examples)),
      embedder_(std::move(embedder)),
      input_keys_(std::move(input_keys)) {
  LLMKIT_CHECK(embedder_, "example selector: the embedder is null");
  std::vector<std::string> texts;
  for (const auto& e : examples_) texts.push_back(example_text(e, example_keys));
  embeddings_ = embedder_->embed(texts);
  LLMKIT_CHECK(embeddings_.size() == texts.size(), "example selector: the embedder returned ",
               embeddings_.size(), " vectors for ", texts.size(), " texts");
  for (const auto& v : embeddings_) {
    LLMKIT_CHECK(v.size() == static_cast<size_t>(embedder_->dim()),
                 "example selector: the embedder returned a vector of size ", v.size(),
                 " but its dim() is ", embedder_->dim());
  }
}

std::vector<float> EmbeddingExampleSelector::embed_query(const Values& input) const {
  auto v = embedder_->embed({example_text(input, input_keys_)});
  LLMKIT_CHECK(v.size() == 1 && v[0].size() == static_cast<size_t>(embedder_->dim()),
               "example selector: the embedder returned no vector of size ", embedder_->dim(),
               " for the query");
  return std::move(v[0]);
}

std::vector<double> EmbeddingExampleSelector::similarities(const Values& input) const {
  const auto q = embed_query(input);
  std::vector<double> out;
  for (const auto& e : embeddings_) out.push_back(cosine_similarity(q, e));
  return out;
}

std::vector<Example> EmbeddingExampleSelector::select(const Values& input) const {
  std::vector<Example> out;
  for (const size_t i : select_indices(input)) out.push_back(examples_[i]);
  return out;
}

SemanticSimilarityExampleSelector::SemanticSimilarityExampleSelector(
    std::vector<Example> examples, std::shared_ptr<const Embedder> embedder, size_t k,
    std::vector<std::string> example_keys, std::vector<std::string> input_keys)
    : EmbeddingExampleSelector(std::move(examples), std::move(embedder), std::move(example_keys),
                               std::move(input_keys)),
      k_(k) {}

std::vector<size_t> SemanticSimilarityExampleSelector::select_indices(const Values& input) const {
  auto order = rank_descending(similarities(input));
  order.resize(std::min(k_, order.size()));
  return order;
}

MaxMarginalRelevanceExampleSelector::MaxMarginalRelevanceExampleSelector(
    std::vector<Example> examples, std::shared_ptr<const Embedder> embedder, size_t k,
    size_t fetch_k, double lambda, std::vector<std::string> example_keys,
    std::vector<std::string> input_keys)
    : EmbeddingExampleSelector(std::move(examples), std::move(embedder), std::move(example_keys),
                               std::move(input_keys)),
      k_(k),
      fetch_k_(fetch_k),
      lambda_(lambda) {
  LLMKIT_CHECK(lambda >= 0 && lambda <= 1,
               "MaxMarginalRelevanceExampleSelector: lambda must be in [0, 1], got ", lambda);
}

std::vector<size_t> MaxMarginalRelevanceExampleSelector::select_indices(const Values& input) const {
  const auto q = embed_query(input);
  std::vector<double> sim;
  for (const auto& e : embeddings_) sim.push_back(cosine_similarity(q, e));
  auto fetched = rank_descending(sim);
  fetched.resize(std::min(fetch_k_, fetched.size()));
  std::vector<std::vector<float>> candidates;
  for (const size_t i : fetched) candidates.push_back(embeddings_[i]);
  std::vector<size_t> out;
  for (const size_t c : maximal_marginal_relevance(q, candidates, k_, lambda_)) {
    out.push_back(fetched[c]);
  }
  return out;
}

}  // namespace llmkit::prompt
