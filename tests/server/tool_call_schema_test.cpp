// tool_call_schema: the schema compiles with infer::json_schema_to_gbnf and infer::Grammar::parse;
// its grammar accepts valid call texts and rejects invalid ones. References, independent of the
// grammar: chain::validate_json (a separate JSON Schema validator) agrees with every verdict on
// texts that are JSON, and texts sampled at random from the grammar itself are valid under the
// schema and read back by chain::parse_tool_calls as calls of the offered tools.
#include <gtest/gtest.h>

#include <random>
#include <set>
#include <string>
#include <vector>

#include "llmkit/chain/json_schema.h"
#include "llmkit/chain/tool_call_parser.h"
#include "llmkit/infer/grammar.h"
#include "llmkit/infer/grammar_matcher.h"
#include "llmkit/infer/json_schema_grammar.h"
#include "llmkit/server/openai_request.h"
#include "tests/support/expect_error.h"

namespace llmkit::server {
namespace {

using nlohmann::json;

std::vector<chain::ToolSpec> weather_tools() {
  return {{"get_weather", "Weather in a city.",
           json::parse(R"({"type": "object", "properties": {"city": {"type": "string"},
               "days": {"type": "integer", "minimum": 1, "maximum": 7}},
               "required": ["city"], "additionalProperties": false})")},
          {"now", "The time.", json()}};  // null parameters: no arguments
}

std::shared_ptr<const infer::Grammar> grammar_of(const json& schema) {
  return infer::Grammar::parse(infer::json_schema_to_gbnf(schema));
}

// The grammar's verdict on text, checked against chain::validate_json when text is JSON.
void expect_verdict(const json& schema, const infer::Grammar& g, const std::string& text,
                    bool want) {
  EXPECT_EQ(infer::grammar_matches(g, text), want) << text;
  const json value = json::parse(text, nullptr, false);
  if (value.is_discarded()) {
    EXPECT_FALSE(want) << "a text that is not JSON cannot be a call: " << text;
    return;
  }
  EXPECT_EQ(chain::validate_json(schema, value).empty(), want)
      << text << ": " << chain::describe_violations(chain::validate_json(schema, value));
}

// A random sentence of g over printable ASCII: at each step a random byte the matcher accepts,
// ending (when it may) with probability 1/8, or once past `soft_max` bytes whenever it may;
// past soft_max, closing bytes are preferred so that the walk ends.
std::string sample(const std::shared_ptr<const infer::Grammar>& g, std::mt19937& rng,
                   size_t soft_max = 120) {
  infer::GrammarMatcher m(g);
  std::string text;
  for (int step = 0; step < 4000; ++step) {
    if (m.can_end() && (text.size() > soft_max || rng() % 8 == 0)) return text;
    std::vector<char> options, closing;
    for (int c = 0x20; c < 0x7F; ++c) {
      const std::string b(1, static_cast<char>(c));
      if (!m.accepts(b)) continue;
      options.push_back(static_cast<char>(c));
      if (std::string("\"}]0123456789").find(static_cast<char>(c)) != std::string::npos) {
        closing.push_back(static_cast<char>(c));
      }
    }
    if (options.empty()) {
      if (m.can_end()) return text;
      break;
    }
    const std::vector<char>& pick = text.size() > soft_max && !closing.empty() ? closing : options;
    const char c = pick[rng() % pick.size()];
    EXPECT_TRUE(m.accept_bytes(std::string(1, c)));
    text += c;
  }
  ADD_FAILURE() << "the random walk did not end: " << text;
  return text;
}

TEST(ToolCallSchema, NamedFunction) {
  const auto tools = weather_tools();
  const json schema = tool_call_schema(tools, ToolChoice::kFunction, "get_weather", true);
  EXPECT_EQ(schema["properties"]["name"]["const"], "get_weather");
  EXPECT_EQ(schema["required"], json::array({"name", "arguments"}));
  EXPECT_EQ(schema["additionalProperties"], false);
  const auto g = grammar_of(schema);
  // nlohmann::json sorts keys: "arguments" comes first.
  expect_verdict(schema, *g, R"({"arguments":{"city":"Paris"},"name":"get_weather"})", true);
  expect_verdict(schema, *g, R"({"arguments": {"city": "Oslo", "days": 3}, "name": "get_weather"})",
                 true);
  expect_verdict(schema, *g, R"({"arguments":{"city":"Paris"},"name":"now"})", false);
  expect_verdict(schema, *g, R"({"arguments":{},"name":"get_weather"})", false);
  expect_verdict(schema, *g, R"({"arguments":{"city":"P","days":9},"name":"get_weather"})", false);
  expect_verdict(schema, *g, R"({"arguments":{"city":"P","x":1},"name":"get_weather"})", false);
  expect_verdict(schema, *g, R"({"name":"get_weather"})", false);
  expect_verdict(schema, *g, R"({"arguments":{"city":"P"},"name":"get_weather","id":"1"})", false);
  expect_verdict(schema, *g, R"([{"arguments":{"city":"P"},"name":"get_weather"}])", false);
  expect_verdict(schema, *g, R"({"arguments":{"city":"P"},"name":"get_weather")", false);
  // Null parameters: no arguments at all.
  const json now = tool_call_schema(tools, ToolChoice::kFunction, "now", false);
  expect_verdict(now, *grammar_of(now), R"({"arguments":{},"name":"now"})", true);
  expect_verdict(now, *grammar_of(now), R"({"arguments":{"x":1},"name":"now"})", false);
}

TEST(ToolCallSchema, RequiredChoosesAmongTheTools) {
  const auto tools = weather_tools();
  const json schema = tool_call_schema(tools, ToolChoice::kRequired, "", false);
  ASSERT_TRUE(schema.contains("anyOf"));
  const auto g = grammar_of(schema);
  expect_verdict(schema, *g, R"({"arguments":{"city":"Rome"},"name":"get_weather"})", true);
  expect_verdict(schema, *g, R"({"arguments":{},"name":"now"})", true);
  expect_verdict(schema, *g, R"({"arguments":{},"name":"get_weather"})", false);
  expect_verdict(schema, *g, R"({"arguments":{},"name":"other"})", false);
  expect_verdict(schema, *g, R"([{"arguments":{},"name":"now"}])", false);
  // One tool: no anyOf.
  const json single = tool_call_schema({tools[1]}, ToolChoice::kRequired, "", false);
  EXPECT_FALSE(single.contains("anyOf"));
  expect_verdict(single, *grammar_of(single), R"({"arguments":{},"name":"now"})", true);
}

TEST(ToolCallSchema, ParallelIsAnArrayOfCalls) {
  const auto tools = weather_tools();
  const json schema = tool_call_schema(tools, ToolChoice::kRequired, "", true);
  const auto g = grammar_of(schema);
  const std::string a = R"({"arguments":{"city":"Rome"},"name":"get_weather"})";
  const std::string b = R"({"arguments":{},"name":"now"})";
  expect_verdict(schema, *g, "[" + a + "]", true);
  expect_verdict(schema, *g, "[" + a + "," + b + "," + a + "," + b + "]", true);
  expect_verdict(schema, *g, "[]", false);
  expect_verdict(schema, *g, "[" + a + "," + b + "," + a + "," + b + "," + a + "]", false);
  expect_verdict(schema, *g, a, false);
}

TEST(ToolCallSchema, RefsInsideParametersStillResolve) {
  const std::vector<chain::ToolSpec> tools = {
      {"add_item", "", json::parse(R"({"$schema": "https://json-schema.org/draft/2020-12/schema",
          "type": "object", "$defs": {"item": {"type": "object", "properties": {
            "label": {"type": "string"}, "children": {"type": "array",
              "items": {"$ref": "#/$defs/item"}}}, "required": ["label"]}},
          "properties": {"item": {"$ref": "#/$defs/item"}}, "required": ["item"]})")},
      {"other", "", json::parse(R"({"type": "object", "properties": {"n": {"$ref": "#/$defs/n"}},
          "$defs": {"n": {"type": "integer", "enum": [1, 2]}}, "required": ["n"]})")}};
  // chain::validate_json does not follow $ref, so the grammar's verdicts stand alone here.
  for (const bool parallel : {false, true}) {
    const json schema = tool_call_schema(tools, ToolChoice::kRequired, "", parallel);
    const auto g = grammar_of(schema);
    const auto wrap = [&](const std::string& call) { return parallel ? "[" + call + "]" : call; };
    EXPECT_TRUE(infer::grammar_matches(
        *g, wrap(R"({"arguments":{"item":{"children":[{"label":"b"}],"label":"a"}},)"
                 R"("name":"add_item"})")));
    EXPECT_TRUE(infer::grammar_matches(*g, wrap(R"({"arguments":{"n":2},"name":"other"})")));
    EXPECT_FALSE(infer::grammar_matches(*g, wrap(R"({"arguments":{"n":3},"name":"other"})")));
    EXPECT_FALSE(infer::grammar_matches(
        *g, wrap(R"({"arguments":{"item":{"children":[{}],"label":"a"}},"name":"add_item"})")));
  }
  const json named = tool_call_schema(tools, ToolChoice::kFunction, "other", false);
  EXPECT_TRUE(
      infer::grammar_matches(*grammar_of(named), R"({"arguments":{"n":1},"name":"other"})"));
}

TEST(ToolCallSchema, SampledCallsAreValidCalls) {
  const auto tools = weather_tools();
  std::mt19937 rng(7);
  for (const bool parallel : {false, true}) {
    const json schema = tool_call_schema(tools, ToolChoice::kRequired, "", parallel);
    const auto g = grammar_of(schema);
    std::set<std::string> names_seen;
    for (int i = 0; i < 40; ++i) {
      const std::string text = sample(g, rng);
      const json value = json::parse(text, nullptr, false);
      ASSERT_FALSE(value.is_discarded()) << text;
      EXPECT_TRUE(chain::validate_json(schema, value).empty()) << text;
      const chain::ParsedToolCalls parsed = chain::parse_tool_calls(text);
      ASSERT_FALSE(parsed.calls.empty()) << text;
      EXPECT_EQ(parsed.calls.size(), parallel ? value.size() : 1u) << text;
      for (const chain::ToolCall& c : parsed.calls) {
        names_seen.insert(c.name);
        EXPECT_TRUE(c.arguments.is_object()) << text;
        if (c.name == "get_weather") {
          EXPECT_TRUE(c.arguments.contains("city")) << text;
        }
      }
    }
    EXPECT_EQ(names_seen, (std::set<std::string>{"get_weather", "now"}));
  }
}

TEST(ToolCallSchema, Errors) {
  const auto tools = weather_tools();
  test::expect_error([&] { tool_call_schema(tools, ToolChoice::kFunction, "nope", false); },
                     ErrorCode::kInvalidArgument, {"no tool is named 'nope'"});
  test::expect_error([&] { tool_call_schema(tools, ToolChoice::kAuto, "", false); },
                     ErrorCode::kInvalidArgument, {"forced tool choice"});
  test::expect_error([&] { tool_call_schema({}, ToolChoice::kRequired, "", false); },
                     ErrorCode::kInvalidArgument, {"no tools"});
}

TEST(ToolCallSchema, ForcedChoiceInARequestCompilesTheSchemas) {
  // The request parser checks, per tool, the schemas a forced call uses; an unused tool with an
  // unsupported schema does not matter when another function is named.
  const json body = json::parse(R"({"messages": [{"role": "user", "content": "x"}],
      "tools": [{"type": "function", "function": {"name": "a", "parameters":
                  {"type": "object", "properties": {"e": {"type": "string", "format": "email"}}}}},
                {"type": "function", "function": {"name": "b"}}],
      "tool_choice": {"type": "function", "function": {"name": "b"}}})");
  const GenerationRequest r = parse_chat_request(body, {});
  EXPECT_EQ(r.tool_choice_name, "b");
  json auto_body = body;
  auto_body["tool_choice"] = "auto";
  EXPECT_NO_THROW(parse_chat_request(auto_body, {}));
}

}  // namespace
}  // namespace llmkit::server
