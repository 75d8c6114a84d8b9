// Retrievers: reciprocal rank fusion against the formula, dense/BM25/hybrid over a real store
// with a hashing embedder, MMR against a hand-worked case, multi-query with a scripted chat
// model, parent-document retrieval.
#include <cmath>
#include <map>
#include <memory>
#include <random>

#include <gtest/gtest.h>

#include "../chain/fake_chat_model.h"
#include "llmkit/base/error.h"
#include "llmkit/rag/hybrid_retriever.h"
#include "llmkit/rag/multi_query_retriever.h"
#include "llmkit/rag/parent_document_retriever.h"
#include "llmkit/rag/store_retrievers.h"
#include "llmkit/rag/vector_store.h"
#include "rag_store_test_util.h"

namespace llmkit::rag {
namespace {

using testing::HashingEmbeddings;
using testing::make_entry;
using testing::TempDir;

SearchHit hit(int64_t id) {
  SearchHit h;
  h.chunk_id = id;
  h.chunk.text = "chunk " + std::to_string(id);
  return h;
}

std::vector<SearchHit> list(std::initializer_list<int64_t> ids) {
  std::vector<SearchHit> out;
  for (auto id : ids) out.push_back(hit(id));
  return out;
}

TEST(ReciprocalRankFusion, MatchesTheFormula) {
  // Lists: [1, 2, 3], [3, 1, 4], [2]; with k = 60 the fused score of id is the sum over the
  // lists holding it of 1 / (60 + rank).
  auto fused = reciprocal_rank_fusion({list({1, 2, 3}), list({3, 1, 4}), list({2})}, 10);
  std::map<int64_t, double> expected = {
      {1, 1.0 / 61 + 1.0 / 62}, {2, 1.0 / 62 + 1.0 / 61}, {3, 1.0 / 63 + 1.0 / 61}, {4, 1.0 / 63}};
  ASSERT_EQ(fused.size(), 4u);
  for (const auto& h : fused) EXPECT_NEAR(h.score, expected.at(h.chunk_id), 1e-15);
  // 1 and 2 tie (same terms): lower id first; 3 = 1/63 + 1/61 < 1/61 + 1/62.
  EXPECT_EQ(fused[0].chunk_id, 1);
  EXPECT_EQ(fused[1].chunk_id, 2);
  EXPECT_EQ(fused[2].chunk_id, 3);
  EXPECT_EQ(fused[3].chunk_id, 4);
  EXPECT_EQ(fused[2].chunk.text, "chunk 3");
  // top_k cuts, k changes the weights, duplicates within one list count once.
  EXPECT_EQ(reciprocal_rank_fusion({list({1, 2, 3})}, 2).size(), 2u);
  auto k0 = reciprocal_rank_fusion({list({5, 5, 6})}, 10, 0.0);
  ASSERT_EQ(k0.size(), 2u);
  EXPECT_DOUBLE_EQ(k0[0].score, 1.0);
  EXPECT_DOUBLE_EQ(k0[1].score, 1.0 / 3.0);
  EXPECT_TRUE(reciprocal_rank_fusion({}, 5).empty());
}

class RetrieverTest : public ::testing::Test {
 protected:
  void SetUp() override {
    embeddings_ = std::make_shared<HashingEmbeddings>(256);
    StoreOptions o;
    o.embedder = "hashing-256";
    o.dim = 256;
    auto store = VectorStore::create(dir_.path(), o);
    auto w = store->begin();
    add(*w, "animals",
        {"The cat sleeps on the warm mat.", "Dogs chase cats in the park.",
         "Parrots can imitate human speech."});
    add(*w, "finance",
        {"The central bank raised interest rates.", "Stock markets fell after the rate decision.",
         "Bonds rallied as inflation cooled."});
    add(*w, "cooking",
        {"Knead the dough and let it rise overnight.", "Bake the bread in a hot oven.",
         "A cat walked into the bakery."});
    w->commit();
    store_ = std::move(store);
  }
  void add(VectorStore::Writer& w, const std::string& source,
           const std::vector<std::string>& texts) {
    w.add_document(make_entry(source, texts, embeddings_->embed(texts), {{"topic", source}}));
  }
  TempDir dir_;
  std::shared_ptr<HashingEmbeddings> embeddings_;
  std::shared_ptr<const VectorStore> store_;
};

TEST_F(RetrieverTest, DenseAndBm25FindTheRightPassages) {
  DenseRetriever dense(store_, embeddings_, {2, {}});
  auto hits = dense.invoke("interest rates of the central bank");
  ASSERT_EQ(hits.size(), 2u);
  EXPECT_EQ(hits[0].chunk.text, "The central bank raised interest rates.");
  EXPECT_EQ(hits[0].title, "Title of finance");
  EXPECT_GE(hits[0].score, hits[1].score);
  // The score is the cosine of the two embeddings.
  auto q = embeddings_->embed({"interest rates of the central bank"})[0];
  auto c = embeddings_->embed({hits[0].chunk.text})[0];
  EXPECT_NEAR(hits[0].score, testing::dot(q, c), 1e-5);

  Bm25Retriever bm25(store_, {3, {}});
  auto b = bm25.invoke("bread oven");
  ASSERT_EQ(b.size(), 1u);
  EXPECT_EQ(b[0].chunk.text, "Bake the bread in a hot oven.");
  // Filters reach the store.
  Filter only_cooking;
  only_cooking.metadata = {{"topic", "cooking"}};
  DenseRetriever filtered(store_, embeddings_, {5, only_cooking});
  for (const auto& h : filtered.invoke("cat")) EXPECT_EQ(h.chunk.source, "cooking");
  EXPECT_THROW(DenseRetriever(nullptr, embeddings_), Error);
}

TEST_F(RetrieverTest, HybridFusesDenseAndBm25) {
  auto dense = std::make_shared<DenseRetriever>(store_, embeddings_, RetrieverOptions{5, {}});
  auto bm25 = std::make_shared<Bm25Retriever>(store_, RetrieverOptions{5, {}});
  HybridRetriever hybrid({dense, bm25}, 3);
  const std::string question = "cat on a mat";
  auto fused = hybrid.invoke(question);
  auto expected = reciprocal_rank_fusion({dense->invoke(question), bm25->invoke(question)}, 3);
  ASSERT_EQ(fused.size(), expected.size());
  for (size_t i = 0; i < fused.size(); ++i) {
    EXPECT_EQ(fused[i].chunk_id, expected[i].chunk_id);
    EXPECT_DOUBLE_EQ(fused[i].score, expected[i].score);
  }
  EXPECT_EQ(fused[0].chunk.text, "The cat sleeps on the warm mat.");
  EXPECT_THROW(HybridRetriever({}, 3), Error);
  EXPECT_THROW(HybridRetriever({dense, bm25}, 3, 60.0, {1.0}), Error);
  EXPECT_THROW(HybridRetriever({dense, bm25}, 3, 60.0, {1.0, -1.0}), Error);
  // Weighted: the same as weighted fusion of the parts.
  HybridRetriever weighted({dense, bm25}, 3, 60.0, {0.3, 1.0});
  auto w = weighted.invoke(question);
  auto we = reciprocal_rank_fusion({dense->invoke(question), bm25->invoke(question)}, 3, 60.0,
                                   {0.3, 1.0});
  ASSERT_EQ(w.size(), we.size());
  for (size_t i = 0; i < w.size(); ++i) EXPECT_DOUBLE_EQ(w[i].score, we[i].score);
}

// Weighted RRF, worked by hand: lists A = [1, 2], B = [2, 3], k = 60.
TEST(ReciprocalRankFusion, WeightsScaleEachListsContribution) {
  auto hit = [](int64_t id) {
    SearchHit h;
    h.chunk_id = id;
    return h;
  };
  const std::vector<std::vector<SearchHit>> lists = {{hit(1), hit(2)}, {hit(2), hit(3)}};
  auto fused = reciprocal_rank_fusion(lists, 3, 60.0, {0.2, 1.0});
  ASSERT_EQ(fused.size(), 3u);
  EXPECT_EQ(fused[0].chunk_id, 2);
  EXPECT_NEAR(fused[0].score, 0.2 / 62 + 1.0 / 61, 1e-12);
  EXPECT_EQ(fused[1].chunk_id, 3);
  EXPECT_NEAR(fused[1].score, 1.0 / 62, 1e-12);
  EXPECT_EQ(fused[2].chunk_id, 1);
  EXPECT_NEAR(fused[2].score, 0.2 / 61, 1e-12);
  // Equal weights are plain RRF: 1 (1/61) now ranks before 3 (1/62).
  fused = reciprocal_rank_fusion(lists, 3, 60.0, {1.0, 1.0});
  EXPECT_EQ(fused[1].chunk_id, 1);
  EXPECT_THROW(reciprocal_rank_fusion(lists, 3, 60.0, {1.0}), Error);
}

// A toy embedder with fixed vectors, to check MMR's choice by hand.
class TableEmbeddings : public chain::Embeddings {
 public:
  std::map<std::string, std::vector<float>> table;
  std::vector<std::vector<float>> embed(const std::vector<std::string>& texts) const override {
    std::vector<std::vector<float>> out;
    for (const auto& t : texts) out.push_back(table.at(t));
    return out;
  }
  int dim() const override { return 2; }
};

TEST(MmrRetriever, PrefersADifferentPassageOverANearDuplicate) {
  TempDir dir;
  auto emb = std::make_shared<TableEmbeddings>();
  const float s = std::sqrt(0.5f);
  // Query q = (1, 0); A = (1, 0); A2 = (0.99, 0.141), nearly A; B = (s, s). MMR takes A first,
  // then maximises lambda cos(q, c) - (1 - lambda) cos(c, A):
  //   lambda 0.6: A2 = 0.6 * 0.99 - 0.4 * 0.99 = 0.198 > B = 0.6 * 0.707 - 0.4 * 0.707 = 0.141
  //   lambda 0.3: A2 = 0.3 * 0.99 - 0.7 * 0.99 = -0.396 < B = 0.3 * 0.707 - 0.7 * 0.707 = -0.283
  emb->table = {{"q", {1, 0}}, {"A", {1, 0}}, {"A2", {0.99f, 0.14107f}}, {"B", {s, s}}};
  StoreOptions o;
  o.dim = 2;
  auto store = std::shared_ptr<VectorStore>(VectorStore::create(dir.path(), o));
  {
    auto w = store->begin();
    w->add_document(make_entry("d", {"A", "A2", "B"}, emb->embed({"A", "A2", "B"})));
    w->commit();
  }
  auto pick = [&](double lambda) {
    MmrRetriever mmr(store, emb, {2, 3, lambda, {}});
    std::vector<std::string> out;
    for (const auto& h : mmr.invoke("q")) out.push_back(h.chunk.text);
    return out;
  };
  EXPECT_EQ(pick(1.0), (std::vector<std::string>{"A", "A2"}));
  EXPECT_EQ(pick(0.6), (std::vector<std::string>{"A", "A2"}));
  EXPECT_EQ(pick(0.3), (std::vector<std::string>{"A", "B"}));
}

TEST(MultiQuery, ParsesVariants) {
  auto v = parse_query_variants("1. What is X?\n2) \"How does X work?\"\n\n- What is X?\n* Why X",
                                "Original?", 5);
  EXPECT_EQ(v, (std::vector<std::string>{"What is X?", "How does X work?", "Why X"}));
  EXPECT_EQ(parse_query_variants("a\nb\nc", "q", 2).size(), 2u);
  EXPECT_TRUE(parse_query_variants("q\n\n", "q", 3).empty());
}

TEST_F(RetrieverTest, MultiQueryFusesTheVariants) {
  auto model = chain::testing::FakeChatModel::texts(
      {"1. Which animals chase cats?\n2. What happened to stock markets?"});
  auto base = std::make_shared<Bm25Retriever>(store_, RetrieverOptions{3, {}});
  MultiQueryRetriever mq(base, model, {2, 4, 60.0, true});
  const std::string question = "bread";
  auto hits = mq.invoke(question);
  ASSERT_EQ(model->call_count(), 1u);
  EXPECT_NE(model->last_call().messages.at(0).content.find("Question: bread"), std::string::npos);
  auto expected =
      reciprocal_rank_fusion({base->invoke("bread"), base->invoke("Which animals chase cats?"),
                              base->invoke("What happened to stock markets?")},
                             4);
  ASSERT_EQ(hits.size(), expected.size());
  for (size_t i = 0; i < hits.size(); ++i) EXPECT_EQ(hits[i].chunk_id, expected[i].chunk_id);
  // Passages only the variants reach are there.
  bool markets = false, bread = false;
  for (const auto& h : hits) {
    markets |= h.chunk.text == "Stock markets fell after the rate decision.";
    bread |= h.chunk.text == "Bake the bread in a hot oven.";
  }
  EXPECT_TRUE(markets);
  EXPECT_TRUE(bread);
}

TEST(ParentDocumentRetriever, ReturnsEachParentOnce) {
  TempDir dir;
  auto emb = std::make_shared<HashingEmbeddings>(64);
  StoreOptions o;
  o.dim = 64;
  auto store = std::shared_ptr<VectorStore>(VectorStore::create(dir.path(), o));
  DocumentEntry e =
      make_entry("book", {"red apples", "green apples", "blue sky", "lone apples"},
                 emb->embed({"red apples", "green apples", "blue sky", "lone apples"}));
  Chunk p1, p2;
  p1.source = p2.source = "book";
  p1.text = "PARENT ONE";
  p2.text = "PARENT TWO";
  p2.index = 1;
  e.parents = {p1, p2};
  e.parent_of = {0, 0, 1, -1};
  {
    auto w = store->begin();
    w->add_document(e);
    w->commit();
  }
  auto child = std::make_shared<Bm25Retriever>(store, RetrieverOptions{10, {}});
  ParentDocumentRetriever parents(child, store, 10);
  auto hits = parents.invoke("apples");
  auto children = child->invoke("apples");
  ASSERT_EQ(children.size(), 3u);
  // Two children share parent one: it appears once; the lone child stays itself.
  ASSERT_EQ(hits.size(), 2u);
  std::map<std::string, double> got;
  for (const auto& h : hits) got[h.chunk.text] = h.score;
  ASSERT_TRUE(got.count("PARENT ONE"));
  ASSERT_TRUE(got.count("lone apples"));
  double best_child = -1e9;
  for (const auto& c : children) {
    if (c.chunk.text != "lone apples") best_child = std::max(best_child, c.score);
  }
  EXPECT_DOUBLE_EQ(got["PARENT ONE"], best_child);
  EXPECT_EQ(ParentDocumentRetriever(child, store, 1).invoke("apples").size(), 1u);
}

}  // namespace
}  // namespace llmkit::rag
