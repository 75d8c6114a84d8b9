// make_retriever_tool: the observation lists the retrieved passages numbered with source and
// byte range (the same hits the retriever returns); bad arguments become an error observation;
// a native agent calls the tool and reads the passages before answering.
#include "llmkit/rag/retriever_tool.h"

#include <gtest/gtest.h>

#include "llmkit/chain/agent.h"
#include "llmkit/rag/store_retrievers.h"
#include "tests/chain/fake_chat_model.h"
#include "tests/rag/rag_store_test_util.h"

namespace llmkit::rag {
namespace {

using chain::testing::FakeChatModel;
using testing::make_entry;
using testing::TempDir;

struct Fixture {
  TempDir dir;
  std::shared_ptr<VectorStore> store;
  Fixture() {
    StoreOptions o;
    o.embedder = "none";
    o.dim = 0;
    store = VectorStore::create(dir.path(), o);
    auto w = store->begin();
    w->add_document(make_entry(
        "rivers.txt", {"The Golden Bridge opened in 1937.", "Ferries crossed before the bridge."},
        {}));
    w->add_document(make_entry("roads.txt", {"Canal tolls were abolished in 1882."}, {}));
    w->commit();
  }
};

TEST(RetrieverToolTest, ObservationListsTheRetrievedPassages) {
  Fixture f;
  auto retriever = std::make_shared<const Bm25Retriever>(f.store, RetrieverOptions{2, {}});
  const chain::ToolPtr tool = make_retriever_tool(retriever);
  const std::vector<SearchHit> hits = retriever->invoke("bridge");
  ASSERT_EQ(hits.size(), 2u);
  const std::string observation = tool->invoke({{"query", "bridge"}});
  EXPECT_EQ(observation, format_passages(hits, 500));
  const std::string first = "[1] rivers.txt:" + std::to_string(hits[0].chunk.begin) + "-" +
                            std::to_string(hits[0].chunk.end) + " (Title of rivers.txt)\n" +
                            hits[0].chunk.text;
  EXPECT_EQ(observation.substr(0, first.size()), first);
  EXPECT_NE(observation.find("\n\n[2] rivers.txt:"), std::string::npos);
  EXPECT_EQ(tool->invoke({{"query", "zeppelin"}}), "No passage found.");
  EXPECT_EQ(format_passages({hits[0]}, 10).substr(0, 4), "[1] ");
  EXPECT_NE(format_passages({hits[0]}, 10).find("\n" + hits[0].chunk.text.substr(0, 10) + "..."),
            std::string::npos);
}

TEST(RetrieverToolTest, BadArgumentsBecomeAnErrorObservation) {
  Fixture f;
  const chain::ToolPtr tool = make_retriever_tool(std::make_shared<const Bm25Retriever>(f.store));
  const chain::ToolResult r = tool->call({{"q", "bridge"}});
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.observation.rfind("Error: ", 0), 0u) << r.observation;
  EXPECT_THROW(make_retriever_tool(nullptr), Error);
}

TEST(RetrieverToolTest, AgentSearchesThenAnswers) {
  Fixture f;
  const chain::ToolPtr tool = make_retriever_tool(std::make_shared<const Bm25Retriever>(f.store));
  auto model = std::make_shared<FakeChatModel>(std::vector<chain::ChatMessage>{
      chain::assistant_message(
          "", {chain::ToolCall{"call_1", "search_documents", {{"query", "canal tolls"}}}}),
      chain::assistant_message("They were abolished in 1882 [roads.txt].")});
  auto agent = chain::make_native_agent(model, {tool});
  const chain::AgentResult result = agent->invoke(chain::AgentInput("When were tolls abolished?"));
  EXPECT_TRUE(result.finished);
  ASSERT_GE(result.steps.size(), 1u);
  EXPECT_EQ(result.steps[0].tool, "search_documents");
  EXPECT_NE(result.steps[0].observation.find("Canal tolls were abolished in 1882."),
            std::string::npos);
  // The second model call saw the passages as the tool's result.
  const auto calls = model->calls();
  ASSERT_EQ(calls.size(), 2u);
  EXPECT_NE(calls[1].messages.back().content.find("roads.txt:"), std::string::npos);
}

}  // namespace
}  // namespace llmkit::rag
