// Typed readers for request JSON fields, shared by the request parsers (openai_request.cpp,
// openai_chat_request.cpp). Each throws ApiError naming the field path `param`:
//   400 "Invalid type for 'p': expected <kind>, but got <kind>."
//   400 "Invalid value for 'p': ..."
//   400 "Missing required parameter: 'p'."
//   413 "request_too_large" for a string over limits.max_string_bytes.
#pragma once

#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

#include "llmkit/server/api_types.h"

namespace llmkit::server::fields {

using nlohmann::json;

[[noreturn]] void invalid(const std::string& param, const std::string& message,
                          const std::string& code = "");
[[noreturn]] void too_large(const std::string& param, const std::string& message);
// 400 "unsupported_parameter": a documented field this server cannot honour.
[[noreturn]] void unsupported(const std::string& param, const std::string& message);
[[noreturn]] void wrong_type(const std::string& param, const std::string& expected, const json& v);
[[noreturn]] void missing(const std::string& param);

// "a string", "an integer", "a number", "a boolean", "an array", "an object", "null".
std::string kind_of(const json& v);
// "messages" + 2 -> "messages[2]"; "tools[0]" + "function" -> "tools[0].function".
inline std::string at(const std::string& param, size_t i) {
  return param + "[" + std::to_string(i) + "]";
}
inline std::string dot(const std::string& param, const std::string& key) {
  return param.empty() ? key : param + "." + key;
}

// obj[key], or nullptr when absent or null.
const json* get(const json& obj, const std::string& key);
// obj[key]; missing(param) when absent or null.
const json& require(const json& obj, const std::string& key, const std::string& param);

// 413 when bytes > limits.max_string_bytes.
void check_size(size_t bytes, const std::string& param, const RequestLimits& limits);
std::string string_value(const json& v, const std::string& param, const RequestLimits& limits);
bool bool_value(const json& v, const std::string& param);
// An integer (a JSON number with no fractional part) in [lo, hi].
int64_t int_value(const json& v, const std::string& param, int64_t lo, int64_t hi);
// A finite number in [lo, hi] ((lo, hi] when lo_open).
double number_value(const json& v, const std::string& param, double lo, double hi,
                    bool lo_open = false);
// A JSON object (type check only).
const json& object_value(const json& v, const std::string& param);
const json& array_value(const json& v, const std::string& param);

// s cut to at most 40 bytes (on a character boundary, "..." appended when cut), for messages.
std::string excerpt(const std::string& s);

// Matches ^[a-zA-Z0-9_-]{1,64}$ (OpenAI's rule for function and schema names).
bool valid_name(const std::string& name);

}  // namespace llmkit::server::fields

namespace llmkit::server::detail {

// The fields /v1/chat/completions and /v1/completions share (model, sampling, stop, n, stream,
// stream_options, max_tokens, seed, ignore_eos, user, logit_bias, response_format), into out.
void read_generation_fields(const nlohmann::json& body, const RequestLimits& limits,
                            GenerationRequest& out);

// 400 "invalid_schema" at param unless schema compiles to a grammar (json_schema_to_gbnf, then
// infer::Grammar::parse); what_for names it in the message ("response_format", "function 'f'").
void check_schema_compiles(const nlohmann::json& schema, const std::string& param,
                           const std::string& what_for);

}  // namespace llmkit::server::detail
