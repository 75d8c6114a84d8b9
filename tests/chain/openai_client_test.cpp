// OpenAIChatModel / OpenAIEmbeddings against a real HTTP server on loopback that speaks the
// documented OpenAI formats (openai_test_server.h): the ChatModel and Embeddings conformance
// suites, the request JSON the server receives, SSE streaming, retries with backoff on 429/5xx,
// and errors (status, bad JSON, timeouts, connection refused).
#include "llmkit/chain/openai_client.h"

#include <chrono>

#include <gtest/gtest.h>

#include "tests/chain/chat_model_conformance.h"
#include "tests/chain/embeddings_conformance.h"
#include "tests/chain/openai_test_server.h"

namespace llmkit::chain {
namespace {

using testing::ChatModelConformance;

using testing::OpenAITestServer;

OpenAITestServer& shared_server() {
  static OpenAITestServer server("sk-test");
  return server;
}

HttpOptions http_options(const std::string& url,
                         std::vector<std::chrono::milliseconds>* sleeps = nullptr) {
  HttpOptions o;
  o.base_url = url;
  o.api_key = "sk-test";
  o.connect_timeout = std::chrono::milliseconds(2000);
  o.read_timeout = std::chrono::milliseconds(5000);
  o.sleep = [sleeps](std::chrono::milliseconds d) {
    if (sleeps) sleeps->push_back(d);
  };
  return o;
}

testing::ChatModelHarness http_harness() {
  testing::ChatModelHarness h;
  h.name = "OpenAIHttp";
  h.make = [] {
    return std::make_shared<OpenAIChatModel>(http_options(shared_server().url()), "test-model");
  };
  h.make_failing = [] {  // a path the server does not serve: HTTP 404, not retried
    return std::make_shared<OpenAIChatModel>(http_options(shared_server().url() + "/missing"),
                                             "test-model");
  };
  h.tool_call_options = [](const ToolSpec& tool) {
    ChatOptions o;
    o.temperature = 0.0f;
    o.tools = {tool};
    return o;
  };
  return h;
}

INSTANTIATE_TEST_SUITE_P(Http, ChatModelConformance, ::testing::Values(http_harness()),
                         testing::harness_name);

TEST(OpenAIChatModel, SendsTheDocumentedRequest) {
  OpenAITestServer server("sk-test");
  ChatOptions o;
  o.temperature = 0.25f;
  o.max_tokens = 5;
  o.seed = 42;
  o.stop = {"END"};
  o.tools = {{"lookup", "Weather of a city", {{"type", "object"}}}};
  o.json_schema = nlohmann::json{{"type", "object"}};
  OpenAIChatModel model(http_options(server.url()), "my-model", o);
  Messages messages = {system_message("sys"), user_message("hi"),
                       assistant_message("", {ToolCall{"call_1", "lookup", {{"city", "Oslo"}}}}),
                       tool_message("rain", "call_1", "lookup")};
  model.invoke(messages);
  ASSERT_EQ(server.requests().size(), 1u);
  const auto req = server.requests()[0];
  EXPECT_EQ(req.path, "/v1/chat/completions");
  EXPECT_EQ(req.authorization, "Bearer sk-test");
  const nlohmann::json& b = req.body;
  EXPECT_EQ(b["model"], "my-model");
  EXPECT_FLOAT_EQ(b["temperature"].get<float>(), 0.25f);
  EXPECT_EQ(b["max_tokens"], 5);
  EXPECT_EQ(b["seed"], 42);
  EXPECT_EQ(b["stop"], nlohmann::json::array({"END"}));
  EXPECT_EQ(b["stream"], false);
  EXPECT_EQ(b["tools"][0]["type"], "function");
  EXPECT_EQ(b["tools"][0]["function"]["name"], "lookup");
  EXPECT_EQ(b["tools"][0]["function"]["description"], "Weather of a city");
  EXPECT_EQ(b["tools"][0]["function"]["parameters"], nlohmann::json({{"type", "object"}}));
  EXPECT_EQ(b["response_format"]["type"], "json_schema");
  EXPECT_EQ(b["response_format"]["json_schema"]["schema"], nlohmann::json({{"type", "object"}}));
  EXPECT_TRUE(b["response_format"]["json_schema"]["name"].is_string());
  ASSERT_EQ(b["messages"].size(), 4u);
  EXPECT_EQ(b["messages"][0], nlohmann::json({{"role", "system"}, {"content", "sys"}}));
  const nlohmann::json& call = b["messages"][2];
  EXPECT_EQ(call["role"], "assistant");
  EXPECT_TRUE(call["content"].is_null());
  EXPECT_EQ(call["tool_calls"][0]["id"], "call_1");
  EXPECT_EQ(call["tool_calls"][0]["type"], "function");
  EXPECT_EQ(call["tool_calls"][0]["function"]["name"], "lookup");
  // Arguments travel as JSON text.
  EXPECT_EQ(
      nlohmann::json::parse(call["tool_calls"][0]["function"]["arguments"].get<std::string>()),
      nlohmann::json({{"city", "Oslo"}}));
  EXPECT_EQ(
      b["messages"][3],
      nlohmann::json(
          {{"role", "tool"}, {"content", "rain"}, {"tool_call_id", "call_1"}, {"name", "lookup"}}));
  // Streaming asks for usage too.
  model.stream(messages, [](const ChatMessage&) {});
  EXPECT_EQ(server.requests().back().body["stream"], true);
  EXPECT_EQ(server.requests().back().body["stream_options"]["include_usage"], true);
}

TEST(OpenAIChatModel, BaseUrlWithV1IsNotDoubled) {
  JsonHttpClient a(http_options("http://127.0.0.1:1/v1/"));
  EXPECT_EQ(a.url("/v1/chat/completions"), "http://127.0.0.1:1/v1/chat/completions");
  JsonHttpClient b(http_options("http://127.0.0.1:1/api"));
  EXPECT_EQ(b.url("/v1/embeddings"), "http://127.0.0.1:1/api/v1/embeddings");
  EXPECT_THROW(JsonHttpClient(http_options("127.0.0.1:8080")), Error);
}

TEST(OpenAIChatModel, RetriesOn429And500ThenSucceeds) {
  OpenAITestServer server("sk-test");
  server.fail_next(429, "3");
  server.fail_next(500);
  std::vector<std::chrono::milliseconds> sleeps;
  HttpOptions o = http_options(server.url(), &sleeps);
  o.initial_backoff = std::chrono::milliseconds(100);
  o.backoff_multiplier = 2.0;
  OpenAIChatModel model(o, "m");
  const ChatMessage reply = model.invoke({user_message("hello")});
  EXPECT_FALSE(reply.content.empty());
  EXPECT_EQ(server.requests().size(), 3u);
  // Retry-After (3 s) beats the first backoff (100 ms); then 100 * 2^1.
  ASSERT_EQ(sleeps.size(), 2u);
  EXPECT_EQ(sleeps[0], std::chrono::milliseconds(3000));
  EXPECT_EQ(sleeps[1], std::chrono::milliseconds(200));
  // Streams are retried the same way before any byte arrived.
  server.fail_next(503);
  std::string joined;
  const ChatMessage streamed =
      model.stream({user_message("hello")}, [&](const ChatMessage& c) { joined += c.content; });
  EXPECT_EQ(streamed, reply);
  EXPECT_EQ(joined, reply.content);
}

TEST(OpenAIChatModel, GivesUpAfterMaxRetriesNamingUrlStatusAndBody) {
  OpenAITestServer server("sk-test");
  for (int k = 0; k < 5; ++k) server.fail_next(503);
  std::vector<std::chrono::milliseconds> sleeps;
  HttpOptions o = http_options(server.url(), &sleeps);
  o.max_retries = 2;
  OpenAIChatModel model(o, "m");
  try {
    model.invoke({user_message("hello")});
    FAIL() << "no error";
  } catch (const Error& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find(server.url() + "/v1/chat/completions"), std::string::npos) << what;
    EXPECT_NE(what.find("HTTP 503"), std::string::npos) << what;
    EXPECT_NE(what.find("scripted failure"), std::string::npos) << what;
    EXPECT_EQ(e.code(), ErrorCode::kIo);
  }
  EXPECT_EQ(server.requests().size(), 3u);
  EXPECT_EQ(sleeps.size(), 2u);
}

TEST(OpenAIChatModel, ClientErrorsAreNotRetried) {
  OpenAITestServer server("sk-other");  // wrong key: 401
  OpenAIChatModel model(http_options(server.url()), "m");
  try {
    model.invoke({user_message("hello")});
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("HTTP 401"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("bad api key"), std::string::npos) << e.what();
  }
  EXPECT_EQ(server.requests().size(), 1u);
}

TEST(OpenAIChatModel, BadJsonIsAnError) {
  OpenAITestServer server("sk-test");
  server.fail_next(200, "", true);
  OpenAIChatModel model(http_options(server.url()), "m");
  try {
    model.invoke({user_message("hello")});
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kCorruptData);
    EXPECT_NE(std::string(e.what()).find("not JSON"), std::string::npos) << e.what();
  }
}

