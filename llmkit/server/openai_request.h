// OpenAI request bodies -> validated requests (api_types.h). Every problem throws ApiError with
// the HTTP status, code and `param` (the field path, e.g. "messages[2].content",
// "tools[0].function.parameters") that OpenAI would answer with.
//
// Conventions:
//   - unknown top-level fields are ignored (SDKs send extras); a known field with the wrong type
//     or value is a 400 naming it; a JSON null counts as an absent field (OpenAI documents most
//     fields as "or null");
//   - integer fields accept JSON numbers with no fractional part (3 and 3.0);
//   - volume limits of this server (RequestLimits: max_string_bytes for any string, max_messages,
//     max_embedding_inputs) -> 413 "request_too_large"; OpenAI's documented value ranges (n,
//     stop count, top_logprobs, tool count) -> 400;
//   - documented fields this server cannot honour -> 400 "unsupported_parameter" when they ask
//     for something (non-empty logit_bias, audio output, functions / function_call, suffix,
//     best_of > 1, web_search_options); harmless ones (store, metadata, service_tier,
//     reasoning_effort, prediction, user, ...) are type-checked and ignored.
#pragma once

#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "llmkit/server/api_types.h"

namespace llmkit::server {

// Nesting depth allowed in a request body (arrays and objects); deeper -> 400 "invalid_json"
// (keeps recursive walks of the document, dump() included, off the stack limit).
inline constexpr int kMaxJsonDepth = 128;

// The body as JSON. 400 "invalid_json" (param null) for: ill-formed UTF-8 anywhere in the body,
// malformed JSON (lone surrogate escapes included), nesting deeper than kMaxJsonDepth, or a top
// level that is not an object; the message names the problem and its byte offset.
nlohmann::json parse_json_body(std::string_view body);

// POST /v1/chat/completions. Messages: roles system / developer (-> "system") / user / assistant
// / tool; "content" a string, an array of {"type": "text", "text"} parts (concatenated; assistant
// "refusal" parts are skipped) or, for an assistant message, null / absent. Assistant
// "tool_calls" [{"id", "type": "function", "function": {"name", "arguments": JSON text}}] ->
// chain::ToolCall with the arguments parsed (must be a JSON object). A tool message needs
// "tool_call_id" naming a call of an earlier assistant message; its ChatMessage::name is that
// call's function name. max_completion_tokens wins over max_tokens when both are given. With a
// forced tool call (tool_choice "required" or a named function) the tools' parameter schemas
// must compile to a grammar (400 param "tools" otherwise); response_format's schema likewise.
GenerationRequest parse_chat_request(const nlohmann::json& body, const RequestLimits& limits);

// POST /v1/completions. "prompt": a string or an array of exactly one string.
// "logprobs": k in [0, limits.max_top_logprobs] -> logprobs = true, top_logprobs = k.
GenerationRequest parse_completion_request(const nlohmann::json& body, const RequestLimits& limits);

// POST /v1/embeddings. "input": a non-empty string or a non-empty array of non-empty strings;
// token-id inputs -> 400. "encoding_format": "float" | "base64"; "dimensions" >= 1.
EmbeddingRequest parse_embedding_request(const nlohmann::json& body, const RequestLimits& limits);

// The parameters of a tool that declares none: {"type": "object", "properties": {},
// "additionalProperties": false} (no arguments: a forced call writes "arguments": {}).
nlohmann::json default_tool_parameters();

// The JSON schema a forced tool call is generated under (choice kRequired or kFunction):
//   call(t) = {"type": "object", "properties": {"name": {"const": t.name}, "arguments":
//              t.parameters (default_tool_parameters() when null)},
//              "required": ["name", "arguments"], "additionalProperties": false}
//   kFunction: call(the tool called `name`) (Error kInvalidArgument when there is none);
//   kRequired: call(t) for the one tool, else {"anyOf": [call(t) for each tool]};
//              with parallel: {"type": "array", "items": <that>, "minItems": 1, "maxItems":
//              kMaxParallelToolCalls} (a JSON array of calls; chain::parse_tool_calls reads both).
// Note nlohmann::json sorts keys, so the grammar writes "arguments" before "name".
inline constexpr int kMaxParallelToolCalls = 4;
nlohmann::json tool_call_schema(const std::vector<chain::ToolSpec>& tools, ToolChoice choice,
                                const std::string& name, bool parallel);

}  // namespace llmkit::server
