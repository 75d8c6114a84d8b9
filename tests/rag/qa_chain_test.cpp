// QaChain: numbered sources in the prompt, citations read back and checked against the listed
// sources, abstention without sources or below min_score, condensing a follow-up with the history,
// and streaming whose chunks combine to the invoke result.
#include "llmkit/rag/qa_chain.h"

#include <gtest/gtest.h>

#include "llmkit/chain/lambda.h"
#include "llmkit/rag/qa_prompt.h"
#include "tests/chain/fake_chat_model.h"

namespace llmkit::rag {
namespace {

using chain::testing::FakeChatModel;

SearchHit hit(int64_t id, const std::string& text, double score, size_t begin = 0) {
  SearchHit h;
  h.chunk_id = id;
  h.score = score;
  h.chunk.source = "doc" + std::to_string(id) + ".txt";
  h.chunk.text = text;
  h.chunk.begin = begin;
  h.chunk.end = begin + text.size();
  h.title = "doc" + std::to_string(id);
  return h;
}

// A retriever that returns `hits` and records the queries it was asked.
struct Recorded {
  std::vector<std::string> queries;
};
RetrieverPtr fixed_retriever(std::vector<SearchHit> hits, std::shared_ptr<Recorded> rec) {
  return chain::make_lambda<std::string, std::vector<SearchHit>>(
      [hits, rec](const std::string& q) {
        rec->queries.push_back(q);
        return hits;
      },
      "fixed_retriever");
}

TEST(QaChainTest, PromptNumbersSourcesAndCitationsAreChecked) {
  auto rec = std::make_shared<Recorded>();
  const std::vector<SearchHit> hits = {hit(1, "Alpha was founded in 1801.", 0.9, 10),
                                       hit(2, "Beta grew fast.", 0.8),
                                       hit(3, "Gamma is far away.", 0.7)};
  auto model = FakeChatModel::texts({"1801 [1] [7]"});
  QaOptions options;
  options.k = 2;
  const QaChain qa(fixed_retriever(hits, rec), model, options);
  const QaResult r = qa.invoke(QaRequest{"When was Alpha founded?", {}});

  ASSERT_EQ(model->calls().size(), 1u);
  const std::string prompt = model->calls()[0].messages.back().content;
  std::vector<QaSource> expected = {{hits[0].chunk.text}, {hits[1].chunk.text}};
  EXPECT_EQ(prompt, qa_user_message("When was Alpha founded?", expected));
  EXPECT_EQ(prompt.find("Gamma"), std::string::npos) << "only k sources are given";
  EXPECT_EQ(r.answer, "1801");
  EXPECT_EQ(r.citations, std::vector<int>({1}));
  EXPECT_EQ(r.invalid_citations, 1);  // [7] names no listed source
  EXPECT_FALSE(r.abstained);
  ASSERT_EQ(r.sources.size(), 2u);
  EXPECT_EQ(r.sources[0].chunk.begin, 10u);
  EXPECT_EQ(rec->queries, std::vector<std::string>({"When was Alpha founded?"}));
}

TEST(QaChainTest, AbstainsWithoutSourcesOrBelowMinScoreWithoutCallingTheModel) {
  auto rec = std::make_shared<Recorded>();
  auto model = FakeChatModel::texts({"should not be asked"});
  const QaChain empty(fixed_retriever({}, rec), model);
  QaResult r = empty.invoke(QaRequest{"Anything?", {}});
  EXPECT_TRUE(r.abstained);
  EXPECT_EQ(r.answer, kNoAnswer);

  QaOptions options;
  options.min_score = 0.5;
  const QaChain low(fixed_retriever({hit(1, "weak", 0.2), hit(2, "weaker", 0.1)}, rec), model,
                    options);
  r = low.invoke(QaRequest{"Anything?", {}});
  EXPECT_TRUE(r.abstained);
  EXPECT_TRUE(r.sources.empty());
  EXPECT_TRUE(model->calls().empty());
}

TEST(QaChainTest, ModelAbstentionIsReported) {
  auto rec = std::make_shared<Recorded>();
  auto model = FakeChatModel::texts({kNoAnswer});
  const QaChain qa(fixed_retriever({hit(1, "unrelated text", 0.9)}, rec), model);
  const QaResult r = qa.invoke(QaRequest{"What is the capital?", {}});
  EXPECT_TRUE(r.abstained);
  EXPECT_TRUE(r.citations.empty());
}

TEST(QaChainTest, FollowUpIsCondensedWithTheHistory) {
  auto rec = std::make_shared<Recorded>();
  auto model = FakeChatModel::texts({"When was Alpha founded?", "1801 [1]"});
  const QaChain qa(fixed_retriever({hit(1, "Alpha was founded in 1801.", 0.9)}, rec), model);
  const QaResult r = qa.invoke(QaRequest{
      "And when was it founded?",
      {chain::user_message("Tell me about Alpha."), chain::assistant_message("Alpha is a town.")}});
  ASSERT_EQ(model->calls().size(), 2u);
  const std::string condense_prompt = model->calls()[0].messages.back().content;
  EXPECT_NE(condense_prompt.find("Alpha is a town."), std::string::npos);
  EXPECT_NE(condense_prompt.find("And when was it founded?"), std::string::npos);
  EXPECT_EQ(rec->queries, std::vector<std::string>({"When was Alpha founded?"}));
  EXPECT_EQ(r.question, "And when was it founded?");
  EXPECT_EQ(r.standalone_question, "When was Alpha founded?");
  EXPECT_EQ(r.answer, "1801");
}

TEST(QaChainTest, StreamChunksCombineToTheInvokeResult) {
  auto rec = std::make_shared<Recorded>();
  const std::vector<SearchHit> hits = {hit(1, "Alpha was founded in 1801.", 0.9),
                                       hit(2, "Beta grew fast.", 0.8)};
  auto model = FakeChatModel::texts({"It was 1801 [1][2]."});
  model->chunk_chars = 3;
  const QaChain qa(fixed_retriever(hits, rec), model);
  const QaResult whole = qa.invoke(QaRequest{"When?", {}});
  std::vector<QaResult> chunks;
  const QaResult streamed =
      qa.stream(QaRequest{"When?", {}}, [&](const QaResult& c) { chunks.push_back(c); });
  ASSERT_GT(chunks.size(), 2u);
  QaResult combined;
  for (const auto& c : chunks) chain::ChunkTraits<QaResult>::append(combined, c);
  EXPECT_EQ(combined.raw_answer, whole.raw_answer);
  EXPECT_EQ(combined.answer, whole.answer);
  EXPECT_EQ(combined.citations, whole.citations);
  EXPECT_EQ(streamed.answer, whole.answer);
  EXPECT_EQ(whole.citations, std::vector<int>({1, 2}));
}

TEST(QaChainTest, EmptyQuestionIsAnError) {
  auto rec = std::make_shared<Recorded>();
  const QaChain qa(fixed_retriever({}, rec), FakeChatModel::texts({"x"}));
  EXPECT_THROW(qa.invoke(QaRequest{"  ", {}}), Error);
}

}  // namespace
}  // namespace llmkit::rag
