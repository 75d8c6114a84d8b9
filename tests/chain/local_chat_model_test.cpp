// LocalChatModel and LocalEmbeddings on a tiny random-weight Llama with a trained tokenizer
// (tests/infer/generate_test_util.h; context raised to 2048 so tool descriptions fit): the
// ChatModel and Embeddings conformance suites, the chat formatter's tool rendering, and the
// embedding pooling against the session's hidden states.
#include "llmkit/chain/local_chat_model.h"

#include <cmath>

#include <gtest/gtest.h>

#include "tests/chain/chat_model_conformance.h"
#include "tests/chain/embeddings_conformance.h"
#include "tests/infer/generate_test_util.h"

namespace llmkit::chain {
namespace {

using testing::ChatModelConformance;

std::shared_ptr<const infer::Model> tiny_llama() {
  static std::shared_ptr<const infer::Model> model = [] {
    auto tok = infer::testing::chat_tokenizer();
    models::ModelConfig c = models::preset(models::Arch::kLlama, "tiny");
    c.n_vocab = tok->n_vocab();
    c.bos_id = tok->bos_id();
    c.eos_id = tok->eos_id();
    c.pad_id = tok->pad_id();
    c.n_ctx = 2048;
    c.init_std = 0.1f;
    models::TransformerLM lm(c, 3);
    lm.eval();
    return infer::Model::from_weights(lm.config(), lm.named_parameters(), tok);
  }();
  return model;
}

// A Qwen-like template that renders tools, tool calls and tool results natively.
const char* kToolTemplate =
    R"({%- if tools %}<tools>{% for t in tools %}{{ t | tojson }}
{% endfor %}</tools>
{% endif %}{%- for m in messages %}<|start_header_id|>{{ m.role }}<|end_header_id|>
{% if m.tool_calls %}{% for c in m.tool_calls %}<tool_call>{"name": "{{ c.function.name }}", "arguments": {{ c.function.arguments | tojson }}}</tool_call>{% endfor %}{% endif %}{% if m.role == 'tool' %}[{{ m.tool_call_id }}] {% endif %}{{ m.content }}<|eot_id|>{% endfor %}{% if add_generation_prompt %}<|start_header_id|>assistant<|end_header_id|>
{% endif %})";

testing::ChatModelHarness local_harness(const std::string& name, const std::string& tmpl) {
  testing::ChatModelHarness h;
  h.name = name;
  h.make = [tmpl] {
    LocalChatConfig config;
    config.chat_template = tmpl;
    return std::make_shared<LocalChatModel>(tiny_llama(), ChatOptions{}, config);
  };
  h.make_failing = [tmpl] {
    LocalChatConfig config;
    config.chat_template = tmpl;
    config.session.n_ctx = 8;  // every prompt here is longer: the context overflows
    return std::make_shared<LocalChatModel>(tiny_llama(), ChatOptions{}, config);
  };
  h.tool_call_options = [](const ToolSpec& tool) {
    // A random-weight model calls tools only when constrained to: the schema of a bare call.
    ChatOptions o;
    o.temperature = 0.0f;
    o.max_tokens = 400;
    o.tools = {tool};
    o.json_schema = nlohmann::json{
        {"type", "object"},
        {"properties", {{"name", {{"const", tool.name}}}, {"arguments", tool.parameters}}},
        {"required", {"name", "arguments"}},
        {"additionalProperties", false}};
    return o;
  };
  return h;
}

INSTANTIATE_TEST_SUITE_P(Local, ChatModelConformance,
                         ::testing::Values(local_harness("BuiltinFormat", ""),
                                           local_harness("JinjaTemplate", kToolTemplate)),
                         testing::harness_name);

ToolSpec weather_tool() {
  return {"lookup",
          "Weather of a city",
          {{"type", "object"}, {"properties", {{"city", {{"type", "string"}}}}}}};
}

Messages tool_conversation() {
  return {system_message("Be brief."), user_message("Weather in Oslo?"),
          assistant_message("", {ToolCall{"call_7", "lookup", {{"city", "Oslo"}}}}),
          tool_message("rain", "call_7", "lookup")};
}

TEST(ChatFormatter, NativeTemplateGetsToolsCallsAndResults) {
  ChatFormatter f(tiny_llama(), kToolTemplate);
  EXPECT_TRUE(f.native_tools());
  const std::string text = f.render(tool_conversation(), {weather_tool()});
  // HF tool list, the call with its arguments as an object, the result with its call id.
  EXPECT_NE(text.find(R"("type": "function")"), std::string::npos) << text;
  EXPECT_NE(text.find(R"("name": "lookup")"), std::string::npos) << text;
  EXPECT_NE(
      text.find(R"(<tool_call>{"name": "lookup", "arguments": {"city": "Oslo"}}</tool_call>)"),
      std::string::npos)
      << text;
  EXPECT_NE(text.find("<|start_header_id|>tool<|end_header_id|>\n[call_7] rain<|eot_id|>"),
            std::string::npos)
      << text;
}

TEST(ChatFormatter, BuiltinFormatInlinesTools) {
  ChatFormatter f(tiny_llama());
  EXPECT_FALSE(f.native_tools());
  EXPECT_EQ(f.description(), "built-in llama3");
  const std::string text = f.render(tool_conversation(), {weather_tool()});
  EXPECT_NE(text.find("<tools>"), std::string::npos) << text;
  EXPECT_NE(text.find("Be brief."), std::string::npos) << text;
  EXPECT_NE(text.find("<tool_call>\n{\"arguments\":{\"city\":\"Oslo\"},\"name\":\"lookup\"}"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("user<|end_header_id|>\n\n<tool_response>\nlookup: rain\n</tool_response>"),
            std::string::npos)
      << text;
  // Without tools, the built-in format is infer::ChatFormat's exactly.
  infer::ChatFormat builtin(infer::ChatStyle::kLlama3, tiny_llama()->require_tokenizer());
  std::vector<infer::ChatMessage> plain = {{"system", "Be brief."}, {"user", "Hi"}};
  EXPECT_EQ(f.encode({system_message("Be brief."), user_message("Hi")}, {}), builtin.encode(plain));
}

TEST(LocalChatModel, ModelsShareTheLoadedModel) {
  auto a = std::make_shared<LocalChatModel>(tiny_llama());
  ChatOptions o;
  o.max_tokens = 2;
  auto b = a->with_options(o);
  EXPECT_EQ(dynamic_cast<const LocalChatModel&>(*b).model().get(), tiny_llama().get());
  EXPECT_EQ(&dynamic_cast<const LocalChatModel&>(*b).formatter(), &a->formatter());
}

TEST(LocalChatModel, JsonSchemaConstrainsTheOutput) {
  ChatOptions o;
  o.temperature = 0.0f;
  o.max_tokens = 300;
  o.json_schema = nlohmann::json::parse(
      R"({"type": "object", "properties": {"answer": {"type": "integer", "minimum": 0, "maximum": 99}},
          "required": ["answer"], "additionalProperties": false})");
  auto model = std::make_shared<LocalChatModel>(tiny_llama(), o);
  const std::string text = model->invoke({user_message("Pick a number.")}).content;
  const nlohmann::json j = nlohmann::json::parse(text);  // throws when not JSON
  ASSERT_TRUE(j.is_object()) << text;
  ASSERT_TRUE(j["answer"].is_number_integer()) << text;
  EXPECT_GE(j["answer"].get<int>(), 0);
  EXPECT_LE(j["answer"].get<int>(), 99);
}

TEST(LocalChatModel, CancellationStopsTheRun) {
  ChatOptions o;
  o.max_tokens = 100;
  auto model = std::make_shared<LocalChatModel>(tiny_llama(), o);
  RunConfig config;
  config.cancel = std::make_shared<std::atomic<bool>>(false);
  int chunks = 0;
  try {
    model->stream(
        {user_message("Hello")},
        [&](const ChatMessage&) {
          if (++chunks == 2) config.cancel->store(true);
        },
        config);
    FAIL() << "cancellation did not stop the stream";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kCancelled) << e.what();
  }
  EXPECT_LE(chunks, 3);
}

