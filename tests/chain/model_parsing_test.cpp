// The text formats under the chat models: tool calls written by models (Qwen/Hermes tags,
// Llama 3.1 JSON, bare JSON), server-sent events split at every byte boundary, and OpenAI stream
// chunks assembled into one message; plus the scripted FakeChatModel other tests rely on.
#include <gtest/gtest.h>

#include "llmkit/chain/openai_json.h"
#include "llmkit/chain/sse.h"
#include "llmkit/chain/tool_call_parser.h"
#include "tests/chain/chat_model_conformance.h"
#include "tests/chain/fake_chat_model.h"

namespace llmkit::chain {
namespace {

using testing::ChatModelConformance;

TEST(ToolCallParser, QwenHermesTags) {
  const auto p = parse_tool_calls(
      "Let me check.\n<tool_call>\n{\"name\": \"lookup\", \"arguments\": {\"city\": \"Oslo\"}}\n"
      "</tool_call>\n<tool_call>{\"name\": \"calc\", \"arguments\": \"{\\\"x\\\": "
      "2}\"}</tool_call>");
  EXPECT_EQ(p.content, "Let me check.");
  ASSERT_EQ(p.calls.size(), 2u);
  EXPECT_EQ(p.calls[0], (ToolCall{"call_0", "lookup", {{"city", "Oslo"}}}));
  EXPECT_EQ(p.calls[1], (ToolCall{"call_1", "calc", {{"x", 2}}}));  // string arguments decoded
}

TEST(ToolCallParser, UnclosedTagAtTheEnd) {
  const auto p = parse_tool_calls("<tool_call>{\"name\": \"f\", \"arguments\": {}}");
  ASSERT_EQ(p.calls.size(), 1u);
  EXPECT_EQ(p.calls[0].name, "f");
  EXPECT_EQ(p.content, "");
}

TEST(ToolCallParser, Llama31JsonAndPythonTag) {
  auto p = parse_tool_calls(
      "<|python_tag|>{\"type\": \"function\", \"name\": \"lookup\", \"parameters\": {\"city\": "
      "\"Rome\"}}");
  ASSERT_EQ(p.calls.size(), 1u);
  EXPECT_EQ(p.calls[0].arguments, nlohmann::json({{"city", "Rome"}}));
  p = parse_tool_calls(
      "{\"name\": \"a\", \"parameters\": {}}; {\"name\": \"b\", \"parameters\": {\"k\": \"x;y\"}}");
  ASSERT_EQ(p.calls.size(), 2u);
  EXPECT_EQ(p.calls[1].name, "b");
  EXPECT_EQ(p.calls[1].arguments["k"], "x;y");
}

TEST(ToolCallParser, BareJsonObjectArrayAndFence) {
  auto p = parse_tool_calls("  {\"name\": \"f\", \"arguments\": {\"n\": 1}, \"id\": \"x9\"}\n");
  ASSERT_EQ(p.calls.size(), 1u);
  EXPECT_EQ(p.calls[0].id, "x9");
  p = parse_tool_calls(
      "[{\"name\": \"f\", \"arguments\": {}}, {\"name\": \"g\", \"arguments\": {}}]");
  EXPECT_EQ(p.calls.size(), 2u);
  p = parse_tool_calls("```json\n{\"name\": \"f\", \"arguments\": {}}\n```");
  EXPECT_EQ(p.calls.size(), 1u);
}

TEST(ToolCallParser, PlainTextAndOtherJsonAreContent) {
  auto p = parse_tool_calls("Hello there. {not json}");
  EXPECT_TRUE(p.calls.empty());
  EXPECT_EQ(p.content, "Hello there. {not json}");
  // JSON that is not a call (extra members, no arguments) stays content.
  p = parse_tool_calls(R"({"name": "Ann", "age": 3})");
  EXPECT_TRUE(p.calls.empty());
  p = parse_tool_calls(R"({"name": "Ann"})");
  EXPECT_TRUE(p.calls.empty());
  // A malformed tagged call: the whole text stays for the caller to report.
  p = parse_tool_calls("<tool_call>{\"name\": \"f\", \"arguments\": </tool_call>");
  EXPECT_TRUE(p.calls.empty());
  EXPECT_EQ(p.content, "<tool_call>{\"name\": \"f\", \"arguments\": </tool_call>");
  // Arguments that are not JSON text are kept as a string.
  p = parse_tool_calls(R"({"name": "f", "arguments": "{oops"})");
  ASSERT_EQ(p.calls.size(), 1u);
  EXPECT_EQ(p.calls[0].arguments, nlohmann::json("{oops"));
}

TEST(ToolCallParser, FormattedCallsParseBack) {
  const ToolCall call{"", "lookup", {{"city", "Oslo"}, {"days", 3}}};
  const auto p = parse_tool_calls("ok " + format_tool_call_text(call));
  ASSERT_EQ(p.calls.size(), 1u);
  EXPECT_EQ(p.calls[0].name, call.name);
  EXPECT_EQ(p.calls[0].arguments, call.arguments);
  EXPECT_EQ(p.content, "ok");
}

// Streaming with tools: for every prefix of a generated text, the streamable part only grows and
// is a prefix of the content the finished text parses to.
TEST(ToolCallParser, StreamableContentIsAPrefixOfTheFinalContent) {
  const std::vector<std::string> texts = {
      "  Let me look.  \n<tool_call>{\"name\": \"f\", \"arguments\": {}}</tool_call>",
      "Plain answer with < and <tool but no call.  ",
      "{\"name\": \"f\", \"arguments\": {\"a\": 1}}",
      "\n<tool_call>{\"name\": \"f\", \"arguments\": </tool_call> broken",
      "Two <tool_call>{\"name\": \"f\", \"arguments\": {}}</tool_call> and after"};
  for (const std::string& text : texts) {
    const std::string final_content = parse_tool_calls(text).content;
    std::string previous;
    for (size_t n = 0; n <= text.size(); ++n) {
      const std::string s = streamable_content(text.substr(0, n));
      EXPECT_EQ(s.compare(0, previous.size(), previous), 0) << text << " at " << n;
      EXPECT_EQ(final_content.compare(0, s.size(), s), 0) << text << " at " << n << ": " << s;
      previous = s;
    }
  }
  EXPECT_EQ(streamable_content("Let me look. <tool_ca"), "Let me look.");
  EXPECT_EQ(streamable_content("  {\"name\""), "");
}

TEST(SseParser, EventsSurviveAnySplit) {
  const std::string stream =
      ": comment\r\ndata: {\"a\":1}\r\n\r\nevent: x\ndata: line1\ndata:line2\n\ndata: [DONE]\n\n";
  const std::vector<SseEvent> want = {
      {"", "{\"a\":1}", ""}, {"x", "line1\nline2", ""}, {"", "[DONE]", ""}};
  for (size_t split = 0; split <= stream.size(); ++split) {
    std::vector<SseEvent> got;
    SseParser parser([&](const SseEvent& e) { got.push_back(e); });
    parser.feed(std::string_view(stream).substr(0, split));
    parser.feed(std::string_view(stream).substr(split));
    parser.finish();
    ASSERT_EQ(got.size(), want.size()) << split;
    for (size_t k = 0; k < want.size(); ++k) {
      EXPECT_EQ(got[k].event, want[k].event) << split;
      EXPECT_EQ(got[k].data, want[k].data) << split;
    }
  }
  // Byte by byte, and a last event without its blank line.
  std::vector<std::string> data;
  SseParser parser([&](const SseEvent& e) { data.push_back(e.data); });
  for (char c : std::string("data: a\n\ndata: b")) parser.feed(std::string_view(&c, 1));
  parser.finish();
  EXPECT_EQ(data, (std::vector<std::string>{"a", "b"}));
}

TEST(StreamAssembler, ContentAndToolCallsByIndex) {
  openai::StreamAssembler a;
  auto delta = [](nlohmann::json d) {
    return nlohmann::json{{"choices", {{{"index", 0}, {"delta", d}}}}};
  };
  EXPECT_EQ(a.add(delta({{"role", "assistant"}, {"content", ""}})), "");
  EXPECT_EQ(a.add(delta({{"content", "Hel"}})), "Hel");
  EXPECT_EQ(a.add(delta({{"content", "lo"}})), "lo");
  a.add(
      delta({{"tool_calls",
              {{{"index", 1}, {"id", "c2"}, {"function", {{"name", "g"}, {"arguments", ""}}}}}}}));
  a.add(delta(
      {{"tool_calls",
        {{{"index", 0}, {"id", "c1"}, {"function", {{"name", "f"}, {"arguments", "{\"x\""}}}}}}}));
  a.add(delta({{"tool_calls", {{{"index", 0}, {"function", {{"arguments", ": 1}"}}}}}}}));
  a.add({{"choices", nlohmann::json::array()},
         {"usage", {{"prompt_tokens", 4}, {"completion_tokens", 2}}}});
  const ChatMessage m = a.finish();
  EXPECT_EQ(m.content, "Hello");
  ASSERT_EQ(m.tool_calls.size(), 2u);
  EXPECT_EQ(m.tool_calls[0], (ToolCall{"c1", "f", {{"x", 1}}}));
  EXPECT_EQ(m.tool_calls[1], (ToolCall{"c2", "g", nlohmann::json::object()}));
  EXPECT_EQ(a.usage().prompt_tokens, 4);
  EXPECT_EQ(a.usage().completion_tokens, 2);
}

TEST(ChatMessageJson, RoundTrips) {
  const ChatMessage m = assistant_message("hi", {ToolCall{"c", "f", {{"a", 1}}}});
  EXPECT_EQ(nlohmann::json(m).get<ChatMessage>(), m);
  const ChatMessage t = tool_message("r", "c", "f");
  EXPECT_EQ(nlohmann::json(t).get<ChatMessage>(), t);
}

// The scripted fake obeys the ChatModel contract too.
testing::ChatModelHarness fake_harness() {
  testing::ChatModelHarness h;
  h.name = "Fake";
  h.reports_tokens = false;
  h.make = [] {
    // Words from the conversation, cut by max_tokens and stop like a real model.
    return testing::FakeChatModel::responder([](const Messages& m, const ChatOptions& o) {
      if (!o.tools.empty() && m.back().role == "user") {
        return assistant_message("", {ToolCall{"call_1", o.tools[0].name, {{"city", "Paris"}}}});
      }
      std::string text;
      for (int64_t i = 0; i < o.max_tokens.value_or(20); ++i) {
        text += (i ? " w" : "w") + std::to_string((m.back().content.size() * 7 + i * 3) % 10);
      }
      for (const auto& s : o.stop) text = text.substr(0, text.find(s));
      return assistant_message(text);
    });
  };
  h.make_failing = [] {
    return testing::FakeChatModel::responder([](const Messages&, const ChatOptions&) {
      return ChatMessage{"error", "scripted failure", {}, {}, {}};
    });
  };
  h.tool_call_options = [](const ToolSpec& tool) {
    ChatOptions o;
    o.tools = {tool};
    return o;
  };
  return h;
}

INSTANTIATE_TEST_SUITE_P(Fake, ChatModelConformance, ::testing::Values(fake_harness()),
                         testing::harness_name);

TEST(FakeChatModel, RepliesInOrderAndRecordsCalls) {
  auto fake = testing::FakeChatModel::texts({"one", "two"}, /*repeat_last=*/false);
  ChatOptions o;
  o.max_tokens = 9;
  auto bound = fake->with_options(o);
  EXPECT_EQ(fake->invoke({user_message("a")}).content, "one");
  EXPECT_EQ(bound->invoke({user_message("b")}).content, "two");  // copies share the script
  EXPECT_THROW(fake->invoke({user_message("c")}), Error);
  const auto calls = fake->calls();
  ASSERT_EQ(calls.size(), 3u);
  EXPECT_EQ(calls[1].messages, Messages{user_message("b")});
  EXPECT_EQ(calls[1].options.max_tokens, 9);
  EXPECT_FALSE(calls[0].options.max_tokens.has_value());
}

}  // namespace
}  // namespace llmkit::chain
