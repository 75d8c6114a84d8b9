// JSONL traces: written by JsonlTracer, read back here line by line as independent JSON.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <set>

#include <unistd.h>

#include "llmkit/chain/lambda.h"
#include "llmkit/chain/sequence.h"
#include "tests/chain/chain_test_util.h"

namespace llmkit::chain {
namespace {

using S = std::string;

std::vector<nlohmann::json> read_jsonl(const std::string& path) {
  std::ifstream in(path);
  std::vector<nlohmann::json> lines;
  for (std::string line; std::getline(in, line);) lines.push_back(nlohmann::json::parse(line));
  return lines;
}

std::string temp_path(const std::string& name) {
  return (std::filesystem::temp_directory_path() /
          (name + "_" + std::to_string(::getpid()) + ".jsonl"))
      .string();
}

TEST(JsonlTracer, WritesNestedRunsWithTimingsAndTokens) {
  const std::string path = temp_path("llmkit_trace");
  auto model = make_lambda<S, S>(
      [](const S& prompt, RunContext& ctx) {
        ctx.add_tokens(7, 3);
        return "answer to " + prompt;
      },
      "model");
  auto prompt = make_lambda<S, S>([](const S& q) { return "Q: " + q; }, "prompt");
  auto chain = prompt | model | testing::make_upper("shout");
  {
    auto tracer = std::make_shared<JsonlTracer>(path);
    RunConfig config;
    config.callbacks = {tracer};
    config.tags = {"demo"};
    config.metadata = {{"user", "u1"}};
    EXPECT_EQ(chain->invoke("why", config), "ANSWER TO Q: WHY");
  }
  auto lines = read_jsonl(path);
  ASSERT_EQ(lines.size(), 8u);  // 4 runs x (start, end)
  const auto& root_start = lines.front();
  EXPECT_EQ(root_start["event"], "start");
  EXPECT_EQ(root_start["name"], "RunnableSequence");
  EXPECT_EQ(root_start["parent_run_id"], "");
  EXPECT_EQ(root_start["input"], "why");
  const std::string root = root_start["run_id"];
  std::vector<std::string> child_names;
  double last_time = -1;
  for (const auto& l : lines) {
    EXPECT_EQ(l["tags"], nlohmann::json::array({"demo"}));
    EXPECT_EQ(l["metadata"]["user"], "u1");
    EXPECT_GE(l["time"].get<double>(), last_time);
    last_time = l["time"];
    if (l["run_id"] != root) {
      EXPECT_EQ(l["parent_run_id"], root);
    }
    if (l["event"] == "start" && l["run_id"] != root) child_names.push_back(l["name"]);
    if (l["event"] == "end") {
      EXPECT_GE(l["elapsed_s"].get<double>(), 0.0);
      ASSERT_TRUE(l.contains("tokens"));
      int64_t expected = (l["name"] == "model" || l["run_id"] == root) ? 10 : 0;
      EXPECT_EQ(l["tokens"]["total"], expected) << l.dump();
      EXPECT_EQ(l["tokens"]["prompt"].get<int64_t>() + l["tokens"]["completion"].get<int64_t>(),
                expected);
    }
  }
  EXPECT_EQ(child_names, (std::vector<std::string>{"prompt", "model", "shout"}));
  EXPECT_EQ(lines.back()["event"], "end");
  EXPECT_EQ(lines.back()["run_id"], root);
  EXPECT_EQ(lines.back()["output"], "ANSWER TO Q: WHY");
  // The stage outputs are the next stage's inputs.
  EXPECT_EQ(lines[3]["event"], "start");
  EXPECT_EQ(lines[3]["input"], "Q: why");
  std::filesystem::remove(path);
}

TEST(JsonlTracer, ErrorEventsCarryTheMessage) {
  const std::string path = temp_path("llmkit_trace_err");
  auto tracer = std::make_shared<JsonlTracer>(path);
  auto chain = testing::make_upper() | testing::make_length();
  EXPECT_THROW(chain->invoke("fail", testing::traced(tracer)), Error);
  auto lines = read_jsonl(path);
  ASSERT_EQ(lines.size(), 4u);  // sequence start, upper start, upper error, sequence error
  EXPECT_EQ(lines[2]["event"], "error");
  EXPECT_EQ(lines[2]["name"], "upper");
  EXPECT_EQ(lines[2]["error"], "upper: boom");
  EXPECT_EQ(lines[3]["error"], "RunnableSequence: upper: boom");
  EXPECT_FALSE(lines[3].contains("output"));
  std::filesystem::remove(path);
}

// Many runs on several threads write whole lines (no interleaving within a line).
TEST(JsonlTracer, ConcurrentRunsWriteWholeLines) {
  const std::string path = temp_path("llmkit_trace_mt");
  auto tracer = std::make_shared<JsonlTracer>(path);
  std::vector<S> inputs(64, S(300, 'q'));
  auto results = (testing::make_upper() | testing::make_upper("again"))
                     ->batch(inputs, testing::traced(tracer, 8));
  for (const auto& r : results) ASSERT_TRUE(r.ok());
  auto lines = read_jsonl(path);  // throws on a torn line
  EXPECT_EQ(lines.size(), 64u * 3 * 2);
  std::set<std::string> roots;
  for (const auto& l : lines) {
    if (l["parent_run_id"] == "") roots.insert(l["run_id"].get<std::string>());
  }
  EXPECT_EQ(roots.size(), 64u);
  std::filesystem::remove(path);
}

TEST(JsonlTracer, UnwritablePathIsAnIoError) {
  try {
    JsonlTracer tracer("/nonexistent_dir_llmkit/trace.jsonl");
    FAIL() << "no throw";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kIo);
    EXPECT_NE(std::string(e.what()).find("/nonexistent_dir_llmkit/trace.jsonl"), std::string::npos);
  }
}

TEST(TraceSummary, LongStringsAreCutAndUnconvertibleTypesNamed) {
  nlohmann::json cut = trace_summary(S(kMaxTraceString + 100, 'a'));
  EXPECT_EQ(cut.get<S>().size(), kMaxTraceString + 3);
  struct Opaque {};
  EXPECT_TRUE(trace_summary(Opaque{}).contains("type"));
  EXPECT_EQ(trace_summary(std::vector<int>{1, 2}), nlohmann::json({1, 2}));
}

}  // namespace
}  // namespace llmkit::chain
