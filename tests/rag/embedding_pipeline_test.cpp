// EmbeddingPipeline: the vectors equal the embedder's own, in order, whatever the batch size and
// thread count; the cache serves repeated texts (also across pipelines and after reopening the
// file) and is keyed by embedder id; wrong embedder output is an error.
#include "llmkit/rag/embedding_pipeline.h"

#include <gtest/gtest.h>

#include "llmkit/base/error.h"
#include "rag_store_test_util.h"

namespace llmkit::rag {
namespace {

using testing::HashingEmbeddings;
using testing::TempDir;

std::vector<std::string> texts(size_t n) {
  std::vector<std::string> out;
  for (size_t i = 0; i < n; ++i) out.push_back("text number " + std::to_string(i % 37));
  return out;
}

TEST(EmbeddingPipeline, MatchesTheEmbedderForAnyBatchingAndThreads) {
  auto emb = std::make_shared<HashingEmbeddings>(64);
  const auto in = texts(100);  // 37 distinct
  const auto reference = HashingEmbeddings(64).embed(in);
  for (size_t batch : {1u, 7u, 64u}) {
    for (int threads : {1, 3}) {
      EmbeddingPipeline p(emb, "hash64", {batch, threads, "", false, "embed"});
      auto out = p.embed(in);
      ASSERT_EQ(out, reference) << batch << " " << threads;
      EXPECT_EQ(p.stats().embedded, 37u);
      EXPECT_EQ(p.stats().cache_hits, 63u);
    }
  }
}

TEST(EmbeddingPipeline, CacheServesRepeatsAcrossRuns) {
  TempDir dir;
  auto emb = std::make_shared<HashingEmbeddings>(32);
  const std::string cache = dir.file("cache.sqlite");
  const auto in = texts(37);
  {
    EmbeddingPipeline p(emb, "hash32", {8, 2, cache, true, "embed"});
    p.embed(in);
    EXPECT_EQ(p.stats().embedded, 37u);
  }
  const size_t before = emb->texts_;
  EmbeddingPipeline again(emb, "hash32", {8, 1, cache, false, "embed"});
  std::vector<std::string> more = in;
  more.push_back("a new text");
  auto out = again.embed(more);
  EXPECT_EQ(emb->texts_ - before, 1u);  // only the new text reached the embedder
  EXPECT_EQ(again.stats().cache_hits, 37u);
  EXPECT_EQ(out, HashingEmbeddings(32).embed(more));
  // Another embedder id shares nothing.
  EmbeddingPipeline other(emb, "other-model", {8, 1, cache, false, "embed"});
  other.embed(in);
  EXPECT_EQ(other.stats().embedded, 37u);
}

class BrokenEmbeddings : public chain::Embeddings {
 public:
  int mode = 0;
  std::vector<std::vector<float>> embed(const std::vector<std::string>& t) const override {
    if (mode == 0) return {};
    if (mode == 1) return std::vector<std::vector<float>>(t.size(), std::vector<float>(3));
    return std::vector<std::vector<float>>(t.size(), std::vector<float>(4, NAN));
  }
  int dim() const override { return 4; }
};

TEST(EmbeddingPipeline, RejectsWrongOutput) {
  auto broken = std::make_shared<BrokenEmbeddings>();
  for (int mode : {0, 1, 2}) {
    broken->mode = mode;
    EmbeddingPipeline p(broken, "broken", {4, 2, "", false, "embed"});
    EXPECT_THROW(p.embed(texts(10)), Error) << mode;
  }
  EXPECT_THROW(EmbeddingPipeline(nullptr, "x"), Error);
  EXPECT_NO_THROW(EmbeddingPipeline(broken, "x").embed({}));
}

}  // namespace
}  // namespace llmkit::rag
