// Request parsing: bodies written as raw text (as a client sends them) go through
// parse_json_body and the endpoint parsers. Accepted shapes are checked field by field against
// the values written in the body; every error path is checked for its HTTP status, `param` (the
// field path OpenAI names) and code. Byte offsets of malformed bodies are checked against the
// position where the text stops being a prefix of any JSON document (worked out by hand per case).
#include "llmkit/server/openai_request.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <vector>

namespace llmkit::server {
namespace {

using nlohmann::json;

struct Expected {
  int status;
  std::string param;
  std::string code;
  std::string fragment = "";  // a part of the message
};

template <typename Fn>
void expect_api_error(Fn&& fn, const Expected& want, const std::string& label) {
  try {
    fn();
    ADD_FAILURE() << label << ": no error";
  } catch (const ApiError& e) {
    EXPECT_EQ(e.status, want.status) << label << ": " << e.message;
    EXPECT_EQ(e.param, want.param) << label << ": " << e.message;
    EXPECT_EQ(e.code, want.code) << label << ": " << e.message;
    EXPECT_EQ(e.type, "invalid_request_error") << label;
    EXPECT_NE(e.message.find(want.fragment), std::string::npos)
        << label << ": message '" << e.message << "' lacks '" << want.fragment << "'";
  }
}

GenerationRequest chat(const std::string& body, const RequestLimits& limits = {}) {
  return parse_chat_request(parse_json_body(body), limits);
}
GenerationRequest completion(const std::string& body, const RequestLimits& limits = {}) {
  return parse_completion_request(parse_json_body(body), limits);
}
EmbeddingRequest embedding(const std::string& body, const RequestLimits& limits = {}) {
  return parse_embedding_request(parse_json_body(body), limits);
}

const std::string kUser = R"("messages": [{"role": "user", "content": "hi"}])";

TEST(ParseJsonBody, ReturnsTheObject) {
  const json j = parse_json_body(R"({"a": [1, 2.5, "x\u00e9"], "b": {"c": null}})");
  EXPECT_EQ(j["a"][2].get<std::string>(), "x\xC3\xA9");
  EXPECT_TRUE(j["b"]["c"].is_null());
}

TEST(ParseJsonBody, MalformedJsonNamesTheByteOffset) {
  struct Case {
    std::string body;
    size_t offset;  // the first byte that cannot continue a JSON document
  };
  const std::vector<Case> cases = {
      {R"({"a": tru})", 9},
      {R"({"a": 1,})", 8},
      {R"({"a": 1)", 7},
      {"", 0},
      {R"({"a" 1})", 5},
      {"{} x", 3},
      {"{'a': 1}", 1},
      {"{\"a\": \"\\ud800\"}", 13},  // a lone surrogate escape: the string ends unpaired
  };
  for (const Case& c : cases) {
    expect_api_error([&] { parse_json_body(c.body); },
                     {400, "", "invalid_json", "at byte offset " + std::to_string(c.offset) + ")"},
                     c.body);
  }
}

TEST(ParseJsonBody, IllFormedUtf8AnywhereIsRejected) {
  struct Case {
    std::string body;
    size_t offset;
  };
  const std::vector<Case> cases = {
      {"{\"a\": \"x\xFFy\"}", 8},            // never a UTF-8 byte
      {"{\"a\": \"\xC0\xAF\"}", 7},          // overlong '/'
      {"{\"a\": \"\xED\xA0\x80\"}", 7},      // UTF-8 of the surrogate U+D800
      {"{\"a\": \"\xE2\x82\"}", 7},          // a 3-byte character cut short
      {"{\"a\": \"\xF4\x90\x80\x80\"}", 7},  // beyond U+10FFFF
      {"{\"k\xE9y\": 1}", 3},                // Latin-1 in a key
      {"{\"a\": 1} \x80", 9},                // after the document
  };
  for (const Case& c : cases) {
    expect_api_error([&] { parse_json_body(c.body); },
                     {400, "", "invalid_json", "byte offset " + std::to_string(c.offset)}, c.body);
  }
  EXPECT_NO_THROW(parse_json_body("{\"a\": \"\xF0\x9F\x98\x80 \xE2\x82\xAC\"}"));
}

TEST(ParseJsonBody, TopLevelMustBeAnObject) {
  for (const std::string body : {"[1]", "\"x\"", "3", "null", "true"}) {
    expect_api_error([&] { parse_json_body(body); }, {400, "", "invalid_json", "JSON object"},
                     body);
  }
}

TEST(ParseJsonBody, NestingDepthIsBounded) {
  const auto nested = [](int depth) {
    return "{\"a\": " + std::string(depth - 1, '[') + std::string(depth - 1, ']') + "}";
  };
  EXPECT_NO_THROW(parse_json_body(nested(kMaxJsonDepth)));
  expect_api_error([&] { parse_json_body(nested(kMaxJsonDepth + 1)); },
                   {400, "", "invalid_json",
                    "levels deep (at byte offset " + std::to_string(6 + kMaxJsonDepth - 1) + ")"},
                   "too deep");
  // Brackets inside strings (escaped quotes included) do not count.
  const std::string brackets(1000, '[');
  EXPECT_NO_THROW(parse_json_body("{\"a\": \"\\\"" + brackets + "\"}"));
}

TEST(ChatRequest, MinimalBodyGetsDefaults) {
  const GenerationRequest r = chat("{" + kUser + "}");
  EXPECT_TRUE(r.chat);
  ASSERT_EQ(r.messages.size(), 1u);
  EXPECT_EQ(r.messages[0].role, "user");
  EXPECT_EQ(r.messages[0].content, "hi");
  EXPECT_EQ(r.model, "");
  EXPECT_FALSE(r.max_tokens.has_value());
  EXPECT_FLOAT_EQ(r.temperature, 1.0f);
  EXPECT_FLOAT_EQ(r.top_p, 1.0f);
  EXPECT_EQ(r.n, 1);
  EXPECT_FALSE(r.stream);
  EXPECT_FALSE(r.json_schema.has_value());
  EXPECT_TRUE(r.tools.empty());
  EXPECT_EQ(r.tool_choice, ToolChoice::kAuto);
  EXPECT_FALSE(r.rag);
}

TEST(ChatRequest, EveryFieldIsRead) {
  const GenerationRequest r = chat(R"({"model": "m1", )" + kUser + R"(,
      "max_tokens": 7, "temperature": 0.5, "top_p": 0.9, "top_k": 40, "min_p": 0.05,
      "frequency_penalty": -1.5, "presence_penalty": 2, "seed": 42, "stop": ["a", "bc"],
      "n": 3, "stream": true, "stream_options": {"include_usage": true}, "logprobs": true,
      "top_logprobs": 5, "ignore_eos": true, "user": "u", "parallel_tool_calls": false,
      "rag": {"top_k": 9}, "store": false, "metadata": {"k": "v"}, "service_tier": "auto",
      "response_format": {"type": "json_schema", "json_schema": {"name": "out", "strict": true,
        "schema": {"type": "object", "properties": {"x": {"type": "integer"}}}}}})");
  EXPECT_EQ(r.model, "m1");
  EXPECT_EQ(r.max_tokens, 7);
  EXPECT_FLOAT_EQ(r.temperature, 0.5f);
  EXPECT_FLOAT_EQ(r.top_p, 0.9f);
  EXPECT_EQ(r.top_k, 40);
  EXPECT_FLOAT_EQ(r.min_p, 0.05f);
  EXPECT_FLOAT_EQ(r.frequency_penalty, -1.5f);
  EXPECT_FLOAT_EQ(r.presence_penalty, 2.0f);
  EXPECT_EQ(r.seed, 42u);
  EXPECT_EQ(r.stop, (std::vector<std::string>{"a", "bc"}));
  EXPECT_EQ(r.n, 3);
  EXPECT_TRUE(r.stream);
  EXPECT_TRUE(r.include_usage);
  EXPECT_TRUE(r.logprobs);
  EXPECT_EQ(r.top_logprobs, 5);
  EXPECT_TRUE(r.ignore_eos);
  EXPECT_EQ(r.user, "u");
  EXPECT_FALSE(r.parallel_tool_calls);
  EXPECT_TRUE(r.rag);
  EXPECT_EQ(r.rag_top_k, 9);
  ASSERT_TRUE(r.json_schema.has_value());
  EXPECT_EQ(*r.json_schema, json::parse(R"({"type": "object", "properties": {"x": {"type":
                                          "integer"}}})"));
}