TEST(LocalEmbeddings, Conformance) {
  LocalEmbeddings embeddings(tiny_llama());
  EXPECT_EQ(embeddings.dim(), tiny_llama()->config().n_embd);
  testing::check_embeddings_conformance(embeddings);
}

TEST(LocalEmbeddings, PoolsTheSessionsFinalHiddenStates) {
  auto model = tiny_llama();
  const std::string text = "the sea and the sky";
  const std::vector<int32_t> ids = model->require_tokenizer().encode(text, true, false);
  const int64_t n = static_cast<int64_t>(ids.size()), C = model->config().n_embd,
                V = model->config().n_vocab;
  infer::Session session(model);
  std::vector<float> logits(n * V), hidden(n * C);
  session.decode_all(ids, logits.data(), hidden.data());
  auto normalized = [&](std::vector<double> v) {
    double s = 0;
    for (double x : v) s += x * x;
    for (double& x : v) x /= std::sqrt(s);
    return v;
  };
  std::vector<double> mean(C, 0.0), last(C);
  for (int64_t i = 0; i < n; ++i) {
    for (int64_t c = 0; c < C; ++c) mean[c] += hidden[i * C + c] / static_cast<double>(n);
  }
  for (int64_t c = 0; c < C; ++c) last[c] = hidden[(n - 1) * C + c];
  mean = normalized(mean);
  last = normalized(last);
  const auto got_mean = LocalEmbeddings(model, Pooling::kMean).embed({text})[0];
  const auto got_last = LocalEmbeddings(model, Pooling::kLast).embed({text})[0];
  for (int64_t c = 0; c < C; ++c) {
    EXPECT_NEAR(got_mean[c], mean[c], 1e-5);
    EXPECT_NEAR(got_last[c], last[c], 1e-5);
  }
}

}  // namespace
}  // namespace llmkit::chain
