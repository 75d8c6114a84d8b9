// index_paths: a folder of text/Markdown/HTML files and a binary file is indexed (binary
// reported, not fatal); a second run changes nothing and embeds nothing; an edited file is
// replaced, a deleted one removed, a new one added; chunk offsets point into the stored
// document text; the index stays searchable by BM25 and by vectors; a BM25-only store works
// without an embedder; a mismatched embedder is refused.
#include "llmkit/rag/indexer.h"

#include <gtest/gtest.h>

#include <fstream>

#include "tests/rag/rag_store_test_util.h"

namespace llmkit::rag {
namespace {

using testing::HashingEmbeddings;
using testing::TempDir;

void write(const std::string& path, const std::string& text) {
  std::filesystem::create_directories(std::filesystem::path(path).parent_path());
  std::ofstream(path, std::ios::binary) << text;
}

std::string paragraph(const std::string& topic, int n) {
  std::string s;
  for (int i = 0; i < n; ++i) {
    s += "The " + topic + " report number " + std::to_string(i) +
         " describes harvests, rivers and roads in plain words. ";
  }
  return s;
}

struct Fixture {
  TempDir tmp;
  std::string docs = tmp.file("docs");
  std::string db = tmp.file("db");
  std::shared_ptr<HashingEmbeddings> embeddings = std::make_shared<HashingEmbeddings>(128);

  Fixture() {
    write(docs + "/a.txt", paragraph("wheat", 12) + "\n\n" + paragraph("barley", 8));
    write(docs + "/b.md",
          "# Rivers\n\n" + paragraph("river", 6) + "\n\n## Bridges\n\n" + paragraph("bridge", 6));
    write(docs + "/c.html", "<html><head><title>Roads</title></head><body><h1>Roads</h1><p>" +
                                paragraph("road", 5) +
                                "</p><script>var hidden = 1;</script></body></html>");
    write(docs + "/blob.bin", std::string("\x00\x01\x02\x03binary", 10));
  }
  std::unique_ptr<VectorStore> store() {
    StoreOptions o;
    o.embedder = "hashing";
    o.dim = 128;
    return VectorStore::open_or_create(db, o);
  }
  IndexReport index(VectorStore& s) {
    EmbeddingPipelineOptions po;
    po.cache_path = db + "/cache.sqlite";
    EmbeddingPipeline pipeline(embeddings, "hashing", po);
    IndexOptions options;
    options.split.chunk_size = 200;
    options.split.overlap = 40;
    return index_paths(s, &pipeline, {docs}, options);
  }
};

TEST(IndexerTest, IndexesReindexesOnlyChangesAndRemovesMissing) {
  Fixture f;
  auto store = f.store();
  IndexReport r = f.index(*store);
  EXPECT_EQ(r.added, 3);
  EXPECT_EQ(r.updated + r.unchanged + r.removed, 0);
  ASSERT_EQ(r.skipped.size(), 1u);
  EXPECT_NE(r.skipped[0].first.find("blob.bin"), std::string::npos);
  EXPECT_GT(r.chunks, 6);
  EXPECT_EQ(r.embedding.embedded, static_cast<size_t>(r.chunks));

  // Offsets: every stored chunk is the byte range of its stored document.
  for (const DocumentInfo& info : store->documents()) {
    const auto doc = store->get_document(info.source);
    ASSERT_TRUE(doc.has_value());
    const auto hits = store->search_bm25("report", 100, Filter{{}, info.source, ""});
    EXPECT_FALSE(hits.empty()) << info.source;
    for (const auto& h : hits) {
      EXPECT_EQ(doc->text.substr(h.chunk.chunk.begin, h.chunk.chunk.end - h.chunk.chunk.begin),
                h.chunk.chunk.text);
    }
  }
  const auto html = store->get_document(f.docs + "/c.html");
  ASSERT_TRUE(html.has_value());
  EXPECT_EQ(html->title, "Roads");
  EXPECT_EQ(html->text.find("hidden"), std::string::npos);

  // Nothing changed: nothing is loaded or embedded again.
  const size_t texts_before = f.embeddings->texts_;
  r = f.index(*store);
  EXPECT_EQ(r.unchanged, 3);
  EXPECT_EQ(r.added + r.updated + r.removed, 0);
  EXPECT_EQ(f.embeddings->texts_, texts_before);

  // Edit one, delete one, add one.
  write(f.docs + "/a.txt", paragraph("oats", 10));
  std::filesystem::remove(f.docs + "/b.md");
  write(f.docs + "/sub/d.txt", paragraph("canal", 4));
  r = f.index(*store);
  EXPECT_EQ(r.updated, 1);
  EXPECT_EQ(r.added, 1);
  EXPECT_EQ(r.removed, 1);
  EXPECT_EQ(r.unchanged, 1);
  EXPECT_FALSE(store->find_document(f.docs + "/b.md").has_value());
  EXPECT_TRUE(store->search_bm25("wheat", 5).empty());
  const auto oats = store->search_bm25("oats", 5);
  ASSERT_FALSE(oats.empty());
  EXPECT_EQ(oats[0].chunk.chunk.source, f.docs + "/a.txt");
  const auto dense = store->search_dense(f.embeddings->embed({"canal report"})[0], 3);
  ASSERT_FALSE(dense.empty());
  EXPECT_EQ(dense[0].chunk.chunk.source, f.docs + "/sub/d.txt");
}

TEST(IndexerTest, MarkdownChunksCarryTheirHeadings) {
  Fixture f;
  auto store = f.store();
  f.index(*store);
  const auto hits = store->search_bm25("bridge", 20, Filter{{}, f.docs + "/b.md", ""});
  ASSERT_FALSE(hits.empty());
  for (const auto& h : hits) {
    const nlohmann::json& headings = h.chunk.chunk.metadata.at("headings");
    ASSERT_EQ(headings.size(), 2u) << h.chunk.chunk.text;
    EXPECT_EQ(headings[1], "Bridges");
  }
}

TEST(IndexerTest, EmbedderMustMatchTheStore) {
  Fixture f;
  auto store = f.store();
  IndexOptions options;
  EXPECT_THROW(index_paths(*store, nullptr, {f.docs}, options), Error);
  auto other = std::make_shared<HashingEmbeddings>(64);
  EmbeddingPipeline pipeline(other, "hashing64");
  EXPECT_THROW(index_paths(*store, &pipeline, {f.docs}, options), Error);
}

}  // namespace
}  // namespace llmkit::rag