TEST(ChatRequest, AlternativeSpellings) {
  EXPECT_EQ(chat("{" + kUser + R"(, "max_tokens": 5, "max_completion_tokens": 9})").max_tokens, 9);
  EXPECT_EQ(chat("{" + kUser + R"(, "max_tokens": 5.0})").max_tokens, 5);  // integral float
  EXPECT_EQ(chat("{" + kUser + R"(, "stop": "END"})").stop, std::vector<std::string>{"END"});
  EXPECT_EQ(chat("{" + kUser + R"(, "seed": -1})").seed, UINT64_MAX);
  EXPECT_EQ(chat("{" + kUser + R"(, "seed": 18446744073709551615})").seed, UINT64_MAX);
  EXPECT_TRUE(chat("{" + kUser + R"(, "rag": true})").rag);
  EXPECT_EQ(chat("{" + kUser + R"(, "rag": true})").rag_top_k, 4);
  EXPECT_FALSE(chat("{" + kUser + R"(, "rag": false})").rag);
  EXPECT_TRUE(chat("{" + kUser + R"(, "n": 2, "stream": true})").stream);  // n > 1 streams
  EXPECT_EQ(*chat("{" + kUser + R"(, "response_format": {"type": "json_object"}})").json_schema,
            json::parse(R"({"type": "object"})"));
  EXPECT_FALSE(
      chat("{" + kUser + R"(, "response_format": {"type": "text"}})").json_schema.has_value());
  // llama.cpp's json_object with a schema.
  EXPECT_EQ(*chat("{" + kUser +
                  R"(, "response_format": {"type": "json_object", "schema": {"type": "array"}}})")
                 .json_schema,
            json::parse(R"({"type": "array"})"));
}

