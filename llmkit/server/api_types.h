// The OpenAI API as the server sees it: validated requests, the generation results the engine
// returns, and the error a request is answered with. Plain structs; parsing lives in
// openai_request.h, JSON building in openai_response.h.
#pragma once
#include <cstdint>
#include <exception>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "llmkit/chain/message.h"

namespace llmkit::server {

// An error answered as {"error": {"message", "type", "param", "code"}} with HTTP `status`.
// type: "invalid_request_error" (400, 404, 413), "authentication_error" (401),
// "rate_limit_error" (429), "server_error" (500, 503), "timeout_error" (408).
struct ApiError : std::exception {
  int status = 400;
  std::string type = "invalid_request_error";
  std::string code;  // e.g. "invalid_json", "model_not_found", "context_length_exceeded"; "" = null
  std::string param;  // the offending field ("messages[1].content"); "" = null
  std::string message;
  ApiError(int status_, std::string type_, std::string code_, std::string param_,
           std::string message_)
      : status(status_),
        type(std::move(type_)),
        code(std::move(code_)),
        param(std::move(param_)),
        message(std::move(message_)) {}
  const char* what() const noexcept override { return message.c_str(); }
};

// Limits every request is checked against (413 / 400 beyond them).
struct RequestLimits {
  int64_t max_body_bytes = 4 << 20;  // checked by the HTTP layer before parsing
  int64_t max_messages = 512;
  int64_t max_string_bytes = 1 << 20;  // any single string field (content, prompt, stop, ...)
  int64_t max_stop = 4;                // OpenAI allows up to 4 stop sequences
  int64_t max_n = 8;
  int64_t max_tools = 64;
  int64_t max_top_logprobs = 20;
  int64_t max_embedding_inputs = 256;
};

enum class ToolChoice { kAuto, kNone, kRequired, kFunction };

// A validated /v1/chat/completions or /v1/completions request.
struct GenerationRequest {
  bool chat = true;
  std::string model;                  // as given ("" when absent: the served model)
  chain::Messages messages;           // chat: at least one
  std::string prompt;                 // completions: one string (or an array of exactly one)
  std::optional<int64_t> max_tokens;  // max_tokens or max_completion_tokens; >= 1
  float temperature = 1.0f;           // [0, 2]
  float top_p = 1.0f;                 // (0, 1]
  int32_t top_k = 0;                  // extension (llama.cpp), >= 0; 0: off
  float min_p = 0.0f;                 // extension, [0, 1]
  float frequency_penalty = 0.0f;     // [-2, 2]
  float presence_penalty = 0.0f;      // [-2, 2]
  std::optional<uint64_t> seed;
  std::vector<std::string> stop;  // "stop": string or array; each non-empty
  int64_t n = 1;                  // [1, max_n]
  bool stream = false;
  bool include_usage = false;  // stream_options.include_usage
  // chat: "logprobs": true + "top_logprobs": k; completions: "logprobs": k (0..max) => true, k.
  bool logprobs = false;
  int64_t top_logprobs = 0;
  bool echo = false;        // completions only: prompt text first in each choice
  bool ignore_eos = false;  // extension (llama.cpp): generate through end-of-generation tokens
  // response_format {"type": "json_schema", "json_schema": {"schema": S}} -> S;
  // {"type": "json_object"} -> {"type": "object"}; {"type": "text"} -> none.
  std::optional<nlohmann::json> json_schema;
  std::vector<chain::ToolSpec> tools;          // chat only; "function" tools
  ToolChoice tool_choice = ToolChoice::kAuto;  // "none" | "auto" | "required" | {"function"}
  std::string tool_choice_name;                // kFunction: the forced function
  bool parallel_tool_calls = true;
  // Extension: "rag": true | {"top_k": k} retrieves from the server's --rag-db and answers with
  // the sources (chat only).
  bool rag = false;
  int64_t rag_top_k = 4;
  std::string user;  // ignored, accepted
};

// A validated /v1/embeddings request.
struct EmbeddingRequest {
  std::string model;
  std::vector<std::string> input;  // "input": string or array of strings (non-empty each)
  bool base64 = false;             // encoding_format "base64" (little-endian f32), else "float"
  std::optional<int64_t> dimensions;
};

// One sampled token with its log-probability (natural log, of the distribution sampled from
// before the grammar mask) and the most likely alternatives.
struct TokenLogprob {
  std::string token;  // its text (bytes may be an incomplete UTF-8 character)
  float logprob = 0.0f;
  std::vector<std::pair<std::string, float>> top;  // up to top_logprobs, most likely first
};

// One choice of a finished generation.
struct ChoiceResult {
  int64_t index = 0;
  std::string text;                     // the generated text (without a stop string / EOS)
  chain::Messages::value_type message;  // chat: role "assistant", content, tool_calls
  std::string finish_reason;            // "stop", "length", "tool_calls", "content_filter"
  std::vector<TokenLogprob> logprobs;   // when asked for
};

struct Usage {
  int64_t prompt_tokens = 0;
  int64_t completion_tokens = 0;
  int64_t cached_tokens = 0;  // prompt tokens whose KV was reused (prompt_tokens_details)
};

// A retrieved source (RAG extension), answered as "sources": [{id, source, title, text, score}].
struct SourceRef {
  std::string id, source, title, text;
  double score = 0.0;
};

}  // namespace llmkit::server