TEST(OpenAIChatModel, ReadTimeoutIsAnError) {
  OpenAITestServer server("sk-test");
  server.set_delay(std::chrono::milliseconds(1500));
  HttpOptions o = http_options(server.url());
  o.read_timeout = std::chrono::milliseconds(200);
  o.max_retries = 0;
  OpenAIChatModel model(o, "m");
  const auto start = std::chrono::steady_clock::now();
  EXPECT_THROW(model.invoke({user_message("hello")}), Error);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(1400));
}

TEST(OpenAIChatModel, RunTimeoutCapsTheReadTimeout) {
  OpenAITestServer server("sk-test");
  server.set_delay(std::chrono::milliseconds(1500));
  HttpOptions o = http_options(server.url());
  o.max_retries = 0;
  OpenAIChatModel model(o, "m");  // read timeout 5 s
  RunConfig config;
  config.timeout = std::chrono::milliseconds(200);
  const auto start = std::chrono::steady_clock::now();
  try {
    model.invoke({user_message("hello")}, config);
    FAIL() << "no timeout";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kCancelled) << e.what();
  }
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(1400));
}

TEST(OpenAIChatModel, ConnectionRefusedIsRetriedThenAnError) {
  int port;
  {
    OpenAITestServer gone;
    port = std::stoi(gone.url().substr(gone.url().rfind(':') + 1));
  }
  std::vector<std::chrono::milliseconds> sleeps;
  HttpOptions o = http_options("http://127.0.0.1:" + std::to_string(port), &sleeps);
  o.max_retries = 1;
  OpenAIChatModel model(o, "m");
  try {
    model.invoke({user_message("hello")});
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("127.0.0.1:" + std::to_string(port)), std::string::npos)
        << e.what();
  }
  EXPECT_EQ(sleeps.size(), 1u);
}