TEST(ChatRequest, NullsAndUnknownFieldsAreIgnored) {
  const GenerationRequest r = chat("{" + kUser + R"(, "temperature": null, "stop": null,
      "tools": null, "frequency_penalty": null, "x_custom": {"deep": [1]}, "stream_options": null})");
  EXPECT_FLOAT_EQ(r.temperature, 1.0f);
  EXPECT_TRUE(r.stop.empty());
  EXPECT_TRUE(r.tools.empty());
}

TEST(ChatRequest, MessagesInEveryShape) {
  const GenerationRequest r = chat(R"({"messages": [
      {"role": "developer", "content": "be brief"},
      {"role": "system", "content": [{"type": "text", "text": "a"}, {"type": "text", "text": "b"}]},
      {"role": "user", "content": "weather?", "name": "bo"},
      {"role": "assistant", "content": null, "tool_calls": [
        {"id": "c1", "type": "function", "function": {"name": "get_weather",
         "arguments": "{\"city\": \"Paris\", \"days\": [1, 2]}"}},
        {"id": "c2", "type": "function", "function": {"name": "now", "arguments": ""}}]},
      {"role": "tool", "tool_call_id": "c1", "content": "sunny"},
      {"role": "tool", "tool_call_id": "c2", "content": [{"type": "text", "text": "noon"}]},
      {"role": "assistant", "content": [{"type": "text", "text": "It is "},
        {"type": "refusal", "refusal": "no"}, {"type": "text", "text": "sunny."}]},
      {"role": "assistant"}]})");
  ASSERT_EQ(r.messages.size(), 8u);
  EXPECT_EQ(r.messages[0].role, "system");
  EXPECT_EQ(r.messages[0].content, "be brief");
  EXPECT_EQ(r.messages[1].content, "ab");
  EXPECT_EQ(r.messages[2].role, "user");
  const chain::ChatMessage& call = r.messages[3];
  EXPECT_EQ(call.role, "assistant");
  EXPECT_EQ(call.content, "");
  ASSERT_EQ(call.tool_calls.size(), 2u);
  EXPECT_EQ(call.tool_calls[0].id, "c1");
  EXPECT_EQ(call.tool_calls[0].name, "get_weather");
  EXPECT_EQ(call.tool_calls[0].arguments, json::parse(R"({"city": "Paris", "days": [1, 2]})"));
  EXPECT_EQ(call.tool_calls[1].arguments, json::object());
  EXPECT_EQ(r.messages[4].role, "tool");
  EXPECT_EQ(r.messages[4].tool_call_id, "c1");
  EXPECT_EQ(r.messages[4].name, "get_weather");
  EXPECT_EQ(r.messages[4].content, "sunny");
  EXPECT_EQ(r.messages[5].name, "now");
  EXPECT_EQ(r.messages[5].content, "noon");
  EXPECT_EQ(r.messages[6].content, "It is sunny.");
  EXPECT_EQ(r.messages[7].content, "");
}

