// VectorStore: round trip through a reopened index, update/delete, filters, HNSW recall against
// exact search, BM25 scores against the FTS5 bm25 formula computed here, recovery from a missing
// or foreign graph file.
#include "llmkit/rag/vector_store.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <map>
#include <random>
#include <set>
#include <thread>

#include <gtest/gtest.h>

#include "llmkit/base/atomic_file.h"
#include "llmkit/base/error.h"
#include "llmkit/rag/fts_query.h"
#include "rag_store_test_util.h"

namespace llmkit::rag {
namespace {

using testing::dot;
using testing::make_entry;
using testing::random_unit;
using testing::TempDir;

StoreOptions options(int dim, size_t exact_below = 10000) {
  StoreOptions o;
  o.embedder = "test-embedder";
  o.dim = dim;
  o.exact_below = exact_below;
  return o;
}

std::vector<std::vector<float>> randoms(std::mt19937& rng, size_t n, int dim) {
  std::vector<std::vector<float>> v;
  for (size_t i = 0; i < n; ++i) v.push_back(random_unit(rng, dim));
  return v;
}

TEST(VectorStore, RoundTripThroughReopen) {
  TempDir dir;
  std::mt19937 rng(1);
  auto vecs = randoms(rng, 3, 8);
  DocumentEntry entry = make_entry("a.txt", {"alpha beta", "gamma delta", "epsilon"}, vecs,
                                   {{"lang", "en"}, {"year", 2020}});
  entry.document.pages = {{0, 1}, {11, 2}};
  entry.document.headings = {{0, 1, "Intro"}};
  {
    auto store = VectorStore::create(dir.path(), options(8));
    auto w = store->begin();
    w->add_document(entry);
    w->commit();
  }
  auto store = VectorStore::open(dir.path(), options(8));
  auto doc = store->get_document("a.txt");
  ASSERT_TRUE(doc.has_value());
  EXPECT_EQ(doc->text, entry.document.text);
  EXPECT_EQ(doc->title, entry.document.title);
  EXPECT_EQ(doc->metadata, entry.document.metadata);
  ASSERT_EQ(doc->pages.size(), 2u);
  EXPECT_EQ(doc->pages[1].offset, 11u);
  EXPECT_EQ(doc->pages[1].page, 2);
  ASSERT_EQ(doc->headings.size(), 1u);
  EXPECT_EQ(doc->headings[0].title, "Intro");
  auto info = store->find_document("a.txt");
  ASSERT_TRUE(info.has_value());
  EXPECT_EQ(info->chunks, 3);
  EXPECT_FALSE(store->find_document("b.txt").has_value());

  // Each chunk's own vector finds it first, with cosine 1; offsets and text survive.
  for (size_t i = 0; i < 3; ++i) {
    auto hits = store->search_dense(vecs[i], 3);
    ASSERT_EQ(hits.size(), 3u);
    EXPECT_EQ(hits[0].chunk.chunk.text, entry.chunks[i].text);
    EXPECT_NEAR(hits[0].score, 1.0, 1e-5);
    EXPECT_EQ(hits[0].chunk.chunk.begin, entry.chunks[i].begin);
    EXPECT_EQ(hits[0].chunk.chunk.end, entry.chunks[i].end);
    EXPECT_EQ(hits[0].chunk.title, "Title of a.txt");
    EXPECT_EQ(doc->text.substr(hits[0].chunk.chunk.begin,
                               hits[0].chunk.chunk.end - hits[0].chunk.chunk.begin),
              hits[0].chunk.chunk.text);
    EXPECT_EQ(hits[0].chunk.chunk.metadata.at("year"), 2020);
    // The stored embedding is the normalised input.
    auto stored = store->get_embedding(hits[0].chunk.id);
    EXPECT_NEAR(dot(stored, vecs[i]), 1.0, 1e-5);
  }
  EXPECT_EQ(store->stats().generation, 1);
  EXPECT_EQ(store->stats().chunks, 3);
}

TEST(VectorStore, CreateAndOpenChecks) {
  TempDir dir;
  EXPECT_THROW(VectorStore::create(dir.path(), options(-1)), Error);
  EXPECT_THROW(VectorStore::open(dir.path(), options(8)), Error);
  VectorStore::create(dir.path(), options(8));
  EXPECT_THROW(VectorStore::create(dir.path(), options(8)), Error);
  EXPECT_THROW(VectorStore::open(dir.path(), options(16)), Error);
  StoreOptions other = options(8);
  other.embedder = "another-model";
  EXPECT_THROW(VectorStore::open(dir.path(), other), Error);
  auto store = VectorStore::open(dir.path());  // takes the recorded values
  EXPECT_EQ(store->dim(), 8);
  EXPECT_EQ(store->embedder(), "test-embedder");
  auto w = store->begin();
  std::mt19937 rng(2);
  EXPECT_THROW(w->add_document(make_entry("x", {"a"}, {random_unit(rng, 4)})), Error);
  EXPECT_THROW(w->add_document(make_entry("x", {"a", "b"}, {random_unit(rng, 8)})), Error);
}

TEST(VectorStore, UpdateDeleteAndRollback) {
  TempDir dir;
  std::mt19937 rng(3);
  auto store = VectorStore::create(dir.path(), options(8, 0));  // always HNSW when unfiltered
  auto v1 = randoms(rng, 2, 8), v2 = randoms(rng, 3, 8), v3 = randoms(rng, 1, 8);
  {
    auto w = store->begin();
    w->add_document(make_entry("one", {"first one", "second one"}, v1));
    w->add_document(make_entry("two", {"a", "b", "c"}, v2));
    EXPECT_THROW(w->add_document(make_entry("two", {"dup"}, v3)), Error);
    w->commit();
  }
  EXPECT_EQ(store->stats().chunks, 5);
  {
    auto w = store->begin();
    w->replace_document(make_entry("one", {"replaced"}, v3));
    EXPECT_TRUE(w->delete_document("two"));
    EXPECT_FALSE(w->delete_document("three"));
    // Not visible before commit.
    EXPECT_EQ(store->stats().chunks, 5);
    w->commit();
  }
  StoreStats st = store->stats();
  EXPECT_EQ(st.documents, 1);
  EXPECT_EQ(st.chunks, 1);
  EXPECT_EQ(st.hnsw_size, 1u);
  auto hits = store->search_dense(v1[0], 10);
  ASSERT_EQ(hits.size(), 1u);
  EXPECT_EQ(hits[0].chunk.chunk.text, "replaced");
  EXPECT_TRUE(store->search_bm25("second", 10).empty());
  EXPECT_EQ(store->search_bm25("replaced", 10).size(), 1u);
  {
    auto w = store->begin();
    w->delete_document("one");
  }  // rolled back
  EXPECT_EQ(store->stats().chunks, 1);
  EXPECT_EQ(store->search_dense(v3[0], 10).size(), 1u);
  EXPECT_EQ(store->stats().generation, 2);
  auto reopened = VectorStore::open(dir.path());
  EXPECT_EQ(reopened->stats().chunks, 1);
  EXPECT_FALSE(reopened->stats().graph_rebuilt);  // read from its file
  EXPECT_EQ(reopened->stats().hnsw_deleted, store->stats().hnsw_deleted);
  EXPECT_EQ(reopened->search_dense(v3[0], 10).size(), 1u);
}

TEST(VectorStore, Filters) {
  TempDir dir;
  std::mt19937 rng(4);
  auto store = VectorStore::create(dir.path(), options(8));
  {
    auto w = store->begin();
    w->add_document(make_entry("docs/a.md", {"apple pie", "apple tart"}, randoms(rng, 2, 8),
                               {{"lang", "en"}, {"year", 2020}, {"draft", true}}));
    w->add_document(make_entry("docs/sub/b.txt", {"apple juice"}, randoms(rng, 1, 8),
                               {{"lang", "de"}, {"year", 2021}, {"draft", false}}));
    DocumentEntry html =
        make_entry("web/c.html", {"apple cider"}, randoms(rng, 1, 8), {{"lang", "en"}});
    html.document.mime = "text/html";
    w->add_document(html);
    w->commit();
  }
  auto sources = [&](const Filter& f) {
    std::set<std::string> out;
    for (const auto& h : store->search_bm25("apple", 10, f)) out.insert(h.chunk.chunk.source);
    std::set<std::string> dense;
    for (const auto& h : store->search_dense(random_unit(rng, 8), 10, f)) {
      dense.insert(h.chunk.chunk.source);
    }
    EXPECT_EQ(out, dense);
    return out;
  };
  using S = std::set<std::string>;
  EXPECT_EQ(sources({}), (S{"docs/a.md", "docs/sub/b.txt", "web/c.html"}));
  EXPECT_EQ(sources({{{"lang", "en"}}, "", ""}), (S{"docs/a.md", "web/c.html"}));
  EXPECT_EQ(sources({{{"year", 2021}}, "", ""}), (S{"docs/sub/b.txt"}));
  EXPECT_EQ(sources({{{"draft", true}}, "", ""}), (S{"docs/a.md"}));
  EXPECT_EQ(sources({{{"year", nullptr}}, "", ""}), (S{"web/c.html"}));
  EXPECT_EQ(sources({{}, "docs/*", ""}), (S{"docs/a.md", "docs/sub/b.txt"}));
  EXPECT_EQ(sources({{}, "*.md", ""}), (S{"docs/a.md"}));
  EXPECT_EQ(sources({{}, "", "text/html"}), (S{"web/c.html"}));
  EXPECT_EQ(sources({{{"lang", "en"}}, "docs/*", "text/plain"}), (S{"docs/a.md"}));
  EXPECT_EQ(sources({{{"lang", "fr"}}, "", ""}), S{});
  EXPECT_THROW(store->search_bm25("apple", 10, {{{"lang", {1, 2}}}, "", ""}), Error);
}

TEST(VectorStore, HnswRecallAgainstExact) {
  TempDir dir;
  const int dim = 32;
  std::mt19937 rng(5);
  auto store = VectorStore::create(dir.path(), options(dim, 0));
  std::vector<std::vector<float>> all;
  {
    auto w = store->begin();
    for (int d = 0; d < 20; ++d) {
      auto vecs = randoms(rng, 100, dim);
      std::vector<std::string> texts(100);
      for (int i = 0; i < 100; ++i)
        texts[i] = "doc " + std::to_string(d) + " chunk " + std::to_string(i);
      w->add_document(make_entry("d" + std::to_string(d), texts, vecs));
      all.insert(all.end(), vecs.begin(), vecs.end());
    }
    w->commit();
  }
  ASSERT_EQ(store->stats().hnsw_size, all.size());
  const size_t k = 10;
  size_t found = 0, total = 0;
  for (int q = 0; q < 50; ++q) {
    auto query = random_unit(rng, dim);
    // Brute force here, over the vectors the test inserted.
    std::vector<std::pair<double, size_t>> ref;
    for (size_t i = 0; i < all.size(); ++i) ref.emplace_back(dot(query, all[i]), i);
    std::partial_sort(ref.begin(), ref.begin() + k, ref.end(), std::greater<>());
    std::set<std::string> truth;
    for (size_t i = 0; i < k; ++i) {
      truth.insert("doc " + std::to_string(ref[i].second / 100) + " chunk " +
                   std::to_string(ref[i].second % 100));
    }
    auto exact = store->search_dense_exact(query, k);
    ASSERT_EQ(exact.size(), k);
    for (size_t i = 0; i < k; ++i) {
      EXPECT_TRUE(truth.count(exact[i].chunk.chunk.text)) << "exact search disagrees";
      EXPECT_NEAR(exact[i].score, ref[i].first, 1e-5);
    }
    for (const auto& h : store->search_dense(query, k)) found += truth.count(h.chunk.chunk.text);
    total += k;
  }
  const double recall = static_cast<double>(found) / static_cast<double>(total);
  EXPECT_GE(recall, 0.95);
}

// FTS5's bm25() (k1 = 1.2, b = 0.75), written from its documented definition: per query term,
// idf = ln((N - n + 0.5) / (n + 0.5)) (1e-6 when <= 0), times tf (k1 + 1) / (tf + k1 (1 - b +
// b dl / avgdl)); dl and avgdl in tokens (lower-cased ASCII words here).
std::vector<std::string> words(const std::string& text) {
  std::vector<std::string> out;
  std::string cur;
  for (char ch : text + " ") {
    if (std::isalnum(static_cast<unsigned char>(ch))) {
      cur += static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    } else if (!cur.empty()) {
      out.push_back(cur);
      cur.clear();
    }
  }
  return out;
}

TEST(VectorStore, Bm25MatchesTheFormula) {
  TempDir dir;
  std::mt19937 rng(6);
  const std::vector<std::string> texts = {"The cat sat on the mat.",
                                          "A dog and a cat played in the garden with another dog.",
                                          "Stock markets fell sharply on Monday.",
                                          "The quick brown fox jumps over the lazy dog.",
                                          "Cats, dogs and birds: the pets of the household.",
                                          "Interest rates and markets: the central bank decides.",
                                          "Nothing to see here at all, really nothing.",
                                          "The garden has roses, tulips and a small pond."};
  auto store = VectorStore::create(dir.path(), options(8));
  {
    auto w = store->begin();
    w->add_document(make_entry("corpus", texts, randoms(rng, texts.size(), 8)));
    w->commit();
  }
  std::vector<std::vector<std::string>> toks;
  double avgdl = 0.0;
  for (const auto& t : texts) {
    toks.push_back(words(t));
    avgdl += static_cast<double>(toks.back().size());
  }
  const double n_docs = static_cast<double>(texts.size());
  avgdl /= n_docs;
  auto reference = [&](const std::string& query) {
    std::set<std::string> terms;
    for (const auto& w : words(query)) terms.insert(w);
    std::map<std::string, double> scores;
    for (const auto& term : terms) {
      double hits = 0;
      for (const auto& t : toks) hits += std::count(t.begin(), t.end(), term) > 0;
      double idf = std::log((n_docs - hits + 0.5) / (hits + 0.5));
      if (idf <= 0.0) idf = 1e-6;
      for (size_t d = 0; d < toks.size(); ++d) {
        const double tf = static_cast<double>(std::count(toks[d].begin(), toks[d].end(), term));
        if (tf == 0) continue;
        const double dl = static_cast<double>(toks[d].size());
        scores[texts[d]] += idf * tf * 2.2 / (tf + 1.2 * (0.25 + 0.75 * dl / avgdl));
      }
    }
    return scores;
  };
  // (query, the words BM25 scores): function words such as "the" and "and" are left out of a
  // query that has other words (fts_query.h).
  const std::vector<std::pair<std::string, std::string>> queries = {
      {"cat", "cat"},
      {"dog garden", "dog garden"},
      {"markets", "markets"},
      {"the cat and the dog", "cat dog"},
      {"pond roses tulips", "pond roses tulips"},
      {"zebra", "zebra"}};
  for (const auto& [query, scored] : queries) {
    auto expected = reference(scored);
    auto hits = store->search_bm25(query, 100);
    ASSERT_EQ(hits.size(), expected.size()) << query;
    for (size_t i = 0; i < hits.size(); ++i) {
      ASSERT_TRUE(expected.count(hits[i].chunk.chunk.text)) << query;
      EXPECT_NEAR(hits[i].score, expected[hits[i].chunk.chunk.text], 1e-9) << query;
      if (i) {
        EXPECT_GE(hits[i - 1].score, hits[i].score) << query;
      }
    }
  }
  // The best of 2: the two highest reference scores.
  auto top = store->search_bm25("dog garden", 2);
  ASSERT_EQ(top.size(), 2u);
  EXPECT_EQ(top[0].chunk.chunk.text, texts[1]);
}

TEST(VectorStore, Bm25AcceptsAnyInput) {
  TempDir dir;
  std::mt19937 rng(7);
  auto store = VectorStore::create(dir.path(), options(8));
  {
    auto w = store->begin();
    w->add_document(make_entry("s", {"NEAR the AND operator OR not", "c++ and \"quotes\""},
                               randoms(rng, 2, 8)));
    w->commit();
  }
  for (const std::string q : {"\"", "AND", "NOT OR", "c++ (", "*", "col:umn", "a\"b", "", "  ",
                              "NEAR(", "^start", "-", "\xff\xfe", "schön über"}) {
    EXPECT_NO_THROW(store->search_bm25(q, 5)) << q;
  }
  EXPECT_EQ(store->search_bm25("AND", 5).size(), 2u);  // a word, not the operator
  EXPECT_EQ(store->search_bm25("NEAR", 5).size(), 1u);
  EXPECT_EQ(store->search_bm25("quotes\"", 5).size(), 1u);
  EXPECT_EQ(fts5_match_query("Cat's \"x\" cat"), "\"Cat\" OR \"s\" OR \"x\"");
  EXPECT_EQ(fts5_match_query("!!"), "");
  // Function words are left out unless nothing else is left.
  EXPECT_EQ(fts5_match_query("What is the price of wheat?"), "\"price\" OR \"wheat\"");
  EXPECT_EQ(fts5_match_query("What is the"), "\"What\" OR \"is\" OR \"the\"");
  EXPECT_EQ(fts5_match_query("the wheat", 64, false), "\"the\" OR \"wheat\"");
}

TEST(VectorStore, RebuildsAMissingOrForeignGraph) {
  TempDir dir;
  std::mt19937 rng(8);
  auto vecs = randoms(rng, 40, 16);
  std::vector<std::string> texts;
  for (int i = 0; i < 40; ++i) texts.push_back("t" + std::to_string(i));
  {
    auto store = VectorStore::create(dir.path(), options(16, 0));
    auto w = store->begin();
    w->add_document(make_entry("d", texts, vecs));
    w->commit();
  }
  const std::string graph = dir.file("vectors.1.hnsw");
  ASSERT_TRUE(std::filesystem::exists(graph));
  for (int round = 0; round < 2; ++round) {
    if (round == 0) {
      std::filesystem::remove(graph);
    } else {
      std::string bytes = read_file(graph);
      bytes[bytes.size() / 2] ^= 0x5a;
      write_file_atomic(graph, bytes);
    }
    auto store = VectorStore::open(dir.path(), options(16, 0));
    EXPECT_TRUE(store->stats().graph_rebuilt);
    EXPECT_EQ(store->stats().hnsw_size, 40u);
    for (int i = 0; i < 40; ++i) {
      auto hits = store->search_dense(vecs[static_cast<size_t>(i)], 1);
      ASSERT_EQ(hits.size(), 1u);
      EXPECT_EQ(hits[0].chunk.chunk.text, texts[static_cast<size_t>(i)]);
    }
    EXPECT_TRUE(std::filesystem::exists(graph));
  }
  EXPECT_FALSE(VectorStore::open(dir.path())->stats().graph_rebuilt);  // the repaired file
}

TEST(VectorStore, DeletedGraphEntriesSurviveReopen) {
  TempDir dir;
  std::mt19937 rng(12);
  auto va = randoms(rng, 6, 8), vb = randoms(rng, 2, 8);
  {
    auto store = VectorStore::create(dir.path(), options(8, 0));
    auto w = store->begin();
    w->add_document(make_entry("a", {"a0", "a1", "a2", "a3", "a4", "a5"}, va));
    w->add_document(make_entry("b", {"b0", "b1"}, vb));
    w->commit();
    w = store->begin();
    w->delete_document("b");
    w->commit();
  }
  auto store = VectorStore::open(dir.path(), options(8, 0));
  StoreStats st = store->stats();
  EXPECT_FALSE(st.graph_rebuilt);
  EXPECT_EQ(st.hnsw_size, 6u);
  EXPECT_EQ(st.hnsw_deleted, 2u);
  for (const auto& v : vb) {
    auto hits = store->search_dense(v, 8);
    EXPECT_EQ(hits.size(), 6u);
    for (const auto& h : hits) EXPECT_EQ(h.chunk.chunk.source, "a");
  }
}

TEST(VectorStore, ParentsAreStoredButNotSearched) {
  TempDir dir;
  std::mt19937 rng(9);
  auto store = VectorStore::create(dir.path(), options(8));
  DocumentEntry e = make_entry("p", {"small one", "small two"}, randoms(rng, 2, 8));
  Chunk parent;
  parent.source = "p";
  parent.begin = 0;
  parent.end = e.document.text.size();
  parent.text = e.document.text + " bigparentword";
  e.parents = {parent};
  e.parent_of = {0, -1};
  {
    auto w = store->begin();
    e.parent_of = {0, 1};
    EXPECT_THROW(w->add_document(e), Error);
    e.parent_of = {0, -1};
    w->add_document(e);
    w->commit();
  }
  EXPECT_TRUE(store->search_bm25("bigparentword", 5).empty());
  auto hits = store->search_bm25("small", 5);
  ASSERT_EQ(hits.size(), 2u);
  for (const auto& h : hits) {
    if (h.chunk.chunk.text == "small one") {
      ASSERT_TRUE(h.chunk.parent_id.has_value());
      auto p = store->get_chunk(*h.chunk.parent_id);
      ASSERT_TRUE(p.has_value());
      EXPECT_TRUE(p->is_parent);
      EXPECT_EQ(p->chunk.text, parent.text);
      EXPECT_TRUE(store->get_embedding(p->id).empty());
    } else {
      EXPECT_FALSE(h.chunk.parent_id.has_value());
    }
  }
  EXPECT_EQ(store->stats().parents, 1);
}

TEST(VectorStore, TwoObjectsOnOneIndexLoseNoCommit) {
  TempDir dir;
  std::mt19937 rng(10);
  auto a = VectorStore::create(dir.path(), options(8, 0));
  auto b = VectorStore::open(dir.path(), options(8, 0));
  auto va = randoms(rng, 2, 8), vb = randoms(rng, 2, 8);
  {
    auto w = a->begin();
    w->add_document(make_entry("from-a", {"a one", "a two"}, va));
    w->commit();
  }
  // b's graph is still generation 0 until refresh; its SQLite reads see the commit at once.
  EXPECT_EQ(b->stats().generation, 0);
  EXPECT_EQ(b->search_bm25("one", 5).size(), 1u);
  b->refresh();
  EXPECT_EQ(b->stats().generation, 1);
  ASSERT_EQ(b->search_dense(va[1], 1).size(), 1u);
  EXPECT_EQ(b->search_dense(va[1], 1)[0].chunk.chunk.text, "a two");
  {
    auto w = a->begin();
    w->add_document(make_entry("from-a2", {"a three"}, randoms(rng, 1, 8)));
    w->commit();
  }
  {
    // b writes on top of a's latest generation, not its own stale graph.
    auto w = b->begin();
    w->add_document(make_entry("from-b", {"b one", "b two"}, vb));
    w->commit();
  }
  auto c = VectorStore::open(dir.path(), options(8, 0));
  StoreStats st = c->stats();
  EXPECT_EQ(st.generation, 3);
  EXPECT_EQ(st.chunks, 5);
  EXPECT_EQ(st.hnsw_size, 5u);
  EXPECT_EQ(c->search_dense(va[0], 1)[0].chunk.chunk.text, "a one");
  EXPECT_EQ(c->search_dense(vb[1], 1)[0].chunk.chunk.text, "b two");
  // A commit without chunk changes keeps the generation.
  {
    auto w = c->begin();
    EXPECT_FALSE(w->delete_document("nothing"));
    w->add_document(make_entry("empty", {}, {}));
    w->commit();
  }
  EXPECT_EQ(c->stats().generation, 3);
  EXPECT_TRUE(c->find_document("empty").has_value());
  EXPECT_EQ(VectorStore::open(dir.path())->stats().documents, 4);
}

TEST(VectorStore, SearchesSeeCommittedStateWhileWriting) {
  TempDir dir;
  std::mt19937 rng(11);
  auto store = VectorStore::create(dir.path(), options(8, 0));
  auto v = randoms(rng, 1, 8);
  auto w = store->begin();
  w->add_document(make_entry("pending", {"pending words"}, v));
  std::thread reader([&] {
    EXPECT_TRUE(store->search_bm25("pending", 5).empty());
    EXPECT_TRUE(store->search_dense(v[0], 5).empty());
    EXPECT_FALSE(store->find_document("pending").has_value());
  });
  reader.join();
  w->commit();
  EXPECT_EQ(store->search_bm25("pending", 5).size(), 1u);
  EXPECT_EQ(store->search_dense(v[0], 5).size(), 1u);
}

// dim 0: a BM25-only index keeps chunks without vectors; BM25 works across a reopen, replace
// and delete; dense searches and chunks given vectors are refused with a clear error.
TEST(VectorStore, Bm25OnlyIndexKeepsNoVectors) {
  TempDir dir;
  StoreOptions o;
  o.embedder = "none";
  o.dim = 0;
  {
    auto store = VectorStore::create(dir.path(), o);
    auto w = store->begin();
    w->add_document(make_entry("a.txt", {"wheat harvest", "river bridge"}, {}));
    w->add_document(make_entry("b.txt", {"canal tolls"}, {}));
    w->commit();
  }
  auto store = VectorStore::open(dir.path());
  EXPECT_EQ(store->dim(), 0);
  EXPECT_EQ(store->stats().chunks, 3);
  const auto hits = store->search_bm25("bridge", 5);
  ASSERT_EQ(hits.size(), 1u);
  EXPECT_EQ(hits[0].chunk.chunk.text, "river bridge");
  EXPECT_TRUE(store->get_embedding(hits[0].chunk.id).empty());
  try {
    store->search_dense({}, 3);
    FAIL() << "dense search on a BM25-only index";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("BM25 only"), std::string::npos) << e.what();
  }
  {
    auto w = store->begin();
    std::mt19937 rng(1);
    EXPECT_THROW(w->add_document(make_entry("c.txt", {"x"}, {random_unit(rng, 4)})), Error);
    w->replace_document(make_entry("a.txt", {"oat field"}, {}));
    EXPECT_TRUE(w->delete_document("b.txt"));
    w->commit();
  }
  EXPECT_TRUE(store->search_bm25("bridge", 5).empty());
  EXPECT_TRUE(store->search_bm25("canal", 5).empty());
  EXPECT_EQ(store->search_bm25("oat", 5).size(), 1u);
}

}  // namespace
}  // namespace llmkit::rag
