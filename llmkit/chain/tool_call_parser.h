// Tool calls written as text by a model, in the common formats, parsed into ToolCall values.
//
// Recognised (the text may carry any of them; `content` is what is left once the calls are
// taken out, trimmed):
//   - Qwen / Hermes: <tool_call>{"name": N, "arguments": {...}}</tool_call>, any number of them
//     anywhere in the text (a missing closing tag at the very end is accepted);
//   - Llama 3.1 JSON: the whole text (after an optional <|python_tag|>) is
//     {"name": N, "parameters": {...}} (optionally "type": "function"), or several such objects
//     separated by ';' or newlines;
//   - a bare JSON object {"name": N, "arguments": {...}} (or a JSON array of them) as the whole
//     text, optionally in a ```json fence.
// Arguments given as a JSON-encoded string are decoded; when that string is not valid JSON it is
// kept as a JSON string value (so a caller validating arguments sees the bad text). Calls without
// an "id" get "call_<k>" (k counting from 0 within the text).
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "llmkit/chain/message.h"

namespace llmkit::chain {

struct ParsedToolCalls {
  std::string content;          // the text without the calls
  std::vector<ToolCall> calls;  // in text order
};

ParsedToolCalls parse_tool_calls(const std::string& text);

// One call from a JSON object with "name" and "arguments" or "parameters" (and optionally "id");
// false when the object does not have that shape.
bool tool_call_from_json(const nlohmann::json& object, ToolCall& call);

// For streaming text that may end in tool calls: the part of the text generated so far that is
// certainly content, i.e. always a prefix of parse_tool_calls(any continuation).content, and
// growing as the text grows. Empty once the text (after leading whitespace) starts like a JSON
// call ('{', '[', '`', "<|"); else from the first non-space character up to the first
// "<tool_call>" (or a prefix of it at the end), without trailing whitespace.
std::string streamable_content(const std::string& text);

// A tool call as Qwen / Hermes templates write it:
// <tool_call>\n{"name":..,"arguments":..}\n</tool_call>
std::string format_tool_call_text(const ToolCall& call);

}  // namespace llmkit::chain