TEST(ChatRequest, ToolsAndToolChoice) {
  const std::string tools = R"("tools": [
      {"type": "function", "function": {"name": "get_weather", "description": "Weather.",
        "parameters": {"type": "object", "properties": {"city": {"type": "string"}},
                       "required": ["city"]}, "strict": true}},
      {"type": "function", "function": {"name": "now-2"}}])";
  GenerationRequest r = chat("{" + kUser + ", " + tools + "}");
  ASSERT_EQ(r.tools.size(), 2u);
  EXPECT_EQ(r.tools[0].name, "get_weather");
  EXPECT_EQ(r.tools[0].description, "Weather.");
  EXPECT_EQ(r.tools[0].parameters["required"], json::array({"city"}));
  EXPECT_EQ(r.tools[1].parameters, json::parse(R"({"type": "object", "properties": {},
                                                    "additionalProperties": false})"));
  EXPECT_EQ(r.tool_choice, ToolChoice::kAuto);
  for (const auto& [text, choice] :
       std::vector<std::pair<std::string, ToolChoice>>{{"\"none\"", ToolChoice::kNone},
                                                       {"\"auto\"", ToolChoice::kAuto},
                                                       {"\"required\"", ToolChoice::kRequired}}) {
    EXPECT_EQ(chat("{" + kUser + ", " + tools + ", \"tool_choice\": " + text + "}").tool_choice,
              choice);
  }
  r = chat("{" + kUser + ", " + tools +
           R"(, "tool_choice": {"type": "function", "function": {"name": "now-2"}}})");
  EXPECT_EQ(r.tool_choice, ToolChoice::kFunction);
  EXPECT_EQ(r.tool_choice_name, "now-2");
  // "none" and "auto" need no tools.
  EXPECT_EQ(chat("{" + kUser + R"(, "tool_choice": "none"})").tool_choice, ToolChoice::kNone);
}

