#include "llmkit/server/openai_request.h"

#include <cstdio>
#include <limits>

#include "llmkit/base/error.h"
#include "llmkit/infer/grammar.h"
#include "llmkit/infer/json_schema_grammar.h"
#include "llmkit/server/openai_response.h"
#include "llmkit/server/request_fields.h"

namespace llmkit::server {

using nlohmann::json;
using namespace fields;

namespace {

[[noreturn]] void invalid_json(const std::string& message) {
  throw ApiError(400, "invalid_request_error", "invalid_json", "", message);
}

// nlohmann's message without its "[json.exception.parse_error.101] " prefix.
std::string parse_error_detail(const json::parse_error& e) {
  std::string what = e.what();
  const size_t close = what.find("] ");
  if (close != std::string::npos) what = what.substr(close + 2);
  // "last read: '...'" quotes the token, which may be a whole long string.
  if (what.size() > 300) what = valid_utf8(std::string_view(what).substr(0, 297)) + "...";
  return what;
}

void read_stop(const json& body, const RequestLimits& limits, GenerationRequest& out) {
  const json* stop = get(body, "stop");
  if (stop == nullptr) return;
  const auto one = [&](const json& v, const std::string& param) {
    std::string s = string_value(v, param, limits);
    if (s.empty())
      invalid(param, str_cat("Invalid value for '", param, "': stop strings must not be empty."),
              "invalid_value");
    out.stop.push_back(std::move(s));
  };
  if (stop->is_string()) {
    one(*stop, "stop");
  } else if (stop->is_array()) {
    if (static_cast<int64_t>(stop->size()) > limits.max_stop) {
      invalid("stop",
              str_cat("Invalid value for 'stop': at most ", limits.max_stop,
                      " stop sequences are allowed, got ", stop->size(), "."),
              "invalid_value");
    }
    for (size_t i = 0; i < stop->size(); ++i) one((*stop)[i], at("stop", i));
  } else {
    wrong_type("stop", "a string or an array of strings", *stop);
  }
}

void read_logit_bias(const json& body) {
  const json* bias = get(body, "logit_bias");
  if (bias == nullptr) return;
  object_value(*bias, "logit_bias");
  for (const auto& [key, value] : bias->items()) {
    const std::string param = dot("logit_bias", key);
    const bool digits = !key.empty() && key.size() <= 18 &&
                        key.find_first_not_of("0123456789") == std::string::npos;
    if (!digits) {
      invalid(param,
              str_cat("Invalid key in 'logit_bias': keys are token ids (decimal "
                      "integers), got a key of ",
                      key.size(), " bytes."),
              "invalid_value");
    }
    number_value(value, param, -100, 100);
  }
  if (!bias->empty()) {
    unsupported("logit_bias",
                "'logit_bias' is not supported by this server; leave it out or "
                "send an empty object.");
  }
}

void read_response_format(const json& body, const RequestLimits& limits, GenerationRequest& out) {
  const json* rf = get(body, "response_format");
  if (rf == nullptr) return;
  object_value(*rf, "response_format");
  const std::string type =
      string_value(require(*rf, "type", "response_format.type"), "response_format.type", limits);
  std::string schema_param;
  json schema = {{"type", "object"}};
  if (type == "text") {
    return;
  } else if (type == "json_object") {
    // llama.cpp's extension: {"type": "json_object", "schema": S}.
    if (const json* s = get(*rf, "schema")) {
      schema = object_value(*s, "response_format.schema");
      schema_param = "response_format.schema";
    }
  } else if (type == "json_schema") {
    const std::string p = "response_format.json_schema";
    const json& js = object_value(require(*rf, "json_schema", p), p);
    if (const json* name = get(js, "name")) {
      if (!valid_name(string_value(*name, dot(p, "name"), limits))) {
        invalid(dot(p, "name"),
                str_cat("Invalid value for '", p, ".name': it must match ^[a-zA-Z0-9_-]{1,64}$."),
                "invalid_value");
      }
    }
    if (const json* d = get(js, "description")) string_value(*d, dot(p, "description"), limits);
    if (const json* strict = get(js, "strict")) bool_value(*strict, dot(p, "strict"));
    if (const json* s = get(js, "schema")) {
      schema = object_value(*s, dot(p, "schema"));
      schema_param = dot(p, "schema");
    }
  } else {
    invalid("response_format.type",
            "Invalid value for 'response_format.type': expected one of 'text', 'json_object', "
            "'json_schema'.",
            "invalid_value");
  }
  if (!schema_param.empty()) detail::check_schema_compiles(schema, schema_param, "response_format");
  out.json_schema = std::move(schema);
}

}  // namespace

namespace detail {

void check_schema_compiles(const json& schema, const std::string& param,
                           const std::string& what_for) {
  try {
    infer::Grammar::parse(infer::json_schema_to_gbnf(schema));
  } catch (const llmkit::Error& e) {
    invalid(param, str_cat("Invalid schema for ", what_for, ": ", e.what()), "invalid_schema");
  }
}

void read_generation_fields(const json& body, const RequestLimits& limits, GenerationRequest& out) {
  if (const json* v = get(body, "model")) out.model = string_value(*v, "model", limits);
  if (const json* v = get(body, "max_tokens")) {
    out.max_tokens = int_value(*v, "max_tokens", 1, std::numeric_limits<int64_t>::max());
  }
  if (const json* v = get(body, "temperature")) {
    out.temperature = static_cast<float>(number_value(*v, "temperature", 0, 2));
  }
  if (const json* v = get(body, "top_p")) {
    out.top_p = static_cast<float>(number_value(*v, "top_p", 0, 1, /*lo_open=*/true));
  }
  if (const json* v = get(body, "top_k")) {
    out.top_k =
        static_cast<int32_t>(int_value(*v, "top_k", 0, std::numeric_limits<int32_t>::max()));
  }
  if (const json* v = get(body, "min_p")) {
    out.min_p = static_cast<float>(number_value(*v, "min_p", 0, 1));
  }
  if (const json* v = get(body, "frequency_penalty")) {
    out.frequency_penalty = static_cast<float>(number_value(*v, "frequency_penalty", -2, 2));
  }
  if (const json* v = get(body, "presence_penalty")) {
    out.presence_penalty = static_cast<float>(number_value(*v, "presence_penalty", -2, 2));
  }
  if (const json* v = get(body, "seed")) {
    // Any 64-bit integer; a negative seed is used as its two's complement bits.
    if (v->is_number_unsigned()) {
      out.seed = v->get<uint64_t>();
    } else {
      out.seed = static_cast<uint64_t>(int_value(*v, "seed", std::numeric_limits<int64_t>::min(),
                                                 std::numeric_limits<int64_t>::max()));
    }
  }
  read_stop(body, limits, out);
  if (const json* v = get(body, "n")) out.n = int_value(*v, "n", 1, limits.max_n);
  if (const json* v = get(body, "stream")) out.stream = bool_value(*v, "stream");
  if (const json* v = get(body, "stream_options")) {
    object_value(*v, "stream_options");
    if (!out.stream) {
      invalid("stream_options",
              "The 'stream_options' parameter is only allowed when 'stream' is enabled.",
              "invalid_value");
    }
    if (const json* u = get(*v, "include_usage")) {
      out.include_usage = bool_value(*u, "stream_options.include_usage");
    }
    if (const json* o = get(*v, "include_obfuscation")) {
      bool_value(*o, "stream_options.include_obfuscation");
    }
  }
  if (const json* v = get(body, "ignore_eos")) out.ignore_eos = bool_value(*v, "ignore_eos");
  if (const json* v = get(body, "user")) out.user = string_value(*v, "user", limits);
  read_logit_bias(body);
  read_response_format(body, limits, out);
}

}  // namespace detail

json parse_json_body(std::string_view body) {
  const size_t bad = find_invalid_utf8(body);
  if (bad != std::string_view::npos) {
    char hex[8];
    std::snprintf(hex, sizeof(hex), "0x%02X",
                  static_cast<unsigned>(static_cast<uint8_t>(body[bad])));
    invalid_json(str_cat("The request body is not valid UTF-8: ill-formed byte ", hex,
                         " at byte offset ", bad, "."));
  }
  // Nesting depth, counted outside strings.
  int depth = 0;
  bool in_string = false, escaped = false;
  for (size_t i = 0; i < body.size(); ++i) {
    const char c = body[i];
    if (in_string) {
      if (escaped) {
        escaped = false;
      } else if (c == '\\') {
        escaped = true;
      } else if (c == '"') {
        in_string = false;
      }
    } else if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      if (++depth > kMaxJsonDepth) {
        invalid_json(str_cat("The request body nests arrays and objects more than ", kMaxJsonDepth,
                             " levels deep (at byte offset ", i, ")."));
      }
    } else if (c == ']' || c == '}') {
      --depth;
    }
  }
  json j;
  try {
    j = json::parse(body);
  } catch (const json::parse_error& e) {
    const size_t offset = std::min<size_t>(e.byte > 0 ? e.byte - 1 : 0, body.size());
    invalid_json(str_cat("The request body is not valid JSON (at byte offset ", offset,
                         "): ", parse_error_detail(e)));
  } catch (const json::exception& e) {  // e.g. a number beyond double's range (1e400)
    invalid_json(str_cat("The request body is not valid JSON for this server: ", e.what(),
                         "; send numbers within the range of a double."));
  }
  if (!j.is_object()) {
    invalid_json(str_cat("The request body must be a JSON object (at byte offset 0), got ",
                         kind_of(j), "."));
  }
  return j;
}

