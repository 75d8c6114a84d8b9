// Tool conformance (llmkit/chain/tool.h): every tool kind validates its arguments against its
// schema before the body runs, turns validation failures and exceptions into "Error: ..."
// observations naming the JSON pointer, lets cancellation through, and reports runs to callbacks.
#include "llmkit/chain/tool.h"

#include <gtest/gtest.h>

#include <atomic>

#include "llmkit/base/error.h"
#include "llmkit/chain/calculator.h"

namespace llmkit::chain {
namespace {

using nlohmann::json;

struct Point {
  double x = 0, y = 0;
};
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(Point, x, y)

// One tool of each kind, and arguments it must accept or reject. `body_calls` counts how often
// the tool body ran, to prove validation happens before the call.
struct ToolCase {
  std::string label;
  ToolPtr tool;
  json good;             // valid arguments
  std::string expected;  // observation for `good`
  json bad;              // invalid arguments
  std::string pointer;   // where `bad` is wrong
  json throwing;         // valid arguments that make the body throw
};

std::shared_ptr<std::atomic<int>> g_calls = std::make_shared<std::atomic<int>>(0);

std::vector<ToolCase> tool_cases() {
  std::vector<ToolCase> cases;
  auto calls = g_calls;
  cases.push_back(
      {"json function",
       make_tool("lookup", "Looks up a capital.",
                 json::parse(R"({"type": "object", "properties": {"country": {"type": "string",
                     "enum": ["France", "Japan", "Atlantis"]}}, "required": ["country"],
                     "additionalProperties": false})"),
                 [calls](const json& a) -> std::string {
                   ++*calls;
                   const auto c = a["country"].get<std::string>();
                   if (c == "Atlantis") throw std::runtime_error("no such country: Atlantis");
                   return c == "France" ? "Paris" : "Tokyo";
                 }),
       {{"country", "Japan"}},
       "Tokyo",
       {{"country", "Mars"}},
       "/country",
       {{"country", "Atlantis"}}});
  cases.push_back({"struct",
                   make_struct_tool<Point>(
                       "norm", "Length of a vector.",
                       json::parse(R"({"type": "object", "properties": {"x": {"type": "number"},
                           "y": {"type": "number", "minimum": -100}}, "required": ["x", "y"]})"),
                       [calls](const Point& p) {
                         ++*calls;
                         LLMKIT_CHECK(p.x != 99, "x = 99 is not allowed");
                         return std::sqrt(p.x * p.x + p.y * p.y);
                       }),
                   {{"x", 3}, {"y", 4}},
                   "5.0",
                   {{"x", 3}, {"y", -101}},
                   "/y",
                   {{"x", 99}, {"y", 0}}});
  cases.push_back({"function",
                   make_function_tool("repeat", "Repeats a word.",
                                      {{"word", "the word"}, {"times", "how often"}},
                                      [calls](std::string word, int times) {
                                        ++*calls;
                                        LLMKIT_CHECK(times < 10, "too many repetitions");
                                        std::string out;
                                        for (int i = 0; i < times; ++i) out += word;
                                        return out;
                                      }),
                   {{"word", "ab"}, {"times", 3}},
                   "ababab",
                   {{"word", "ab"}, {"times", 2.5}},
                   "/times",
                   {{"word", "ab"}, {"times", 12}}});
  return cases;
}

TEST(ToolConformance, ValidArgumentsRunTheBody) {
  for (const auto& c : tool_cases()) {
    SCOPED_TRACE(c.label);
    const ToolResult r = c.tool->call(c.good);
    EXPECT_TRUE(r.ok) << r.error;
    EXPECT_EQ(r.observation, c.expected);
    EXPECT_EQ(c.tool->invoke(c.good), c.expected);
    EXPECT_EQ(c.tool->spec().name, c.tool->name());
    EXPECT_EQ(c.tool->spec().parameters, c.tool->parameters());
  }
}