TEST(ChatRequest, ErrorsNameTheField) {
  RequestLimits limits;
  struct Case {
    std::string fields;  // appended to a valid body (or the whole body when it has "messages")
    Expected want;
  };
  const std::string tool = R"("tools": [{"type": "function", "function": {"name": "f"}}])";
  const std::vector<Case> cases = {
      {R"("model": 3)", {400, "model", "invalid_type", "expected a string, but got an integer"}},
      {R"("temperature": "hot")", {400, "temperature", "invalid_type", "expected a number"}},
      {R"("temperature": 2.5)", {400, "temperature", "invalid_value", "[0, 2]"}},
      {R"("temperature": -0.1)", {400, "temperature", "invalid_value"}},
      {R"("top_p": 0)", {400, "top_p", "invalid_value", "(0, 1]"}},
      {R"("top_p": 1.01)", {400, "top_p", "invalid_value"}},
      {R"("top_k": -1)", {400, "top_k", "invalid_value"}},
      {R"("top_k": 1.5)", {400, "top_k", "invalid_type", "expected an integer"}},
      {R"("min_p": 1.5)", {400, "min_p", "invalid_value"}},
      {R"("frequency_penalty": 3)", {400, "frequency_penalty", "invalid_value"}},
      {R"("presence_penalty": -2.01)", {400, "presence_penalty", "invalid_value"}},
      {R"("presence_penalty": true)", {400, "presence_penalty", "invalid_type"}},
      {R"("seed": "7")", {400, "seed", "invalid_type"}},
      {R"("seed": 1.5)", {400, "seed", "invalid_type"}},
      {R"("max_tokens": 0)", {400, "max_tokens", "invalid_value"}},
      {R"("max_tokens": "5")", {400, "max_tokens", "invalid_type"}},
      {R"("max_completion_tokens": -3)", {400, "max_completion_tokens", "invalid_value"}},
      {R"("max_tokens": 1e300)", {400, "max_tokens", "invalid_value"}},
      {R"("n": 0)", {400, "n", "invalid_value"}},
      {R"("n": 9)", {400, "n", "invalid_value", "[1, 8]"}},
      {R"("stream": "yes")", {400, "stream", "invalid_type", "a boolean"}},
      {R"("stream_options": {"include_usage": true})",
       {400, "stream_options", "invalid_value", "only allowed when 'stream'"}},
      {R"("stream": true, "stream_options": {"include_usage": 1})",
       {400, "stream_options.include_usage", "invalid_type"}},
      {R"("stream": true, "stream_options": [])", {400, "stream_options", "invalid_type"}},
      {R"("stop": 5)", {400, "stop", "invalid_type", "a string or an array of strings"}},
      {R"("stop": "")", {400, "stop", "invalid_value", "must not be empty"}},
      {R"("stop": ["a", ""])", {400, "stop[1]", "invalid_value"}},
      {R"("stop": ["a", 2])", {400, "stop[1]", "invalid_type"}},
      {R"("stop": ["a", "b", "c", "d", "e"])", {400, "stop", "invalid_value", "at most 4"}},
      {R"("logprobs": 1)", {400, "logprobs", "invalid_type", "a boolean"}},
      {R"("top_logprobs": 3)", {400, "top_logprobs", "invalid_value", "requires 'logprobs'"}},
      {R"("logprobs": true, "top_logprobs": 21)", {400, "top_logprobs", "invalid_value"}},
      {R"("ignore_eos": 1)", {400, "ignore_eos", "invalid_type"}},
      {R"("user": 5)", {400, "user", "invalid_type"}},
      {R"("logit_bias": {"50256": -100})", {400, "logit_bias", "unsupported_parameter"}},
      {R"("logit_bias": {"x": 1})", {400, "logit_bias.x", "invalid_value", "token ids"}},
      {R"("logit_bias": {"5": 101})", {400, "logit_bias.5", "invalid_value"}},
      {R"("logit_bias": [])", {400, "logit_bias", "invalid_type"}},
      {R"("response_format": "json")", {400, "response_format", "invalid_type"}},
      {R"("response_format": {})", {400, "response_format.type", "missing_required_parameter"}},
      {R"("response_format": {"type": "yaml"})", {400, "response_format.type", "invalid_value"}},
      {R"("response_format": {"type": "json_schema"})",
       {400, "response_format.json_schema", "missing_required_parameter"}},
      {R"("response_format": {"type": "json_schema", "json_schema": {"name": "a b"}})",
       {400, "response_format.json_schema.name", "invalid_value"}},
      {R"("response_format": {"type": "json_schema", "json_schema": {"schema": []}})",
       {400, "response_format.json_schema.schema", "invalid_type"}},
      {R"("response_format": {"type": "json_schema", "json_schema": {"strict": "yes"}})",
       {400, "response_format.json_schema.strict", "invalid_type"}},
      {R"("response_format": {"type": "json_schema", "json_schema": {"schema":
          {"type": "object", "patternProperties": {"a": {}}}}})",
       {400, "response_format.json_schema.schema", "invalid_schema", "patternProperties"}},
      {R"("tools": {})", {400, "tools", "invalid_type", "an array"}},
      {R"("tools": [{"type": "code_interpreter"}])",
       {400, "tools[0].type", "unsupported_parameter"}},
      {R"("tools": [{"type": "function"}])",
       {400, "tools[0].function", "missing_required_parameter"}},
      {R"("tools": [{"type": "function", "function": {"name": "bad name"}}])",
       {400, "tools[0].function.name", "invalid_value", "^[a-zA-Z0-9_-]{1,64}$"}},
      {R"("tools": [{"type": "function", "function": {"name": ")" + std::string(65, 'a') +
           R"("}}])",
       {400, "tools[0].function.name", "invalid_value"}},
      {R"("tools": [{"type": "function", "function": {"name": "f"}},
                    {"type": "function", "function": {"name": "f"}}])",
       {400, "tools[1].function.name", "invalid_value", "already named"}},
      {R"("tools": [{"type": "function", "function": {"name": "f", "parameters": "{}"}}])",
       {400, "tools[0].function.parameters", "invalid_type"}},
      {R"("tools": [{"type": "function", "function": {"name": "f", "description": 1}}])",
       {400, "tools[0].function.description", "invalid_type"}},
      {R"("tool_choice": "required")", {400, "tool_choice", "invalid_value", "needs 'tools'"}},
      {tool + R"(, "tool_choice": "always")", {400, "tool_choice", "invalid_value"}},
      {tool + R"(, "tool_choice": 1)", {400, "tool_choice", "invalid_type"}},
      {tool + R"(, "tool_choice": {"type": "function", "function": {"name": "g"}})",
       {400, "tool_choice.function.name", "invalid_value", "no tool is named 'g'"}},
      {tool + R"(, "tool_choice": {"type": "function"})",
       {400, "tool_choice.function", "missing_required_parameter"}},
      {tool + R"(, "tool_choice": {"type": "allowed_tools"})",
       {400, "tool_choice.type", "unsupported_parameter"}},
      {R"("tools": [{"type": "function", "function": {"name": "f", "parameters":
          {"type": "object", "properties": {"a": {"type": "string", "format": "email"}}}}}],
         "tool_choice": "required")",
       {400, "tools[0].function.parameters", "invalid_schema", "format"}},
      {tool + R"(, "parallel_tool_calls": "no")", {400, "parallel_tool_calls", "invalid_type"}},
      {R"("rag": "yes")", {400, "rag", "invalid_type"}},
      {R"("rag": {"top_k": 0})", {400, "rag.top_k", "invalid_value", "[1, 50]"}},
      {R"("rag": {"top_k": 51})", {400, "rag.top_k", "invalid_value"}},
      {R"("functions": [])", {400, "functions", "unsupported_parameter"}},
      {R"("function_call": "auto")", {400, "function_call", "unsupported_parameter"}},
      {R"("audio": {"voice": "x"})", {400, "audio", "unsupported_parameter"}},
      {R"("modalities": ["text", "audio"])", {400, "modalities[1]", "unsupported_parameter"}},
      {R"("store": "yes")", {400, "store", "invalid_type"}},
      {R"("metadata": 3)", {400, "metadata", "invalid_type"}},
      {R"("service_tier": 3)", {400, "service_tier", "invalid_type"}},
  };
  for (const Case& c : cases) {
    expect_api_error([&] { chat("{" + kUser + ", " + c.fields + "}", limits); }, c.want, c.fields);
  }
}

