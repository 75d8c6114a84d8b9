// The ChatModel conformance suite: every ChatModel implementation instantiates it with a harness
// (INSTANTIATE_TEST_SUITE_P(Name, ChatModelConformance, ::testing::Values(harness...),
// harness_name)) and must pass every test.
//
// What it checks (the ChatModel contract of llmkit/chain/chat_model.h and runnable.h):
//   - stream chunks are assistant messages whose contents concatenate to invoke's content, and
//     stream returns what invoke returns (deterministic options);
//   - with_options binds options on a copy and leaves the original alone;
//   - max_tokens cuts the answer to a prefix of the longer answer; a stop string ends the answer
//     right before its first occurrence and never appears in it;
//   - tool calls: under the harness's tool options the answer calls the offered tool with object
//     arguments, streaming delivers the same calls complete in the last chunk only, and the
//     conversation continued with the call and a "tool" result message is accepted;
//   - a failing model reports llmkit::Error from invoke, stream and batch (per item);
//   - token counts reach the run's end event.
#pragma once

#include <functional>
#include <memory>
#include <ostream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "llmkit/base/error.h"
#include "llmkit/chain/callbacks.h"
#include "llmkit/chain/chat_model.h"

namespace llmkit::chain::testing {

struct ChatModelHarness {
  std::string name;
  // A model answering deterministically (temperature 0 or equivalent).
  std::function<ChatModelPtr()> make;
  // A model whose every call fails with llmkit::Error.
  std::function<ChatModelPtr()> make_failing;
  // Options under which the model answers with a call of `tool` (tools must include it).
  std::function<ChatOptions(const ToolSpec& tool)> tool_call_options;
  // True when the implementation reports token counts (prompt > 0, completion > 0).
  bool reports_tokens = true;
};

inline void PrintTo(const ChatModelHarness& h, std::ostream* os) {
  *os << h.name;
}

inline std::string harness_name(const ::testing::TestParamInfo<ChatModelHarness>& info) {
  return info.param.name;
}

class ChatModelConformance : public ::testing::TestWithParam<ChatModelHarness> {
 protected:
  static Messages question() {
    return {system_message("You are a helpful assistant."),
            user_message("Tell me something about the sea and the sky.")};
  }
  static ChatOptions deterministic(int64_t max_tokens) {
    ChatOptions o;
    o.temperature = 0.0f;
    o.max_tokens = max_tokens;
    o.seed = 7;
    return o;
  }
  static ToolSpec lookup_tool() {
    return {"lookup", "Looks up the weather of a city.", nlohmann::json::parse(R"({"type": "object",
              "properties": {"city": {"type": "string", "enum": ["Paris", "Oslo"]}},
              "required": ["city"], "additionalProperties": false})")};
  }
};

TEST_P(ChatModelConformance, StreamChunksConcatenateToInvoke) {
  auto model = GetParam().make()->with_options(deterministic(16));
  const ChatMessage whole = model->invoke(question());
  EXPECT_EQ(whole.role, "assistant");
  EXPECT_FALSE(whole.content.empty());
  std::vector<ChatMessage> chunks;
  const ChatMessage streamed =
      model->stream(question(), [&](const ChatMessage& c) { chunks.push_back(c); });
  std::string joined;
  for (const auto& c : chunks) {
    EXPECT_EQ(c.role, "assistant");
    EXPECT_TRUE(c.tool_calls.empty());
    joined += c.content;
  }
  EXPECT_EQ(joined, whole.content);
  EXPECT_EQ(streamed, whole);
  EXPECT_GE(chunks.size(), 2u) << "a 16-token answer should stream in pieces";
}

TEST_P(ChatModelConformance, InvokeIsDeterministic) {
  auto model = GetParam().make()->with_options(deterministic(12));
  EXPECT_EQ(model->invoke(question()), model->invoke(question()));
}

TEST_P(ChatModelConformance, WithOptionsBindsACopy) {
  auto base = GetParam().make();
  const auto before = base->options().max_tokens;
  ChatOptions o = deterministic(3);
  o.stop = {"zzz"};
  auto bound = base->with_options(o);
  EXPECT_EQ(bound->options().max_tokens, 3);
  EXPECT_EQ(bound->options().stop, std::vector<std::string>{"zzz"});
  EXPECT_EQ(base->options().max_tokens, before);
  EXPECT_NE(bound.get(), base.get());
}

TEST_P(ChatModelConformance, MaxTokensCutsToAPrefix) {
  auto base = GetParam().make();
  const ChatMessage long_answer = base->with_options(deterministic(16))->invoke(question());
  const ChatMessage short_answer = base->with_options(deterministic(3))->invoke(question());
  ASSERT_GT(long_answer.content.size(), short_answer.content.size());
  EXPECT_EQ(long_answer.content.substr(0, short_answer.content.size()), short_answer.content);
}

TEST_P(ChatModelConformance, StopStringEndsTheAnswerBeforeIt) {
  auto base = GetParam().make();
  const std::string full = base->with_options(deterministic(16))->invoke(question()).content;
  ASSERT_GE(full.size(), 4u);
  // A non-space character (whole UTF-8 sequence) from the second half of the answer.
  auto continuation = [&](size_t i) {
    return i < full.size() && (static_cast<unsigned char>(full[i]) & 0xC0) == 0x80;
  };
  size_t pos = full.size() / 2;
  while (pos < full.size() && (full[pos] == ' ' || continuation(pos))) ++pos;
  ASSERT_LT(pos, full.size()) << full;
  size_t end = pos + 1;
  while (continuation(end)) ++end;
  const std::string stop = full.substr(pos, end - pos);
  ChatOptions o = deterministic(16);
  o.stop = {stop};
  const std::string cut = base->with_options(o)->invoke(question()).content;
  EXPECT_EQ(cut, full.substr(0, full.find(stop))) << "stop " << stop << " in " << full;
  EXPECT_EQ(cut.find(stop), std::string::npos);
}

TEST_P(ChatModelConformance, ToolCallRoundTrip) {
  const ToolSpec tool = lookup_tool();
  auto model = GetParam().make()->with_options(GetParam().tool_call_options(tool));
  Messages messages = {user_message("What is the weather in Paris?")};
  const ChatMessage call = model->invoke(messages);
  EXPECT_EQ(call.role, "assistant");
  ASSERT_FALSE(call.tool_calls.empty()) << "content: " << call.content;
  for (const ToolCall& c : call.tool_calls) {
    EXPECT_EQ(c.name, "lookup");
    EXPECT_FALSE(c.id.empty());
    ASSERT_TRUE(c.arguments.is_object()) << c.arguments.dump();
    ASSERT_TRUE(c.arguments.contains("city")) << c.arguments.dump();
    EXPECT_TRUE(c.arguments["city"] == "Paris" || c.arguments["city"] == "Oslo");
  }
  // Streaming: the same calls, complete, in the last chunk only.
  std::vector<ChatMessage> chunks;
  const ChatMessage streamed =
      model->stream(messages, [&](const ChatMessage& c) { chunks.push_back(c); });
  ASSERT_FALSE(chunks.empty());
  EXPECT_EQ(chunks.back().tool_calls, call.tool_calls);
  std::string joined;
  for (size_t k = 0; k < chunks.size(); ++k) {
    if (k + 1 < chunks.size()) {
      EXPECT_TRUE(chunks[k].tool_calls.empty()) << k;
    }
    joined += chunks[k].content;
  }
  EXPECT_EQ(joined, call.content);
  EXPECT_EQ(streamed, call);
  // The conversation continues with the call and its result.
  messages.push_back(call);
  messages.push_back(tool_message("sunny, 21 C", call.tool_calls[0].id, "lookup"));
  ChatOptions o = deterministic(8);
  o.tools = {tool};
  const ChatMessage answer = GetParam().make()->with_options(o)->invoke(messages);
  EXPECT_EQ(answer.role, "assistant");
}

TEST_P(ChatModelConformance, FailuresAreErrors) {
  auto model = GetParam().make_failing();
  EXPECT_THROW(model->invoke(question()), Error);
  EXPECT_THROW(model->stream(question(), [](const ChatMessage&) {}), Error);
  auto results = model->batch({question(), question()});
  ASSERT_EQ(results.size(), 2u);
  for (const auto& r : results) {
    EXPECT_FALSE(r.ok());
    EXPECT_FALSE(r.error.empty());
  }
}

TEST_P(ChatModelConformance, BatchKeepsOrderAndMatchesInvoke) {
  auto model = GetParam().make()->with_options(deterministic(6));
  const Messages a = question();
  const Messages b = {user_message("Name three colours.")};
  auto results = model->batch({a, b, a});
  ASSERT_EQ(results.size(), 3u);
  EXPECT_EQ(results[0].get(), model->invoke(a));
  EXPECT_EQ(results[1].get(), model->invoke(b));
  EXPECT_EQ(results[2].get(), results[0].get());
}

TEST_P(ChatModelConformance, TokenCountsReachTheEndEvent) {
  // An implementation without token counts must report none (zeros), never made-up figures.
  const bool reports = GetParam().reports_tokens;
  auto model = GetParam().make()->with_options(deterministic(5));
  auto recorder = std::make_shared<RecordingHandler>();
  RunConfig config;
  config.callbacks = {recorder};
  model->invoke(question(), config);
  bool found = false;
  for (const RunEvent& e : recorder->events()) {
    if (e.kind != RunEvent::Kind::kEnd) continue;
    found = true;
    if (reports) {
      EXPECT_GT(e.tokens.prompt, 0);
      EXPECT_GT(e.tokens.completion, 0);
      EXPECT_LE(e.tokens.completion, 5);
    } else {
      EXPECT_EQ(e.tokens.total(), 0);
    }
  }
  EXPECT_TRUE(found);
}

}  // namespace llmkit::chain::testing