TEST(ToolConformance, InvalidArgumentsAreRejectedBeforeTheCallWithThePointer) {
  for (const auto& c : tool_cases()) {
    SCOPED_TRACE(c.label);
    const int before = *g_calls;
    const ToolResult r = c.tool->call(c.bad);
    EXPECT_EQ(*g_calls, before) << "the body ran on invalid arguments";
    EXPECT_FALSE(r.ok);
    EXPECT_EQ(r.observation, "Error: " + r.error);
    EXPECT_NE(r.error.find("invalid arguments for tool '" + c.tool->name() + "'"),
              std::string::npos)
        << r.error;
    EXPECT_NE(r.error.find(c.pointer + ": "), std::string::npos) << r.error;
    // Not an object at all.
    const ToolResult s = c.tool->call(json("just text"));
    EXPECT_FALSE(s.ok);
    EXPECT_NE(s.error.find("/: expected object, got string"), std::string::npos) << s.error;
    EXPECT_EQ(*g_calls, before);
  }
}

TEST(ToolConformance, ExceptionsBecomeObservations) {
  for (const auto& c : tool_cases()) {
    SCOPED_TRACE(c.label);
    ToolResult r;
    ASSERT_NO_THROW(r = c.tool->call(c.throwing));
    EXPECT_FALSE(r.ok);
    EXPECT_EQ(r.observation.rfind("Error: tool '" + c.tool->name() + "' failed: ", 0), 0u)
        << r.observation;
  }
}

TEST(ToolConformance, CancellationPropagates) {
  auto tool = make_tool("stop", "Cancels.", {{"type", "object"}}, [](const json&) -> std::string {
    throw_error(ErrorCode::kCancelled, "cancelled by the user");
  });
  try {
    tool->call(json::object());
    FAIL() << "cancellation was swallowed";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kCancelled);
  }
}

TEST(ToolConformance, RunnableAdapterReportsToCallbacks) {
  auto recorder = std::make_shared<RecordingHandler>();
  RunConfig config;
  config.callbacks.push_back(recorder);
  auto runnable = tool_runnable(make_calculator_tool());
  const ToolResult r = runnable->invoke({{"expression", "2 + 2"}}, config);
  EXPECT_EQ(r.observation, "4");
  const auto events = recorder->events();
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0].name, "calculator");
  EXPECT_EQ(events[1].kind, RunEvent::Kind::kEnd);
  EXPECT_EQ(events[1].output["observation"], "4");
}

TEST(ToolConformance, ConstructionChecksNamesAndSchemas) {
  auto fn = [](const json&) { return std::string("x"); };
  EXPECT_THROW(make_tool("", "d", {{"type", "object"}}, fn), Error);
  EXPECT_THROW(make_tool("has space", "d", {{"type", "object"}}, fn), Error);
  EXPECT_THROW(make_tool("t", "d", {{"type", "string"}}, fn), Error);
  EXPECT_THROW(make_tool("t", "d", {{"type", "object"}, {"required", 3}}, fn), Error);
  auto a = make_tool("same", "d", {{"type", "object"}}, fn);
  EXPECT_THROW(tool_specs({a, a}), Error);
  EXPECT_EQ(find_tool({a}, "same"), a);
  EXPECT_EQ(find_tool({a}, "other"), nullptr);
  // The derived schema of a function tool.
  auto t = make_function_tool("f", "d", {{"xs", ""}, {"flag", "a flag"}},
                              [](std::vector<double> xs, bool flag) { return xs.size(); });
  const json p = t->parameters();
  EXPECT_EQ(p["properties"]["xs"], json::parse(R"({"type":"array","items":{"type":"number"}})"));
  EXPECT_EQ(p["properties"]["flag"]["type"], "boolean");
  EXPECT_EQ(p["required"], json::parse(R"(["xs","flag"])"));
  EXPECT_EQ(t->invoke({{"xs", {1, 2, 3}}, {"flag", true}}), "3");
  EXPECT_FALSE(t->call({{"xs", {1, 2}}, {"flag", true}, {"extra", 1}}).ok);
}

}  // namespace
}  // namespace llmkit::chain