TEST(ChatRequest, MessageErrorsNameTheMessage) {
  struct Case {
    std::string messages;
    Expected want;
  };
  const std::string call =
      R"({"role": "assistant", "tool_calls": [{"id": "c1", "type": "function",
          "function": {"name": "f", "arguments": "{}"}}]})";
  const std::vector<Case> cases = {
      {"", {400, "messages", "invalid_value", "at least one"}},
      {R"("hi")", {400, "messages[0]", "invalid_type", "an object"}},
      {R"({"content": "x"})", {400, "messages[0].role", "missing_required_parameter"}},
      {R"({"role": "bot", "content": "x"})", {400, "messages[0].role", "invalid_value"}},
      {R"({"role": "function", "content": "x", "name": "f"})",
       {400, "messages[0].role", "unsupported_parameter"}},
      {R"({"role": "user"})", {400, "messages[0].content", "missing_required_parameter"}},
      {R"({"role": "system", "content": null})",
       {400, "messages[0].content", "missing_required_parameter"}},
      {R"({"role": "user", "content": 5})", {400, "messages[0].content", "invalid_type"}},
      {R"({"role": "user", "content": [{"type": "image_url", "image_url": {"url": "x"}}]})",
       {400, "messages[0].content[0].type", "unsupported_parameter", "'image_url'"}},
      {R"({"role": "user", "content": ["hi"]})", {400, "messages[0].content[0]", "invalid_type"}},
      {R"({"role": "user", "content": [{"text": "hi"}]})",
       {400, "messages[0].content[0].type", "missing_required_parameter"}},
      {R"({"role": "user", "content": [{"type": "text", "text": 3}]})",
       {400, "messages[0].content[0].text", "invalid_type"}},
      {R"({"role": "user", "content": [{"type": "refusal", "refusal": "x"}]})",
       {400, "messages[0].content[0].type", "unsupported_parameter"}},
      {R"({"role": "user", "content": "x", "name": 1})", {400, "messages[0].name", "invalid_type"}},
      {R"({"role": "user", "content": "x"}, {"role": "assistant", "tool_calls": {}})",
       {400, "messages[1].tool_calls", "invalid_type"}},
      {R"({"role": "assistant", "tool_calls": [{"type": "function", "function": {"name": "f",
          "arguments": "{}"}}]})",
       {400, "messages[0].tool_calls[0].id", "missing_required_parameter"}},
      {R"({"role": "assistant", "tool_calls": [{"id": "c", "type": "custom", "function": {}}]})",
       {400, "messages[0].tool_calls[0].type", "invalid_value"}},
      {R"({"role": "assistant", "tool_calls": [{"id": "c", "function": {"arguments": "{}"}}]})",
       {400, "messages[0].tool_calls[0].function.name", "missing_required_parameter"}},
      {R"({"role": "assistant", "tool_calls": [{"id": "c", "function": {"name": "f",
          "arguments": "{bad"}}]})",
       {400, "messages[0].tool_calls[0].function.arguments", "invalid_value", "JSON object"}},
      {R"({"role": "assistant", "tool_calls": [{"id": "c", "function": {"name": "f",
          "arguments": "[1]"}}]})",
       {400, "messages[0].tool_calls[0].function.arguments", "invalid_value"}},
      {R"({"role": "assistant", "tool_calls": [{"id": "c", "function": {"name": "f",
          "arguments": {"a": 1}}}]})",
       {400, "messages[0].tool_calls[0].function.arguments", "invalid_type", "a string"}},
      {R"({"role": "assistant", "content": "x", "function_call": {"name": "f"}})",
       {400, "messages[0].function_call", "unsupported_parameter"}},
      {call + R"(, {"role": "tool", "content": "r"})",
       {400, "messages[1].tool_call_id", "missing_required_parameter"}},
      {call + R"(, {"role": "tool", "content": "r", "tool_call_id": "c9"})",
       {400, "messages[1].tool_call_id", "invalid_value", "no call has this id"}},
      {R"({"role": "tool", "content": "r", "tool_call_id": "c1"}, )" + call,
       {400, "messages[0].tool_call_id", "invalid_value"}},
      {call + R"(, {"role": "tool", "tool_call_id": "c1"})",
       {400, "messages[1].content", "missing_required_parameter"}},
  };
  for (const Case& c : cases) {
    expect_api_error([&] { chat(R"({"messages": [)" + c.messages + "]}"); }, c.want, c.messages);
  }
  expect_api_error([] { chat("{}"); }, {400, "messages", "missing_required_parameter"}, "none");
  expect_api_error([] { chat(R"({"messages": {}})"); }, {400, "messages", "invalid_type"}, "{}");
  expect_api_error([] { chat(R"({"messages": null})"); },
                   {400, "messages", "missing_required_parameter"}, "null");
}

