// The agent loop (llmkit/chain/agent.h) in both protocols, driven by scripted fake chat models
// (tests/chain/fake_chat_model.h) whose replies depend on the observations they were given: a
// multi-step task with the calculator and a lookup tool; malformed calls recovered by
// re-prompting, unknown tools, invalid arguments, tool exceptions, iteration limits, truncation,
// callbacks, cancellation and memory — each checked in the result's trace.
#include "llmkit/chain/agent.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <map>

#include "llmkit/chain/calculator.h"
#include "llmkit/chain/native_protocol.h"
#include "llmkit/chain/react_protocol.h"
#include "tests/chain/fake_chat_model.h"
#include "tests/support/expect_error.h"

namespace llmkit::chain {
namespace {

using nlohmann::json;
using testing::FakeChatModel;

const std::map<std::string, std::string> kFacts = {
    {"population of France", "68170000"},
    {"area of France in km2", "551695"},
    {"long", std::string(3000, 'x') + "ü"},
};

ToolPtr lookup_tool() {
  return make_tool("lookup", "Looks up a fact by its exact key.",
                   json::parse(R"({"type": "object", "properties": {"key": {"type": "string"}},
                                   "required": ["key"], "additionalProperties": false})"),
                   [](const json& args) {
                     const auto key = args["key"].get<std::string>();
                     auto it = kFacts.find(key);
                     if (it == kFacts.end()) throw std::out_of_range("no fact named '" + key + "'");
                     return it->second;
                   });
}

std::vector<ToolPtr> tools() {
  return {make_calculator_tool(), lookup_tool()};
}

// A step the scripted model takes: a tool call, or a final answer (tool empty).
struct Move {
  std::string tool;
  json args;
  std::string answer;
  std::string raw;  // when set: the reply's text as is (ReAct) / content (native)
};

// The observations the model has been given so far, in order (tool messages in the native
// protocol, "Observation: " user messages in ReAct).
std::vector<std::string> observations(const Messages& m) {
  std::vector<std::string> out;
  for (const auto& x : m) {
    if (x.role == "tool") out.push_back(x.content);
    if (x.role == "user" && x.content.rfind("Observation: ", 0) == 0)
      out.push_back(x.content.substr(13));
  }
  return out;
}

// Renders a move in the protocol's form.
ChatMessage render(const Move& move, bool native, int call_index) {
  if (!move.raw.empty()) return assistant_message(move.raw);
  if (move.tool.empty()) {
    return assistant_message(native ? move.answer
                                    : "Thought: I know it now.\nFinal Answer: " + move.answer);
  }
  if (native) {
    return assistant_message(
        "", {ToolCall{"call_" + std::to_string(call_index), move.tool, move.args}});
  }
  return assistant_message("Thought: I need " + move.tool + ".\nAction: " + move.tool +
                           "\nAction Input: " + move.args.dump());
}

// The density task: look up two facts, divide them with the calculator, answer with its result.
// Each move is computed from the observations the model has seen, so a loop that loses or
// garbles observations cannot produce the expected answer.
FakeChatModel::Responder density_policy(bool native) {
  return [native](const Messages& m, const ChatOptions&) {
    const auto obs = observations(m);
    Move move;
    if (obs.empty()) {
      move = {"lookup", {{"key", "population of France"}}, "", ""};
    } else if (obs.size() == 1) {
      move = {"lookup", {{"key", "area of France in km2"}}, "", ""};
    } else if (obs.size() == 2) {
      move = {"calculator", {{"expression", obs[0] + " / " + obs[1]}}, "", ""};
    } else {
      move.answer = "About " + obs[2] + " people per km2.";
    }
    return render(move, native, static_cast<int>(obs.size()));
  };
}

std::shared_ptr<Agent> make_agent(bool native, ChatModelPtr model, AgentOptions options = {}) {
  return native ? make_native_agent(model, tools(), options)
                : make_react_agent(model, tools(), options);
}

class AgentBothProtocols : public ::testing::TestWithParam<bool> {
 protected:
  bool native() const { return GetParam(); }
};

TEST_P(AgentBothProtocols, SolvesAMultiStepTaskWithCalculatorAndLookup) {
  auto model = FakeChatModel::responder(density_policy(native()));
  auto agent = make_agent(native(), model);
  const AgentResult r = agent->invoke("How many people live per km2 in France?");
  const std::string density = format_number(68170000.0 / 551695.0);  // computed here
  EXPECT_TRUE(r.finished);
  EXPECT_EQ(r.stop_reason, "final_answer");
  EXPECT_EQ(r.answer, "About " + density + " people per km2.");
  EXPECT_EQ(r.iterations, 4);
  ASSERT_EQ(r.steps.size(), 4u);
  EXPECT_EQ(r.steps[0].tool, "lookup");
  EXPECT_EQ(r.steps[0].observation, "68170000");
  EXPECT_EQ(r.steps[1].observation, "551695");
  EXPECT_EQ(r.steps[2].tool, "calculator");
  EXPECT_EQ(r.steps[2].arguments["expression"], "68170000 / 551695");
  EXPECT_EQ(r.steps[2].observation, density);
  EXPECT_EQ(r.steps[3].kind, AgentStep::Kind::kFinalAnswer);
  for (int i = 0; i < 4; ++i) {
    EXPECT_EQ(r.steps[i].iteration, i + 1);
    EXPECT_TRUE(r.steps[i].error.empty()) << r.steps[i].error;
  }
  EXPECT_EQ(model->call_count(), 4u);
  const auto last = model->last_call();
  if (native()) {
    // Tools offered natively; observations went back as tool messages paired by id.
    ASSERT_EQ(last.options.tools.size(), 2u);
    EXPECT_EQ(last.options.tools[0].name, "calculator");
    EXPECT_EQ(last.options.tools[1].parameters, lookup_tool()->parameters());
    int tool_messages = 0;
    for (size_t i = 0; i < last.messages.size(); ++i) {
      if (last.messages[i].role != "tool") continue;
      ++tool_messages;
      const ChatMessage& call = last.messages[i - 1];
      ASSERT_EQ(call.tool_calls.size(), 1u);
      EXPECT_EQ(call.tool_calls[0].id, last.messages[i].tool_call_id);
      EXPECT_EQ(call.tool_calls[0].name, last.messages[i].name);
    }
    EXPECT_EQ(tool_messages, 3);
  } else {
    // The ReAct prompt describes every tool with its schema and the format; generation stops
    // before an invented observation.
    const std::string& system = last.messages[0].content;
    EXPECT_EQ(last.messages[0].role, "system");
    for (const auto& t : tools()) {
      EXPECT_NE(system.find(t->name() + ": " + t->description()), std::string::npos);
      EXPECT_NE(system.find(t->parameters().dump()), std::string::npos);
    }
    EXPECT_NE(system.find("Final Answer:"), std::string::npos);
    EXPECT_NE(std::find(last.options.stop.begin(), last.options.stop.end(), "\nObservation:"),
              last.options.stop.end());
    EXPECT_TRUE(last.options.tools.empty());
  }
  EXPECT_EQ(r.messages.back().role, "assistant");
}

TEST_P(AgentBothProtocols, UnknownToolsInvalidArgumentsAndExceptionsBecomeObservations) {
  std::vector<Move> script = {
      {"weather", {{"city", "Paris"}}, "", ""},              // unknown tool
      {"calculator", {{"expr", "1 + 1"}}, "", ""},           // invalid arguments
      {"lookup", {{"key", "capital of Atlantis"}}, "", ""},  // the tool throws
      {"calculator", {{"expression", "1 / 0"}}, "", ""},     // the tool's own error
      {"", {}, "I could not find out.", ""},
  };
  auto model =
      FakeChatModel::responder([&, native = native()](const Messages& m, const ChatOptions&) {
        const size_t k = observations(m).size();
        return render(script.at(k), native, static_cast<int>(k));
      });
  auto agent = make_agent(native(), model);
  const AgentResult r = agent->invoke("Question?");
  ASSERT_TRUE(r.finished);
  ASSERT_EQ(r.steps.size(), 5u);
  EXPECT_EQ(r.steps[0].error, "unknown tool 'weather'; the tools are: calculator, lookup");
  EXPECT_EQ(r.steps[0].observation, "Error: " + r.steps[0].error);
  EXPECT_NE(r.steps[1].error.find("/expression: required property is missing"), std::string::npos);
  EXPECT_NE(r.steps[1].error.find("/expr: unknown property"), std::string::npos);
  EXPECT_NE(r.steps[2].error.find("tool 'lookup' failed: no fact named 'capital of Atlantis'"),
            std::string::npos)
      << r.steps[2].error;
  EXPECT_NE(r.steps[3].error.find("division by zero"), std::string::npos);
  // The model saw each error as its observation.
  const auto seen = observations(model->last_call().messages);
  ASSERT_EQ(seen.size(), 4u);
  for (int i = 0; i < 4; ++i) EXPECT_EQ(seen[i], r.steps[i].observation);
}

TEST_P(AgentBothProtocols, IterationLimitStopsAndIsTraced) {
  auto model = FakeChatModel::responder([native = native()](const Messages& m, const ChatOptions&) {
    const int k = static_cast<int>(observations(m).size());
    return render({"calculator", {{"expression", std::to_string(k) + " + 1"}}, "", ""}, native, k);
  });
  AgentOptions options;
  options.max_iterations = 3;
  const AgentResult r = make_agent(native(), model, options)->invoke("Count forever.");
  EXPECT_FALSE(r.finished);
  EXPECT_EQ(r.stop_reason, "max_iterations");
  EXPECT_EQ(r.iterations, 3);
  EXPECT_EQ(r.answer, "");
  ASSERT_EQ(r.steps.size(), 3u);
  EXPECT_EQ(r.steps[2].observation, "3");
  EXPECT_EQ(model->call_count(), 3u);
  options.throw_on_max_iterations = true;
  test::expect_error([&] { make_agent(native(), model, options)->invoke("Count forever."); },
                     ErrorCode::kOutOfRange, {"max_iterations = 3"});
}

TEST_P(AgentBothProtocols, LongObservationsAreTruncated) {
  std::vector<Move> script = {{"lookup", {{"key", "long"}}, "", ""}, {"", {}, "done", ""}};
  auto model =
      FakeChatModel::responder([&, native = native()](const Messages& m, const ChatOptions&) {
        const size_t k = observations(m).size();
        return render(script.at(k), native, static_cast<int>(k));
      });
  AgentOptions options;
  options.max_observation_chars = 3001;  // cuts inside the two bytes of the final 'ü'
  const AgentResult r = make_agent(native(), model, options)->invoke("Q");
  ASSERT_EQ(r.steps.size(), 2u);
  EXPECT_TRUE(r.steps[0].truncated);
  EXPECT_EQ(r.steps[0].observation,
            std::string(3000, 'x') + "\n[observation truncated: 3000 of 3002 bytes shown]");
  EXPECT_EQ(observations(model->last_call().messages)[0], r.steps[0].observation);
}

TEST_P(AgentBothProtocols, CallbacksSeeTheAgentTheModelAndTheToolsNested) {
  auto model = FakeChatModel::responder(density_policy(native()));
  auto recorder = std::make_shared<RecordingHandler>();
  RunConfig config;
  config.callbacks.push_back(recorder);
  make_agent(native(), model)->invoke("How dense?", config);
  const auto events = recorder->events();
  ASSERT_FALSE(events.empty());
  EXPECT_EQ(events.front().name, native() ? "Agent(native)" : "Agent(react)");
  const std::string agent_id = events.front().run_id;
  std::map<std::string, int> starts;
  for (const auto& e : events) {
    if (e.kind != RunEvent::Kind::kStart || e.run_id == agent_id) continue;
    EXPECT_EQ(e.parent_run_id, agent_id) << e.name;
    ++starts[e.name];
  }
  EXPECT_EQ(starts["FakeChatModel"], 4);
  EXPECT_EQ(starts["lookup"], 2);
  EXPECT_EQ(starts["calculator"], 1);
  EXPECT_EQ(events.back().kind, RunEvent::Kind::kEnd);
  EXPECT_EQ(events.back().output["steps"].size(), 4u);
}

TEST_P(AgentBothProtocols, CancellationFromAToolStopsTheRun) {
  auto cancel = std::make_shared<std::atomic<bool>>(false);
  auto stopper = make_tool("stop", "Stops.", {{"type", "object"}}, [cancel](const json&) {
    cancel->store(true);
    return std::string("stopping");
  });
  auto model = FakeChatModel::responder([native = native()](const Messages& m, const ChatOptions&) {
    const int k = static_cast<int>(observations(m).size());
    return render({"stop", json::object(), "", ""}, native, k);
  });
  Agent agent(model, {stopper},
              native() ? AgentProtocolPtr(std::make_shared<NativeToolProtocol>())
                       : AgentProtocolPtr(std::make_shared<ReactProtocol>()));
  RunConfig config;
  config.cancel = cancel;
  test::expect_error([&] { agent.invoke("Q", config); }, ErrorCode::kCancelled, {});
  EXPECT_EQ(model->call_count(), 1u);
}

TEST_P(AgentBothProtocols, MemoryCarriesEarlierTurns) {
  auto memory = std::make_shared<BufferMemory>();
  auto model = FakeChatModel::responder([native = native()](const Messages& m, const ChatOptions&) {
    int users = 0;
    for (const auto& x : m) users += x.role == "user";
    return render({"", {}, "answer " + std::to_string(users), ""}, native, 0);
  });
  AgentOptions options;
  options.memory = memory;
  auto agent = make_agent(native(), model, options);
  EXPECT_EQ(agent->invoke("first").answer, "answer 1");
  EXPECT_EQ(agent->invoke("second").answer, "answer 2");
  EXPECT_EQ(memory->history().messages(),
            (Messages{user_message("first"), assistant_message("answer 1"), user_message("second"),
                      assistant_message("answer 2")}));
}

INSTANTIATE_TEST_SUITE_P(Protocols, AgentBothProtocols, ::testing::Bool(),
                         [](const auto& info) { return info.param ? "native" : "react"; });

TEST(NativeAgent, MalformedToolCallsAreAnsweredWithTheErrorAndRecovered) {
  auto model = FakeChatModel::responder([](const Messages& m, const ChatOptions&) {
    const auto obs = observations(m);
    if (obs.empty()) {
      // Arguments as JSON text that does not parse, and a call without a name.
      return assistant_message("", {ToolCall{"a", "calculator", json("{\"expression\": 2 +")},
                                    ToolCall{"b", "", json::object()}});
    }
    if (obs.size() == 2) {
      return assistant_message("",
                               {ToolCall{"c", "calculator", json("{\"expression\": \"2+3\"}")}});
    }
    if (m.back().role == "tool") return assistant_message("");  // empty: a parse error
    return assistant_message("It is " + obs.back() + ".");
  });
  const AgentResult r = make_native_agent(model, tools())->invoke("2+3?");
  ASSERT_TRUE(r.finished) << json(r).dump(1);
  EXPECT_EQ(r.answer, "It is 5.");
  ASSERT_EQ(r.steps.size(), 5u);
  EXPECT_NE(r.steps[0].error.find("are not valid JSON"), std::string::npos) << r.steps[0].error;
  EXPECT_EQ(r.steps[1].error, "the tool call has no tool name");
  EXPECT_TRUE(r.steps[2].error.empty());  // the string arguments were decoded
  EXPECT_EQ(r.steps[2].observation, "5");
  EXPECT_EQ(r.steps[3].kind, AgentStep::Kind::kParseError);
  EXPECT_EQ(model->last_call().messages.back().role, "user");
  EXPECT_NE(model->last_call().messages.back().content.find("the reply was empty"),
            std::string::npos);
}

TEST(NativeAgent, ToolCallsWrittenAsTextAreRead) {
  auto model = FakeChatModel::responder([](const Messages& m, const ChatOptions&) {
    if (observations(m).empty()) {
      return assistant_message(
          "<tool_call>\n{\"name\": \"calculator\", \"arguments\": {\"expression\": \"6*7\"}}\n"
          "</tool_call>");
    }
    return assistant_message("42 it is.");
  });
  const AgentResult r = make_native_agent(model, tools())->invoke("6*7?");
  ASSERT_EQ(r.steps.size(), 2u);
  EXPECT_EQ(r.steps[0].observation, "42");
}

TEST(ReactAgent, FormatErrorsAreRePromptedWithTheError) {
  std::vector<std::string> replies = {
      "I think I should compute something.",                             // no Action / Final Answer
      "Thought: compute.\nAction: calculator",                           // no Action Input
      "Thought: look it up.\nAction: lookup\nAction Input: {\"key\": ",  // not JSON
      "Thought: compute.\nAction: `calculator`\nAction Input: 6 * 7\nObservation: 41\n"
      "Final Answer: 41",  // text input, invented obs.
      "Thought: done.\nFinal Answer: 42",
  };
  auto model = FakeChatModel::texts(replies, false);
  const AgentResult r = make_react_agent(model, tools())->invoke("6*7?");
  ASSERT_TRUE(r.finished);
  EXPECT_EQ(r.answer, "42");
  ASSERT_EQ(r.steps.size(), 5u);
  EXPECT_EQ(r.steps[0].kind, AgentStep::Kind::kParseError);
  EXPECT_EQ(r.steps[0].error, "no 'Action:' or 'Final Answer:' line was found");
  EXPECT_EQ(r.steps[1].kind, AgentStep::Kind::kParseError);
  EXPECT_NE(r.steps[1].error.find("not followed by an 'Action Input:' line"), std::string::npos);
  // lookup has one string parameter: the unparsable text became its value (and no fact).
  EXPECT_EQ(r.steps[2].kind, AgentStep::Kind::kToolCall);
  EXPECT_EQ(r.steps[2].arguments, json({{"key", "{\"key\":"}}));
  EXPECT_NE(r.steps[2].error.find("no fact named"), std::string::npos);
  EXPECT_EQ(r.steps[3].tool, "calculator");
  EXPECT_EQ(r.steps[3].arguments, json({{"expression", "6 * 7"}}));
  EXPECT_EQ(r.steps[3].observation, "42");
  // Each error went back to the model, and the invented observation was not kept.
  const Messages sent = model->last_call().messages;
  ASSERT_EQ(sent.size(), 10u);  // system, question, then 4 x (reply, observation)
  EXPECT_NE(sent[3].content.find("Observation: Invalid format: no 'Action:'"), std::string::npos);
  EXPECT_NE(sent[3].content.find("Final Answer: <answer>"), std::string::npos);
  EXPECT_EQ(sent[8].content.find("Observation: 41"), std::string::npos) << sent[8].content;
  EXPECT_EQ(sent[9].content, "Observation: 42");
}

TEST(ReactParser, ReadsTheFormatLeniently) {
  const auto t = tools();
  auto d = parse_react_reply(
      "thought: x\n**Action:** lookup\naction input:\n```json\n{\"key\":\n"
      "\"population of France\"}\n```\n",
      t);
  ASSERT_TRUE(d.parse_error.empty()) << d.parse_error;
  ASSERT_EQ(d.actions.size(), 1u);
  EXPECT_EQ(d.actions[0].tool, "lookup");
  EXPECT_EQ(d.actions[0].arguments, json({{"key", "population of France"}}));
  EXPECT_EQ(d.thought, "x");
  d = parse_react_reply("Final Answer: 5\nAction: lookup\nAction Input: {}", t);
  ASSERT_TRUE(d.final_answer.has_value());
  EXPECT_EQ(*d.final_answer, "5");
  d = parse_react_reply("Some words first.\nFinal Answer: line one\nline two", t);
  EXPECT_EQ(*d.final_answer, "line one\nline two");
  EXPECT_EQ(d.thought, "Some words first.");
  d = parse_react_reply(
      "Action: calculator\nAction Input: {\"expression\": \"1\"}\nThought: more\n"
      "Action: lookup\nAction Input: {}",
      t);
  ASSERT_EQ(d.actions.size(), 1u);  // one action per step
  EXPECT_EQ(d.actions[0].tool, "calculator");
  d = parse_react_reply("Action: nosuch\nAction Input: not json", t);
  EXPECT_NE(d.parse_error.find("is not a JSON object"), std::string::npos);
}

TEST(Agent, ConstructionChecksItsArguments) {
  auto model = FakeChatModel::texts({"x"});
  AgentOptions bad;
  bad.max_iterations = 0;
  EXPECT_THROW(make_react_agent(model, tools(), bad), Error);
  EXPECT_THROW(make_native_agent(model, {make_calculator_tool(), make_calculator_tool()}), Error);
  EXPECT_THROW(Agent(nullptr, tools(), std::make_shared<ReactProtocol>()), Error);
  bool truncated = false;
  EXPECT_EQ(truncate_observation("short", 16, &truncated), "short");
  EXPECT_FALSE(truncated);
}

}  // namespace
}  // namespace llmkit::chain

namespace llmkit::chain {
namespace {

TEST(NativeAgent, MissingOrRepeatedCallIdsAreMadeUnique) {
  auto model = FakeChatModel::responder([](const Messages& m, const ChatOptions&) {
    const size_t k = observations(m).size();
    if (k < 2) {
      return assistant_message(
          "", {ToolCall{"", "calculator", {{"expression", "1+" + std::to_string(k)}}}});
    }
    return assistant_message("done");
  });
  const AgentResult r = make_native_agent(model, tools())->invoke("Q");
  ASSERT_EQ(r.steps.size(), 3u);
  EXPECT_EQ(r.steps[0].tool_call_id, "call_0");
  EXPECT_EQ(r.steps[1].tool_call_id, "call_0_2");
  std::vector<std::string> answered;
  for (const auto& msg : model->last_call().messages) {
    if (msg.role == "tool") answered.push_back(msg.tool_call_id);
  }
  EXPECT_EQ(answered, (std::vector<std::string>{"call_0", "call_0_2"}));
}

}  // namespace
}  // namespace llmkit::chain