GenerationRequest parse_completion_request(const json& body, const RequestLimits& limits) {
  GenerationRequest out;
  out.chat = false;
  const json& prompt = require(body, "prompt", "prompt");
  if (prompt.is_string()) {
    out.prompt = string_value(prompt, "prompt", limits);
  } else if (prompt.is_array()) {
    if (prompt.empty()) {
      invalid("prompt", "Invalid value for 'prompt': the array is empty; send one string.",
              "invalid_value");
    }
    if (!prompt[0].is_string()) {
      invalid("prompt",
              "Invalid value for 'prompt': token-id prompts (arrays of integers) are not "
              "supported; send the prompt as a string.",
              "invalid_value");
    }
    if (prompt.size() > 1) {
      invalid("prompt",
              str_cat("Invalid value for 'prompt': ", prompt.size(),
                      " prompts in one request are not supported; send one request per prompt "
                      "(use 'n' for several completions of one prompt)."),
              "invalid_value");
    }
    out.prompt = string_value(prompt[0], "prompt[0]", limits);
  } else {
    wrong_type("prompt", "a string or an array of one string", prompt);
  }
  detail::read_generation_fields(body, limits, out);
  if (const json* v = get(body, "logprobs")) {
    out.top_logprobs = int_value(*v, "logprobs", 0, limits.max_top_logprobs);
    out.logprobs = true;
  }
  if (const json* v = get(body, "echo")) out.echo = bool_value(*v, "echo");
  if (const json* v = get(body, "suffix")) {
    if (!string_value(*v, "suffix", limits).empty()) {
      unsupported("suffix", "'suffix' (insertion) is not supported by this server.");
    }
  }
  if (const json* v = get(body, "best_of")) {
    const int64_t best_of = int_value(*v, "best_of", 1, std::numeric_limits<int64_t>::max());
    if (best_of < out.n) {
      invalid("best_of", "Invalid value for 'best_of': it must be at least 'n'.", "invalid_value");
    }
    if (best_of > out.n) {
      unsupported("best_of",
                  "'best_of' greater than 'n' is not supported by this server; ask for 'n' "
                  "completions instead.");
    }
  }
  if (const json* v = get(body, "rag"); v != nullptr && !(v->is_boolean() && !v->get<bool>())) {
    unsupported("rag", "'rag' is supported by /v1/chat/completions only.");
  }
  return out;
}

