// Response building. Shapes are checked against the fields and types the official openai SDK
// declares (openai-node: ChatCompletion, ChatCompletionChunk, Completion, CreateEmbeddingResponse,
// CompletionUsage, Model, the error body) through a small type checker written here; values are
// checked against their definitions (usage totals, text_offset positions inside the text, base64
// decoded by an independent decoder back into the floats, UTF-8 validity by re-encoding decoded
// code points, U+FFFD substitution by the Unicode standard's own example in section 3.9).
#include "llmkit/server/openai_response.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <random>
#include <string>
#include <vector>

namespace llmkit::server {
namespace {

using nlohmann::json;

// Checks value against a type spec: "string", "integer", "number", "boolean", "null", "array",
// "object", alternatives joined with '|' ("string|null"); an object spec checks each listed field
// (a field whose spec starts with '?' may be absent).
void expect_shape(const json& value, const json& spec, const std::string& path = "$") {
  if (spec.is_object()) {
    ASSERT_TRUE(value.is_object()) << path << " is not an object: " << value.dump();
    for (const auto& [key, field_spec] : spec.items()) {
      std::string s = field_spec.is_string() ? field_spec.get<std::string>() : "";
      const bool optional = !s.empty() && s[0] == '?';
      if (!value.contains(key)) {
        EXPECT_TRUE(optional) << path << "." << key << " is missing";
        continue;
      }
      expect_shape(value[key], optional ? json(s.substr(1)) : field_spec, path + "." + key);
    }
    return;
  }
  if (spec.is_array()) {  // [element spec]
    ASSERT_TRUE(value.is_array()) << path;
    for (size_t i = 0; i < value.size(); ++i) {
      expect_shape(value[i], spec[0], path + "[" + std::to_string(i) + "]");
    }
    return;
  }
  const std::string s = spec.get<std::string>();
  bool ok = false;
  size_t start = 0;
  while (start <= s.size()) {
    const size_t bar = s.find('|', start);
    const std::string t =
        s.substr(start, bar == std::string::npos ? std::string::npos : bar - start);
    ok = ok || (t == "string" && value.is_string()) ||
         (t == "integer" && value.is_number_integer()) || (t == "number" && value.is_number()) ||
         (t == "boolean" && value.is_boolean()) || (t == "null" && value.is_null()) ||
         (t == "array" && value.is_array()) || (t == "object" && value.is_object());
    if (bar == std::string::npos) break;
    start = bar + 1;
  }
  EXPECT_TRUE(ok) << path << " should be " << s << ", is " << value.dump();
}

const json kUsageShape = {{"prompt_tokens", "integer"},
                          {"completion_tokens", "integer"},
                          {"total_tokens", "integer"},
                          {"prompt_tokens_details", {{"cached_tokens", "integer"}}}};
const json kToolCallShape = {{"id", "string"},
                             {"type", "string"},
                             {"function", {{"name", "string"}, {"arguments", "string"}}}};
const json kTopLogprobShape = {{"token", "string"}, {"logprob", "number"}, {"bytes", "array|null"}};
const json kChatLogprobShape = {{"token", "string"},
                                {"logprob", "number"},
                                {"bytes", "array|null"},
                                {"top_logprobs", json::array({kTopLogprobShape})}};

// Reference UTF-8 validity: split greedily into characters whose code point, decoded from the
// bits, re-encodes to the same bytes and is a Unicode scalar value.
std::string encode(uint32_t cp) {
  std::string out;
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
  return out;
}

bool reference_valid(const std::string& s) {
  size_t i = 0;
  while (i < s.size()) {
    bool found = false;
    for (size_t len = 1; len <= 4 && i + len <= s.size() && !found; ++len) {
      uint32_t cp = static_cast<uint8_t>(s[i]) & (len == 1 ? 0x7F : (0x7F >> len));
      for (size_t k = 1; k < len; ++k) cp = cp << 6 | (static_cast<uint8_t>(s[i + k]) & 0x3F);
      const bool scalar = cp <= 0x10FFFF && !(cp >= 0xD800 && cp <= 0xDFFF);
      if (scalar && encode(cp) == s.substr(i, len)) {
        i += len;
        found = true;
      }
    }
    if (!found) return false;
  }
  return true;
}

std::string base64_decode(const std::string& text) {
  auto value = [](char c) -> int {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+') return 62;
    if (c == '/') return 63;
    return -1;
  };
  std::string out;
  uint32_t acc = 0;
  int bits = 0;
  for (char c : text) {
    if (c == '=') break;
    const int v = value(c);
    EXPECT_GE(v, 0) << "bad base64 character " << c;
    acc = acc << 6 | static_cast<uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += static_cast<char>((acc >> bits) & 0xFF);
    }
  }
  return out;
}

TEST(Utf8, FindInvalidAgreesWithTheReferenceOnAllShortStrings) {
  // Every 1- and 2-byte string, and every 3-byte string that starts with a lead byte.
  std::string s;
  for (int a = 0; a < 256; ++a) {
    s = std::string(1, static_cast<char>(a));
    ASSERT_EQ(find_invalid_utf8(s) == std::string_view::npos, reference_valid(s)) << a;
    for (int b = 0; b < 256; ++b) {
      s = {static_cast<char>(a), static_cast<char>(b)};
      ASSERT_EQ(find_invalid_utf8(s) == std::string_view::npos, reference_valid(s))
          << a << " " << b;
    }
  }
  for (int a = 0xC0; a < 256; ++a) {
    for (int b = 0; b < 256; ++b) {
      for (int c = 0; c < 256; ++c) {
        s = {static_cast<char>(a), static_cast<char>(b), static_cast<char>(c)};
        ASSERT_EQ(find_invalid_utf8(s) == std::string_view::npos, reference_valid(s))
            << a << " " << b << " " << c;
      }
    }
  }
  std::mt19937 rng(3);
  for (int i = 0; i < 200000; ++i) {
    s = {static_cast<char>(0xF0 + rng() % 8), static_cast<char>(0x80 + rng() % 64),
         static_cast<char>(0x80 + rng() % 64), static_cast<char>(rng() % 256)};
    ASSERT_EQ(find_invalid_utf8(s) == std::string_view::npos, reference_valid(s)) << i;
  }
}

TEST(Utf8, ValidUtf8ReplacesMaximalSubparts) {
  // The Unicode Standard, section 3.9, "U+FFFD Substitution of Maximal Subparts" example:
  // 61 F1 80 80 E1 80 C2 62 80 63 80 BF 64 -> a FFFD FFFD FFFD b FFFD c FFFD FFFD d.
  const std::string r = "\xEF\xBF\xBD";
  EXPECT_EQ(valid_utf8("\x61\xF1\x80\x80\xE1\x80\xC2\x62\x80\x63\x80\xBF\x64"),
            "a" + r + r + r + "b" + r + "c" + r + r + "d");
  const std::string good = "plain \xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80";
  EXPECT_EQ(valid_utf8(good), good);
  EXPECT_EQ(valid_utf8("ab\xE2\x82"), "ab" + r);  // a character cut at the end
  std::mt19937 rng(5);
  for (int i = 0; i < 2000; ++i) {
    std::string s;
    for (int k = 0; k < 12; ++k) s += static_cast<char>(rng() % 256);
    const std::string v = valid_utf8(s);
    EXPECT_TRUE(reference_valid(v));
    EXPECT_NO_THROW(json(v).dump());
  }
}

TEST(ErrorJson, Shape) {
  const json e = error_json(ApiError(400, "invalid_request_error", "", "", "bad \xFF"));
  expect_shape(
      e, {{"error",
           {{"message", "string"}, {"type", "string"}, {"param", "null"}, {"code", "null"}}}});
  EXPECT_NO_THROW(e.dump());
  const json f =
      error_json(ApiError(404, "invalid_request_error", "model_not_found", "model", "m"));
  EXPECT_EQ(f["error"]["code"], "model_not_found");
  EXPECT_EQ(f["error"]["param"], "model");
  EXPECT_EQ(f["error"]["message"], "m");
}

TEST(ApiErrorFrom, MapsEveryCode) {
  struct Case {
    ErrorCode code;
    std::string message;
    int status;
    std::string type, api_code;
  };
  const std::vector<Case> cases = {
      {ErrorCode::kInvalidArgument, "bad", 400, "invalid_request_error", ""},
      {ErrorCode::kOutOfRange, "the prompt does not fit the context", 400, "invalid_request_error",
       "context_length_exceeded"},
      {ErrorCode::kOutOfRange, "index 5 past the end", 400, "invalid_request_error", ""},
      {ErrorCode::kUnsupported, "no", 400, "invalid_request_error", "unsupported"},
      {ErrorCode::kNotFound, "missing", 404, "invalid_request_error", "not_found"},
      {ErrorCode::kCancelled, "time limit", 408, "timeout_error", "timeout"},
      {ErrorCode::kCorruptData, "x", 500, "server_error", ""},
      {ErrorCode::kIo, "x", 500, "server_error", ""},
      {ErrorCode::kInternal, "x", 500, "server_error", ""},
  };
  for (const Case& c : cases) {
    const ApiError e = api_error_from(Error(c.code, c.message));
    EXPECT_EQ(e.status, c.status) << c.message;
    EXPECT_EQ(e.type, c.type) << c.message;
    EXPECT_EQ(e.code, c.api_code) << c.message;
    EXPECT_EQ(e.message, c.message);
  }
  EXPECT_EQ(api_error_from(static_cast<const std::exception&>(std::bad_alloc())).status, 503);
  EXPECT_EQ(api_error_from(std::runtime_error("boom")).status, 500);
  const std::exception& wrapped = Error(ErrorCode::kNotFound, "m");
  EXPECT_EQ(api_error_from(wrapped).status, 404);
}

TEST(ContextLengthError, SaysTheNumbers) {
  const ApiError e = context_length_error(4096, 4000, 200, true);
  EXPECT_EQ(e.status, 400);
  EXPECT_EQ(e.code, "context_length_exceeded");
  EXPECT_EQ(e.param, "messages");
  EXPECT_NE(e.message.find("maximum context length is 4096 tokens"), std::string::npos);
  EXPECT_NE(
      e.message.find("you requested 4200 tokens (4000 in the messages, 200 in the completion)"),
      std::string::npos);
  EXPECT_EQ(context_length_error(8, 9, 1, false).param, "prompt");
}

TEST(ModelsJson, Shape) {
  const json j = models_json({"tiny", "embed"}, 1700000000);
  expect_shape(j, {{"object", "string"},
                   {"data", json::array({{{"id", "string"},
                                          {"object", "string"},
                                          {"created", "integer"},
                                          {"owned_by", "string"}}})}});
  EXPECT_EQ(j["object"], "list");
  ASSERT_EQ(j["data"].size(), 2u);
  EXPECT_EQ(j["data"][1]["id"], "embed");
  EXPECT_EQ(j["data"][0]["object"], "model");
  EXPECT_EQ(j["data"][0]["created"], 1700000000);
}

ChoiceResult tool_choice_result() {
  ChoiceResult c;
  c.index = 1;
  c.message = chain::assistant_message(
      "", {{"call_0", "get_weather", json::parse(R"({"city": "Paris", "n": [1, 2]})")}});
  c.finish_reason = "tool_calls";
  return c;
}

TEST(ChatCompletionJson, ShapeAndValues) {
  ChoiceResult text;
  text.message = chain::assistant_message("Hello \xE2\x82");  // cut character
  text.finish_reason = "length";
  text.logprobs = {{"Hel", -0.5f, {{"Hel", -0.5f}, {"H", -1.25f}}},
                   {"lo \xE2\x82", -std::numeric_limits<float>::infinity(), {}}};
  const std::vector<SourceRef> sources = {{"d1#0", "docs/a.md", "A", "text", 0.75}};
  const json j = chat_completion_json("chatcmpl-1", "tiny", 17, {text, tool_choice_result()},
                                      Usage{10, 5, 4}, &sources);
  const json choice_shape = {{"index", "integer"},
                             {"finish_reason", "string"},
                             {"logprobs", "object|null"},
                             {"message",
                              {{"role", "string"},
                               {"content", "string|null"},
                               {"refusal", "null"},
                               {"tool_calls", "?array"}}}};
  expect_shape(j, {{"id", "string"},
                   {"object", "string"},
                   {"created", "integer"},
                   {"model", "string"},
                   {"system_fingerprint", "string"},
                   {"choices", json::array({choice_shape})},
                   {"usage", kUsageShape}});
  EXPECT_EQ(j["object"], "chat.completion");
  EXPECT_EQ(j["id"], "chatcmpl-1");
  EXPECT_EQ(j["created"], 17);
  EXPECT_EQ(j["usage"]["total_tokens"], 15);
  EXPECT_EQ(j["usage"]["prompt_tokens_details"]["cached_tokens"], 4);
  EXPECT_EQ(j["sources"][0]["source"], "docs/a.md");
  EXPECT_DOUBLE_EQ(j["sources"][0]["score"].get<double>(), 0.75);
  const json& c0 = j["choices"][0];
  EXPECT_EQ(c0["message"]["role"], "assistant");
  EXPECT_EQ(c0["message"]["content"], "Hello \xEF\xBF\xBD");
  EXPECT_FALSE(c0["message"].contains("tool_calls"));
  EXPECT_EQ(c0["finish_reason"], "length");
  expect_shape(c0["logprobs"], {{"content", json::array({kChatLogprobShape})}});
  const json& lp = c0["logprobs"]["content"];
  ASSERT_EQ(lp.size(), 2u);
  EXPECT_EQ(lp[0]["token"], "Hel");
  EXPECT_DOUBLE_EQ(lp[0]["logprob"].get<double>(), -0.5);
  EXPECT_EQ(lp[0]["top_logprobs"][1]["token"], "H");
  EXPECT_DOUBLE_EQ(lp[0]["top_logprobs"][1]["logprob"].get<double>(), -1.25);
  EXPECT_EQ(lp[1]["bytes"], json::array({108, 111, 32, 0xE2, 0x82}));  // exact bytes
  EXPECT_DOUBLE_EQ(lp[1]["logprob"].get<double>(), -9999.0);
  const json& c1 = j["choices"][1];
  EXPECT_EQ(c1["index"], 1);
  EXPECT_TRUE(c1["message"]["content"].is_null());
  EXPECT_TRUE(c1["logprobs"].is_null());
  EXPECT_EQ(c1["finish_reason"], "tool_calls");
  expect_shape(c1["message"]["tool_calls"], json::array({kToolCallShape}));
  const json& call = c1["message"]["tool_calls"][0];
  EXPECT_EQ(call["id"], "call_0");
  EXPECT_EQ(call["type"], "function");
  EXPECT_EQ(call["function"]["name"], "get_weather");
  EXPECT_EQ(json::parse(call["function"]["arguments"].get<std::string>()),
            json::parse(R"({"city": "Paris", "n": [1, 2]})"));
  EXPECT_NO_THROW(j.dump());
  EXPECT_FALSE(chat_completion_json("x", "m", 0, {text}, {}, nullptr).contains("sources"));
}

TEST(CompletionJson, LegacyLogprobsPointIntoTheText) {
  ChoiceResult c;
  c.text = "Prompt: one two\xC3";  // an echoed prompt, then the tokens
  c.finish_reason = "stop";
  c.logprobs = {{" one", -1.0f, {{" one", -1.0f}, {" un", -2.0f}}},
                {" two", -0.25f, {{" two", -0.25f}}},
                {"\xC3", -3.0f, {{"\xC3", -3.0f}, {"\xC4", -4.0f}}}};
  const json j = completion_json("cmpl-1", "tiny", 5, {c}, Usage{3, 3, 0}, nullptr);
  expect_shape(j, {{"id", "string"},
                   {"object", "string"},
                   {"created", "integer"},
                   {"model", "string"},
                   {"system_fingerprint", "string"},
                   {"choices", json::array({{{"index", "integer"},
                                             {"text", "string"},
                                             {"finish_reason", "string|null"},
                                             {"logprobs",
                                              {{"tokens", json::array({"string"})},
                                               {"token_logprobs", json::array({"number"})},
                                               {"top_logprobs", json::array({"object"})},
                                               {"text_offset", json::array({"integer"})}}}}})},
                   {"usage", kUsageShape}});
  EXPECT_EQ(j["object"], "text_completion");
  const json& lp = j["choices"][0]["logprobs"];
  ASSERT_EQ(lp["text_offset"].size(), 3u);
  for (size_t i = 0; i < 3; ++i) {
    const size_t at = lp["text_offset"][i].get<size_t>();
    EXPECT_EQ(c.text.substr(at, c.logprobs[i].token.size()), c.logprobs[i].token) << i;
  }
  EXPECT_DOUBLE_EQ(lp["top_logprobs"][0][" un"].get<double>(), -2.0);
  EXPECT_EQ(lp["top_logprobs"][2].size(), 1u);  // both ill-formed bytes became U+FFFD
  EXPECT_NO_THROW(j.dump());
}

TEST(ChatChunkJson, Shapes) {
  const json chunk_shape = {{"id", "string"},
                            {"object", "string"},
                            {"created", "integer"},
                            {"model", "string"},
                            {"system_fingerprint", "string"},
                            {"choices", json::array({{{"index", "integer"},
                                                      {"delta", "object"},
                                                      {"logprobs", "object|null"},
                                                      {"finish_reason", "string|null"}}})}};
  const json first = chat_chunk_json("c", "m", 1, 0, "assistant", "", nullptr, "", nullptr);
  expect_shape(first, chunk_shape);
  EXPECT_EQ(first["object"], "chat.completion.chunk");
  EXPECT_EQ(first["choices"][0]["delta"], json::parse(R"({"role": "assistant", "content": ""})"));
  EXPECT_TRUE(first["choices"][0]["finish_reason"].is_null());
  const std::vector<TokenLogprob> lps = {{"Hi\xF0\x9F", -0.1f, {}}};
  const json content =
      chat_chunk_json("c", "m", 1, 2, std::nullopt, "Hi\xF0\x9F", nullptr, "", &lps);
  expect_shape(content, chunk_shape);
  EXPECT_EQ(content["choices"][0]["index"], 2);
  EXPECT_EQ(content["choices"][0]["delta"], json::parse(R"({"content": "Hi\ufffd"})"));
  EXPECT_EQ(content["choices"][0]["logprobs"]["content"][0]["bytes"].size(), 4u);
  const std::vector<chain::ToolCall> calls = {{"call_0", "f", json::parse(R"({"a": 1})")},
                                              {"call_1", "g", json::object()}};
  const json tools = chat_chunk_json("c", "m", 1, 0, std::nullopt, "", &calls, "", nullptr);
  const json& delta = tools["choices"][0]["delta"];
  EXPECT_FALSE(delta.contains("content"));
  expect_shape(delta["tool_calls"],
               json::array({{{"index", "integer"},
                             {"id", "string"},
                             {"type", "string"},
                             {"function", {{"name", "string"}, {"arguments", "string"}}}}}));
  EXPECT_EQ(delta["tool_calls"][1]["index"], 1);
  EXPECT_EQ(delta["tool_calls"][1]["function"]["arguments"], "{}");
  EXPECT_EQ(json::parse(delta["tool_calls"][0]["function"]["arguments"].get<std::string>()),
            json::parse(R"({"a": 1})"));
  const json last = chat_chunk_json("c", "m", 1, 0, std::nullopt, "", nullptr, "stop", nullptr);
  EXPECT_EQ(last["choices"][0]["delta"], json::object());
  EXPECT_EQ(last["choices"][0]["finish_reason"], "stop");
}

TEST(CompletionChunkJson, ShapeAndOffsets) {
  const std::vector<TokenLogprob> lps = {{"ab", -1.0f, {}}, {"c", -2.0f, {}}};
  const json j = completion_chunk_json("x", "m", 3, 1, "abc", "", &lps, 10);
  EXPECT_EQ(j["object"], "text_completion");
  const json& c = j["choices"][0];
  EXPECT_EQ(c["index"], 1);
  EXPECT_EQ(c["text"], "abc");
  EXPECT_TRUE(c["finish_reason"].is_null());
  EXPECT_EQ(c["logprobs"]["text_offset"], json::array({10, 12}));
  const json end = completion_chunk_json("x", "m", 3, 0, "", "length", nullptr);
  EXPECT_EQ(end["choices"][0]["finish_reason"], "length");
  EXPECT_TRUE(end["choices"][0]["logprobs"].is_null());
}

TEST(UsageChunkJson, EmptyChoices) {
  for (const bool chat : {true, false}) {
    const json j = usage_chunk_json("x", "m", 3, chat, Usage{7, 2, 0});
    EXPECT_EQ(j["object"], chat ? "chat.completion.chunk" : "text_completion");
    EXPECT_EQ(j["choices"], json::array());
    expect_shape(j["usage"], kUsageShape);
    EXPECT_EQ(j["usage"]["total_tokens"], 9);
  }
}

TEST(SseData, OneEventPerJson) {
  const json j = {{"a", "line\nbreak"}, {"b", 1}};
  const std::string event = sse_data(j);
  ASSERT_EQ(event.rfind("data: ", 0), 0u);
  ASSERT_GE(event.size(), 8u);
  EXPECT_EQ(event.substr(event.size() - 2), "\n\n");
  const std::string payload = event.substr(6, event.size() - 8);
  EXPECT_EQ(payload.find('\n'), std::string::npos);  // one data line
  EXPECT_EQ(json::parse(payload), j);
  // Invalid UTF-8 put in by hand is replaced, never thrown.
  json bad;
  bad["t"] = std::string("x\xFF");
  EXPECT_NO_THROW(sse_data(bad));
  EXPECT_EQ(json::parse(sse_data(bad).substr(6))["t"], "x\xEF\xBF\xBD");
  EXPECT_STREQ(kSseDone, "data: [DONE]\n\n");
}

TEST(Base64, Rfc4648Vectors) {
  EXPECT_EQ(base64_encode(""), "");
  EXPECT_EQ(base64_encode("f"), "Zg==");
  EXPECT_EQ(base64_encode("fo"), "Zm8=");
  EXPECT_EQ(base64_encode("foo"), "Zm9v");
  EXPECT_EQ(base64_encode("foob"), "Zm9vYg==");
  EXPECT_EQ(base64_encode("fooba"), "Zm9vYmE=");
  EXPECT_EQ(base64_encode("foobar"), "Zm9vYmFy");
}

TEST(EmbeddingsJson, FloatAndBase64) {
  const std::vector<std::vector<float>> vectors = {{0.5f, -1.25f, 3.0e-8f}, {1.0f, 0.0f, -0.0f}};
  const json shape = {
      {"object", "string"},
      {"model", "string"},
      {"data",
       json::array({{{"object", "string"}, {"index", "integer"}, {"embedding", "array|string"}}})},
      {"usage", {{"prompt_tokens", "integer"}, {"total_tokens", "integer"}}}};
  const json f = embeddings_json("emb", vectors, false, 6);
  expect_shape(f, shape);
  EXPECT_EQ(f["object"], "list");
  EXPECT_EQ(f["data"][1]["object"], "embedding");
  EXPECT_EQ(f["data"][1]["index"], 1);
  EXPECT_EQ(f["usage"]["total_tokens"], 6);
  for (size_t i = 0; i < 2; ++i) {
    ASSERT_EQ(f["data"][i]["embedding"].size(), 3u);
    for (size_t k = 0; k < 3; ++k) {
      EXPECT_EQ(f["data"][i]["embedding"][k].get<float>(), vectors[i][k]);
    }
  }
  // The float values survive a dump/parse round trip.
  EXPECT_EQ(json::parse(f.dump())["data"][0]["embedding"][2].get<float>(), 3.0e-8f);
  const json b = embeddings_json("emb", vectors, true, 6);
  expect_shape(b, shape);
  for (size_t i = 0; i < 2; ++i) {
    const std::string bytes = base64_decode(b["data"][i]["embedding"].get<std::string>());
    ASSERT_EQ(bytes.size(), 12u);
    for (size_t k = 0; k < 3; ++k) {
      // Little-endian float32, assembled by hand from the bytes.
      uint32_t bits = 0;
      for (int byte = 3; byte >= 0; --byte) {
        bits = bits << 8 | static_cast<uint8_t>(bytes[k * 4 + byte]);
      }
      float x;
      std::memcpy(&x, &bits, 4);
      EXPECT_EQ(x, vectors[i][k]);
      EXPECT_EQ(std::signbit(x), std::signbit(vectors[i][k]));
    }
  }
}

}  // namespace
}  // namespace llmkit::server