TEST(OpenAIEmbeddings, Conformance) {
  OpenAIEmbeddings embeddings(http_options(shared_server().url()), "embed-model");
  EXPECT_EQ(embeddings.dim(), 8);
  testing::check_embeddings_conformance(embeddings);
}

TEST(OpenAIEmbeddings, MatchesTheServersVectorsInInputOrder) {
  OpenAITestServer server("sk-test");
  OpenAIEmbeddings embeddings(http_options(server.url()), "embed-model", 8);
  embeddings.batch_size = 2;
  const std::vector<std::string> texts = {"a", "bb", "ccc", "dddd", "e"};
  const auto got = embeddings.embed(texts);
  ASSERT_EQ(got.size(), texts.size());
  EXPECT_EQ(server.requests().size(), 3u);  // 2 + 2 + 1
  EXPECT_EQ(server.requests()[0].body["input"], nlohmann::json({"a", "bb"}));
  EXPECT_EQ(server.requests()[0].body["model"], "embed-model");
  for (size_t i = 0; i < texts.size(); ++i) {
    std::vector<float> want = OpenAITestServer::vector_of(texts[i]);
    double norm = 0;
    for (float x : want) norm += static_cast<double>(x) * x;
    for (size_t c = 0; c < want.size(); ++c) {
      EXPECT_NEAR(got[i][c], want[c] / std::sqrt(norm), 1e-6) << texts[i];
    }
  }
}

}  // namespace
}  // namespace llmkit::chain