EmbeddingRequest parse_embedding_request(const json& body, const RequestLimits& limits) {
  EmbeddingRequest out;
  if (const json* v = get(body, "model")) out.model = string_value(*v, "model", limits);
  const json& input = require(body, "input", "input");
  const auto one = [&](const json& v, const std::string& param) {
    if (v.is_number_integer() || v.is_array()) {
      invalid(param,
              str_cat("Invalid value for '", param,
                      "': token-id inputs are not supported; send text strings."),
              "invalid_value");
    }
    std::string s = string_value(v, param, limits);
    if (s.empty()) {
      invalid(param, str_cat("Invalid value for '", param, "': the input must not be empty."),
              "invalid_value");
    }
    out.input.push_back(std::move(s));
  };
  if (input.is_array()) {
    if (input.empty()) {
      invalid("input", "Invalid value for 'input': the array must not be empty.", "invalid_value");
    }
    if (static_cast<int64_t>(input.size()) > limits.max_embedding_inputs) {
      too_large("input",
                str_cat("'input' has ", input.size(), " items; this server embeds at most ",
                        limits.max_embedding_inputs, " per request."));
    }
    if (input[0].is_number_integer()) one(input[0], "input");  // a flat token-id array
    for (size_t i = 0; i < input.size(); ++i) one(input[i], at("input", i));
  } else if (input.is_string()) {
    one(input, "input");
  } else {
    wrong_type("input", "a string or an array of strings", input);
  }
  if (const json* v = get(body, "encoding_format")) {
    const std::string f = string_value(*v, "encoding_format", limits);
    if (f != "float" && f != "base64") {
      invalid("encoding_format",
              "Invalid value for 'encoding_format': expected 'float' or 'base64'.",
              "invalid_value");
    }
    out.base64 = f == "base64";
  }
  if (const json* v = get(body, "dimensions")) {
    out.dimensions = int_value(*v, "dimensions", 1, std::numeric_limits<int32_t>::max());
  }
  if (const json* v = get(body, "user")) string_value(*v, "user", limits);
  return out;
}

}  // namespace llmkit::server