TEST(ChatRequest, SizeLimitsAnswer413) {
  RequestLimits limits;
  limits.max_string_bytes = 10;
  limits.max_messages = 2;
  EXPECT_NO_THROW(chat(R"({"messages": [{"role": "user", "content": "0123456789"}]})", limits));
  expect_api_error(
      [&] { chat(R"({"messages": [{"role": "user", "content": "01234567890"}]})", limits); },
      {413, "messages[0].content", "request_too_large", "at most 10 bytes"}, "content");
  // Parts are counted together.
  expect_api_error(
      [&] {
        chat(R"({"messages": [{"role": "user", "content": [{"type": "text", "text": "012345"},
             {"type": "text", "text": "6789a"}]}]})",
             limits);
      },
      {413, "messages[0].content", "request_too_large"}, "parts");
  expect_api_error([&] { chat("{" + kUser + R"(, "stop": ["01234567890"]})", limits); },
                   {413, "stop[0]", "request_too_large"}, "stop");
  const std::string three = R"({"role": "user", "content": "a"})";
  expect_api_error(
      [&] { chat(R"({"messages": [)" + three + "," + three + "," + three + "]}", limits); },
      {413, "messages", "request_too_large", "at most 2"}, "messages");
  limits = RequestLimits{};
  limits.max_tools = 1;
  expect_api_error(
      [&] {
        chat("{" + kUser + R"(, "tools": [{"type": "function", "function": {"name": "a"}},
             {"type": "function", "function": {"name": "b"}}]})",
             limits);
      },
      {400, "tools", "invalid_value", "at most 1"}, "tools");
}

TEST(CompletionRequest, PromptShapes) {
  GenerationRequest r = completion(R"({"prompt": "Once", "max_tokens": 3, "echo": true,
      "logprobs": 2, "best_of": 1, "suffix": "", "ignore_eos": true})");
  EXPECT_FALSE(r.chat);
  EXPECT_EQ(r.prompt, "Once");
  EXPECT_TRUE(r.messages.empty());
  EXPECT_EQ(r.max_tokens, 3);
  EXPECT_TRUE(r.echo);
  EXPECT_TRUE(r.logprobs);
  EXPECT_EQ(r.top_logprobs, 2);
  EXPECT_TRUE(r.ignore_eos);
  r = completion(R"({"prompt": ["only one"], "logprobs": 0})");
  EXPECT_EQ(r.prompt, "only one");
  EXPECT_TRUE(r.logprobs);
  EXPECT_EQ(r.top_logprobs, 0);
  EXPECT_FALSE(completion(R"({"prompt": "", "logprobs": null})").logprobs);
  EXPECT_EQ(completion(R"({"prompt": "a", "n": 2, "best_of": 2})").n, 2);
  EXPECT_EQ(
      *completion(R"({"prompt": "a", "response_format": {"type": "json_object"}})").json_schema,
      json::parse(R"({"type": "object"})"));
}

