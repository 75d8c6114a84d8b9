// HashingEmbedder against features hashed here from its documented definition (FNV-1a 64 of
// "w:word" / "c:ngram", bucket = hash % dim, sign = top bit), TF-IDF per scikit-learn's smooth
// idf, L2 normalisation, and cosine_similarity.
#include "llmkit/prompt/embedder.h"

#include <gtest/gtest.h>

#include <cmath>
#include <set>

#include "llmkit/base/error.h"

namespace llmkit::prompt {
namespace {

uint64_t fnv(const std::string& s) {
  uint64_t h = 0xcbf29ce484222325ull;
  for (unsigned char c : s) {
    h ^= c;
    h *= 0x100000001b3ull;
  }
  return h;
}

void add(std::vector<float>& v, const std::string& feature, float w) {
  const uint64_t h = fnv(feature);
  v[h % v.size()] += (h >> 63) ? -w : w;
}

TEST(HashingEmbedder, WordCountsMatchHandHashing) {
  HashingEmbedder e({.dim = 64, .ngram = 0});
  std::vector<float> want(64, 0.0f);
  add(want, "w:cat", 1);
  add(want, "w:cat", 1);
  add(want, "w:dog", 1);
  add(want, "w:42", 1);
  EXPECT_EQ(e.counts("Cat, cat; DOG!! 42"), want);
}

TEST(HashingEmbedder, CharacterNgramsOfPaddedWords) {
  HashingEmbedder e({.dim = 97, .ngram = 3, .word_weight = 2.0f});
  std::vector<float> want(97, 0.0f);
  add(want, "w:ab", 2);
  add(want, "c: ab", 1);  // " ab " -> " ab", "ab "
  add(want, "c:ab ", 1);
  add(want, "w:x", 2);
  add(want, "c: x ", 1);  // " x " has exactly 3 characters: one gram
  add(want, "w:é", 2);    // UTF-8 bytes are word bytes; n-grams count characters
  add(want, "c: é ", 1);
  EXPECT_EQ(e.counts("AB x é"), want);
  std::vector<float> single(97, 0.0f);
  add(single, "w:a", 2);
  add(single, "c: a ", 1);  // " a " has 3 characters
  EXPECT_EQ(e.counts("a"), single);
}

TEST(HashingEmbedder, EmbeddingsAreUnitLengthAndDeterministic) {
  HashingEmbedder e;
  const auto v = e.embed({"The quick brown fox", "", "!!!", "The quick brown fox"});
  ASSERT_EQ(v.size(), 4u);
  for (const auto& x : v) ASSERT_EQ(x.size(), 512u);
  double n = 0;
  for (float x : v[0]) n += double(x) * x;
  EXPECT_NEAR(n, 1.0, 1e-6);
  EXPECT_EQ(v[0], v[3]);
  EXPECT_EQ(v[1], std::vector<float>(512, 0.0f));  // no features
  EXPECT_EQ(v[2], std::vector<float>(512, 0.0f));
  // the normalised counts
  const auto c = e.counts("The quick brown fox");
  double cn = 0;
  for (float x : c) cn += double(x) * x;
  for (size_t i = 0; i < c.size(); ++i) EXPECT_NEAR(v[0][i], c[i] / std::sqrt(cn), 1e-6);
}

TEST(HashingEmbedder, TfIdfWeighting) {
  HashingEmbedder e({.dim = 1024, .ngram = 0});
  const std::vector<std::string> corpus = {"the cat", "the dog", "the cat sat"};
  e.fit_idf(corpus);
  ASSERT_TRUE(e.has_idf());
  // df(the) = 3, df(cat) = 2, df(sat) = 1, N = 3 (assuming no bucket collisions, checked)
  const size_t b_the = fnv("w:the") % 1024, b_cat = fnv("w:cat") % 1024,
               b_sat = fnv("w:sat") % 1024, b_dog = fnv("w:dog") % 1024;
  ASSERT_EQ(std::set<size_t>({b_the, b_cat, b_sat, b_dog}).size(), 4u);
  auto idf = [](double df) { return std::log(4.0 / (1 + df)) + 1; };
  const auto c = e.counts("the cat sat the");
  std::vector<double> w(1024, 0.0);
  w[b_the] = c[b_the] * idf(3);
  w[b_cat] = c[b_cat] * idf(2);
  w[b_sat] = c[b_sat] * idf(1);
  double n = 0;
  for (double x : w) n += x * x;
  const auto v = e.embed({"the cat sat the"})[0];
  for (size_t i = 0; i < 1024; ++i) EXPECT_NEAR(v[i], w[i] / std::sqrt(n), 1e-6) << i;
  EXPECT_NEAR(std::abs(c[b_the]), 2.0f, 0);
}

TEST(HashingEmbedder, SimilarTextsScoreHigher) {
  HashingEmbedder e;
  const auto v =
      e.embed({"the cat chased a mouse", "a kitten chased the mice", "bond yields rose sharply"});
  EXPECT_GT(cosine_similarity(v[0], v[1]), cosine_similarity(v[0], v[2]) + 0.2);
  EXPECT_NEAR(cosine_similarity(v[0], v[0]), 1.0, 1e-6);
}

TEST(CosineSimilarity, Definition) {
  EXPECT_NEAR(cosine_similarity({1, 0}, {0, 3}), 0.0, 1e-12);
  EXPECT_NEAR(cosine_similarity({1, 2, 2}, {2, 4, 4}), 1.0, 1e-12);
  EXPECT_NEAR(cosine_similarity({3, 4}, {4, 3}), 24.0 / 25.0, 1e-12);
  EXPECT_NEAR(cosine_similarity({1, 0}, {-2, 0}), -1.0, 1e-12);
  EXPECT_EQ(cosine_similarity({0, 0}, {1, 1}), 0.0);
  EXPECT_THROW(cosine_similarity({1}, {1, 2}), Error);
}

}  // namespace
}  // namespace llmkit::prompt
