// Example selectors: fixed, length budget (against explicit word and byte counts), semantic
// similarity (against a brute-force cosine ranking written here) and MMR (against a direct
// re-implementation of the formula here, and lambda = 1 == similarity order).
#include "llmkit/prompt/example_selector.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <numeric>

#include "llmkit/base/error.h"
#include "llmkit/tokenizer/tokenizer.h"

namespace llmkit::prompt {
namespace {

using Indices = std::vector<size_t>;

// An embedder with a fixed vector per text (an unknown text is a test bug).
class TableEmbedder : public Embedder {
 public:
  explicit TableEmbedder(std::map<std::string, std::vector<float>> table)
      : table_(std::move(table)) {}
  std::vector<std::vector<float>> embed(const std::vector<std::string>& texts) const override {
    std::vector<std::vector<float>> out;
    for (const auto& t : texts) out.push_back(table_.at(t));
    return out;
  }
  int dim() const override { return static_cast<int>(table_.begin()->second.size()); }

 private:
  std::map<std::string, std::vector<float>> table_;
};

// One token per byte: the token count of a text is its size.
class ByteTokenizer : public tokenizer::Tokenizer {
 public:
  using Tokenizer::encode;
  std::vector<int32_t> encode(std::string_view text) const override {
    return std::vector<int32_t>(text.begin(), text.end());
  }
  std::string decode(const std::vector<int32_t>& ids) const override {
    return std::string(ids.begin(), ids.end());
  }
  std::string id_to_piece(int32_t id) const override { return std::string(1, char(id)); }
  int32_t piece_to_id(std::string_view p) const override { return p.size() == 1 ? p[0] : -1; }
  int32_t n_vocab() const override { return 256; }
  int32_t bos_id() const override { return -1; }
  int32_t eos_id() const override { return -1; }
  int32_t pad_id() const override { return -1; }
  int32_t unk_id() const override { return -1; }
  bool is_special(int32_t) const override { return false; }
  uint64_t fingerprint() const override { return 0; }
};

double brute_cosine(const std::vector<float>& a, const std::vector<float>& b) {
  double dot = 0, na = 0, nb = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    dot += double(a[i]) * b[i];
    na += double(a[i]) * a[i];
    nb += double(b[i]) * b[i];
  }
  return (na == 0 || nb == 0) ? 0 : dot / std::sqrt(na * nb);
}

Indices indices_of(const std::vector<Example>& all, const std::vector<Example>& chosen) {
  Indices out;
  for (const auto& c : chosen) {
    out.push_back(static_cast<size_t>(std::find(all.begin(), all.end(), c) - all.begin()));
  }
  return out;
}

TEST(FixedExampleSelector, AllOrFirstN) {
  const std::vector<Example> ex = {{{"a", "1"}}, {{"a", "2"}}, {{"a", "3"}}};
  EXPECT_EQ(FixedExampleSelector(ex).select({}), ex);
  EXPECT_EQ(FixedExampleSelector(ex, 2).select({}), (std::vector<Example>{ex[0], ex[1]}));
  EXPECT_EQ(FixedExampleSelector(ex, 0).select({}), std::vector<Example>{});
  EXPECT_EQ(FixedExampleSelector(ex, 10).select({}), ex);
}

TEST(LengthBasedExampleSelector, WordBudgetAgainstExplicitCounts) {
  // formatted examples "a b -> c" (4 words), "d -> e f g" (5), "h -> i" (3), "j -> k" (3);
  // input "what is up" (3 words)
  const std::vector<Example> ex = {{{"q", "a b"}, {"a", "c"}},
                                   {{"q", "d"}, {"a", "e f g"}},
                                   {{"q", "h"}, {"a", "i"}},
                                   {{"q", "j"}, {"a", "k"}}};
  const Values input = {{"question", "what is up"}};
  auto pick = [&](size_t budget) {
    LengthBasedExampleSelector s(ex, PromptTemplate("{q} -> {a}"), word_count_length(), budget);
    return indices_of(ex, s.select(input));
  };
  EXPECT_EQ(pick(6), Indices{});            // 3 + 4 = 7 > 6
  EXPECT_EQ(pick(7), (Indices{0}));         // 7
  EXPECT_EQ(pick(11), (Indices{0}));        // 7 + 5 = 12 > 11: stops, though example 2 fits
  EXPECT_EQ(pick(12), (Indices{0, 1}));     // 12, then 15 > 12
  EXPECT_EQ(pick(17), (Indices{0, 1, 2}));  // 15, then 18 > 17
  EXPECT_EQ(pick(18), (Indices{0, 1, 2, 3}));
}

TEST(LengthBasedExampleSelector, TokenBudgetCountsTheJoinedText) {
  // ByteTokenizer: tokens = bytes. Examples "ab" and "cde" formatted as "<ab>" (4) and "<cde>"
  // (5); separator "--" (2); input "xyz" (3).
  ByteTokenizer tok;
  const std::vector<Example> ex = {{{"t", "ab"}}, {{"t", "cde"}}};
  const Values input = {{"in", "xyz"}};
  auto pick = [&](size_t budget) {
    LengthBasedExampleSelector s(ex, PromptTemplate("<{t}>"), token_count_length(tok), budget,
                                 "--");
    return s.select(input).size();
  };
  const size_t one = std::string("<ab>--xyz").size();         // 9
  const size_t two = std::string("<ab>--<cde>--xyz").size();  // 16
  EXPECT_EQ(pick(one - 1), 0u);
  EXPECT_EQ(pick(one), 1u);
  EXPECT_EQ(pick(two - 1), 1u);
  EXPECT_EQ(pick(two), 2u);
  // empty input: only the examples are measured
  LengthBasedExampleSelector s(ex, PromptTemplate("<{t}>"), token_count_length(tok), 4, "--");
  EXPECT_EQ(s.select({}).size(), 1u);
}

TEST(WordCount, CountsRunsOfNonSpace) {
  const auto wc = word_count_length();
  EXPECT_EQ(wc(""), 0u);
  EXPECT_EQ(wc("  \n\t "), 0u);
  EXPECT_EQ(wc("one"), 1u);
  EXPECT_EQ(wc(" one  two\nthree\t"), 3u);
}

TEST(ExampleText, JoinsValuesInKeyOrderOrByKeys) {
  const Example e = {{"b", "B"}, {"a", "A"}, {"c", "C"}};
  EXPECT_EQ(example_text(e), "A B C");
  EXPECT_EQ(example_text(e, {"c", "a"}), "C A");
  EXPECT_THROW(example_text(e, {"zz"}), Error);
}

// Examples over 12 small texts embedded by the built-in embedder.
std::vector<Example> animal_examples() {
  const char* texts[] = {
      "the cat sat on the mat",         "a dog chased the cat",    "stock prices fell today",
      "the market rallied on earnings", "cats and kittens purr",   "my dog loves long walks",
      "interest rates and bonds",       "a kitten chased a mouse", "the weather is sunny",
      "rain is expected tomorrow",      "the cat ate the mouse",   "bond yields rose sharply"};
  std::vector<Example> out;
  for (const char* t : texts) out.push_back({{"text", t}});
  return out;
}

TEST(SemanticSimilarityExampleSelector, MatchesBruteForceCosineRanking) {
  const auto ex = animal_examples();
  auto embedder = std::make_shared<HashingEmbedder>();
  for (const char* query : {"a cat chased the mouse", "bond markets", "sunny weather", "dogs"}) {
    const Values input = {{"q", query}};
    SemanticSimilarityExampleSelector s(ex, embedder, 4);
    // brute force: embed each text separately, cosine by hand, rank by score then index
    const auto qv = embedder->embed({query})[0];
    std::vector<double> score;
    for (const auto& e : ex) score.push_back(brute_cosine(qv, embedder->embed({e.at("text")})[0]));
    Indices order(ex.size());
    std::iota(order.begin(), order.end(), 0);
    std::sort(order.begin(), order.end(), [&](size_t a, size_t b) {
      return score[a] != score[b] ? score[a] > score[b] : a < b;
    });
    order.resize(4);
    EXPECT_EQ(s.select_indices(input), order) << query;
    EXPECT_EQ(indices_of(ex, s.select(input)), order) << query;
  }
}

TEST(SemanticSimilarityExampleSelector, HandMadeVectors) {
  // cos to query (1, 0): e0 = 0, e1 = 1, e2 = 0.6, e3 = 0.8, e4 = -1
  auto emb = std::make_shared<TableEmbedder>(
      std::map<std::string, std::vector<float>>{{"q", {1, 0}},
                                                {"e0", {0, 2}},
                                                {"e1", {3, 0}},
                                                {"e2", {0.6f, 0.8f}},
                                                {"e3", {4, 3}},
                                                {"e4", {-1, 0}}});
  std::vector<Example> ex;
  for (const char* t : {"e0", "e1", "e2", "e3", "e4"}) ex.push_back({{"t", t}});
  EXPECT_EQ(SemanticSimilarityExampleSelector(ex, emb, 3).select_indices({{"x", "q"}}),
            (Indices{1, 3, 2}));
  EXPECT_EQ(SemanticSimilarityExampleSelector(ex, emb, 9).select_indices({{"x", "q"}}),
            (Indices{1, 3, 2, 0, 4}));
}

// MMR written out directly from its definition, over precomputed similarities.
Indices reference_mmr(const std::vector<float>& q, const std::vector<std::vector<float>>& docs,
                      size_t k, double lambda) {
  Indices chosen;
  while (chosen.size() < std::min(k, docs.size())) {
    size_t best = docs.size();
    double best_score = -1e300;
    for (size_t i = 0; i < docs.size(); ++i) {
      if (std::find(chosen.begin(), chosen.end(), i) != chosen.end()) continue;
      double score;
      if (chosen.empty()) {
        score = brute_cosine(q, docs[i]);
      } else {
        double redundancy = -1e300;
        for (size_t s : chosen) redundancy = std::max(redundancy, brute_cosine(docs[i], docs[s]));
        score = lambda * brute_cosine(q, docs[i]) - (1 - lambda) * redundancy;
      }
      if (score > best_score) {
        best_score = score;
        best = i;
      }
    }
    chosen.push_back(best);
  }
  return chosen;
}

TEST(MaxMarginalRelevance, MatchesTheFormulaOnASmallSet) {
  // query (1, 0); d0 and d1 near-duplicates close to the query, d2 diagonal, d3 orthogonal
  const std::vector<float> q = {1, 0};
  const std::vector<std::vector<float>> d = {{1, 0.05f}, {1, 0.06f}, {0.7f, 0.7f}, {0, 1}};
  // lambda = 0.3 by hand: d0 first (cos 0.9988); then d1: 0.3*0.9982 - 0.7*~1 = -0.40,
  // d2: 0.3*0.7071 - 0.7*0.7416 = -0.31, d3: 0 - 0.7*0.0499 = -0.035 -> d3; then
  // d1: -0.40, d2: 0.2121 - 0.7*max(0.7416, 0.7071) = -0.31 -> d2
  EXPECT_EQ(maximal_marginal_relevance(q, d, 3, 0.3), (Indices{0, 3, 2}));
  for (double lambda : {0.0, 0.25, 0.5, 0.75, 0.9, 1.0}) {
    for (size_t k = 0; k <= 5; ++k) {
      EXPECT_EQ(maximal_marginal_relevance(q, d, k, lambda), reference_mmr(q, d, k, lambda))
          << "lambda " << lambda << " k " << k;
    }
  }
  EXPECT_THROW(maximal_marginal_relevance(q, d, 2, 1.5), Error);
}

TEST(MaxMarginalRelevanceExampleSelector, AgreesWithReferenceAndLambdaOneIsSimilarity) {
  const auto ex = animal_examples();
  auto embedder = std::make_shared<HashingEmbedder>();
  std::vector<std::vector<float>> docs;
  for (const auto& e : ex) docs.push_back(embedder->embed({e.at("text")})[0]);
  for (const char* query : {"the cat chased a mouse", "bonds and stock markets", "dog walks"}) {
    const Values input = {{"q", query}};
    const auto qv = embedder->embed({query})[0];
    // The selector's candidates are the examples in similarity order (ties by index), so equal
    // MMR scores (common at lambda = 0: many texts share no feature) go to the more similar one.
    std::vector<double> score;
    for (const auto& dv : docs) score.push_back(brute_cosine(qv, dv));
    Indices rank(ex.size());
    std::iota(rank.begin(), rank.end(), 0);
    std::stable_sort(rank.begin(), rank.end(),
                     [&](size_t a, size_t b) { return score[a] > score[b]; });
    std::vector<std::vector<float>> ranked;
    for (size_t i : rank) ranked.push_back(docs[i]);
    for (double lambda : {0.0, 0.5, 1.0}) {
      // fetch_k >= n: MMR over every example
      MaxMarginalRelevanceExampleSelector all(ex, embedder, 4, 100, lambda);
      Indices want;
      for (size_t c : reference_mmr(qv, ranked, 4, lambda)) want.push_back(rank[c]);
      EXPECT_EQ(all.select_indices(input), want) << query << " lambda " << lambda;
    }
    MaxMarginalRelevanceExampleSelector pure(ex, embedder, 4, 8, 1.0);
    SemanticSimilarityExampleSelector sim(ex, embedder, 4);
    EXPECT_EQ(pure.select_indices(input), sim.select_indices(input)) << query;
  }
}

TEST(MaxMarginalRelevanceExampleSelector, OnlyTheFetchKMostSimilarAreCandidates) {
  // cos to q: e0 = 1, e1 = 0.995 (near e0), e2 = 0.8, e3 = 0 (orthogonal, most diverse)
  auto emb = std::make_shared<TableEmbedder>(
      std::map<std::string, std::vector<float>>{{"q", {1, 0, 0}},
                                                {"e0", {1, 0, 0}},
                                                {"e1", {0.995f, 0.0998749f, 0}},
                                                {"e2", {0.8f, 0, 0.6f}},
                                                {"e3", {0, 1, 0}}});
  std::vector<Example> ex;
  for (const char* t : {"e0", "e1", "e2", "e3"}) ex.push_back({{"t", t}});
  // lambda 0: after e0, the least similar to e0 among candidates
  EXPECT_EQ(MaxMarginalRelevanceExampleSelector(ex, emb, 2, 4, 0.0).select_indices({{"x", "q"}}),
            (Indices{0, 3}));
  EXPECT_EQ(MaxMarginalRelevanceExampleSelector(ex, emb, 2, 3, 0.0).select_indices({{"x", "q"}}),
            (Indices{0, 2}));
  EXPECT_EQ(MaxMarginalRelevanceExampleSelector(ex, emb, 2, 2, 0.0).select_indices({{"x", "q"}}),
            (Indices{0, 1}));
}

TEST(EmbeddingExampleSelector, RejectsBadEmbedders) {
  std::vector<Example> ex = {{{"t", "e0"}}};
  EXPECT_THROW(SemanticSimilarityExampleSelector(ex, nullptr), Error);
  auto emb = std::make_shared<TableEmbedder>(
      std::map<std::string, std::vector<float>>{{"e0", {1, 0}}, {"zz", {1}}});
  EXPECT_THROW(SemanticSimilarityExampleSelector({{{"t", "zz"}}}, emb), Error);  // wrong size
}

}  // namespace
}  // namespace llmkit::prompt