TEST(CompletionRequest, Errors) {
  const std::vector<std::pair<std::string, Expected>> cases = {
      {R"({})", {400, "prompt", "missing_required_parameter"}},
      {R"({"prompt": 5})", {400, "prompt", "invalid_type"}},
      {R"({"prompt": []})", {400, "prompt", "invalid_value", "empty"}},
      {R"({"prompt": [1, 2, 3]})", {400, "prompt", "invalid_value", "token-id prompts"}},
      {R"({"prompt": [[1, 2]]})", {400, "prompt", "invalid_value", "token-id prompts"}},
      {R"({"prompt": ["a", "b"]})", {400, "prompt", "invalid_value", "one request per prompt"}},
      {R"({"prompt": "a", "logprobs": true})", {400, "logprobs", "invalid_type"}},
      {R"({"prompt": "a", "logprobs": 21})", {400, "logprobs", "invalid_value"}},
      {R"({"prompt": "a", "echo": 1})", {400, "echo", "invalid_type"}},
      {R"({"prompt": "a", "suffix": "end"})", {400, "suffix", "unsupported_parameter"}},
      {R"({"prompt": "a", "best_of": 3})", {400, "best_of", "unsupported_parameter"}},
      {R"({"prompt": "a", "n": 2, "best_of": 1})", {400, "best_of", "invalid_value"}},
      {R"({"prompt": "a", "rag": true})", {400, "rag", "unsupported_parameter"}},
      {R"({"prompt": "a", "temperature": 9})", {400, "temperature", "invalid_value"}},
      {R"({"prompt": "a", "stream_options": {}})", {400, "stream_options", "invalid_value"}},
  };
  for (const auto& [body, want] : cases) {
    expect_api_error([&] { completion(body); }, want, body);
  }
  RequestLimits limits;
  limits.max_string_bytes = 3;
  expect_api_error([&] { completion(R"({"prompt": ["abcd"]})", limits); },
                   {413, "prompt[0]", "request_too_large"}, "size");
}

TEST(EmbeddingRequest, InputShapes) {
  EmbeddingRequest r = embedding(R"({"model": "e", "input": "hello", "dimensions": 8,
                                     "encoding_format": "base64", "user": "u"})");
  EXPECT_EQ(r.model, "e");
  EXPECT_EQ(r.input, std::vector<std::string>{"hello"});
  EXPECT_TRUE(r.base64);
  EXPECT_EQ(r.dimensions, 8);
  r = embedding(R"({"input": ["a", "b c"], "encoding_format": "float"})");
  EXPECT_EQ(r.input, (std::vector<std::string>{"a", "b c"}));
  EXPECT_FALSE(r.base64);
  EXPECT_FALSE(r.dimensions.has_value());
}

TEST(EmbeddingRequest, Errors) {
  const std::vector<std::pair<std::string, Expected>> cases = {
      {R"({})", {400, "input", "missing_required_parameter"}},
      {R"({"input": 5})", {400, "input", "invalid_type"}},
      {R"({"input": ""})", {400, "input", "invalid_value", "must not be empty"}},
      {R"({"input": []})", {400, "input", "invalid_value"}},
      {R"({"input": ["a", ""]})", {400, "input[1]", "invalid_value"}},
      {R"({"input": ["a", 3]})", {400, "input[1]", "invalid_value", "token-id"}},
      {R"({"input": [1, 2]})", {400, "input", "invalid_value", "token-id"}},
      {R"({"input": [[1, 2]]})", {400, "input[0]", "invalid_value", "token-id"}},
      {R"({"input": ["a", {}]})", {400, "input[1]", "invalid_type"}},
      {R"({"input": "a", "encoding_format": "int8"})", {400, "encoding_format", "invalid_value"}},
      {R"({"input": "a", "dimensions": 0})", {400, "dimensions", "invalid_value"}},
      {R"({"input": "a", "model": []})", {400, "model", "invalid_type"}},
  };
  for (const auto& [body, want] : cases) {
    expect_api_error([&] { embedding(body); }, want, body);
  }
  RequestLimits limits;
  limits.max_embedding_inputs = 2;
  expect_api_error([&] { embedding(R"({"input": ["a", "b", "c"]})", limits); },
                   {413, "input", "request_too_large", "at most 2"}, "count");
}

}  // namespace
}  // namespace llmkit::server
