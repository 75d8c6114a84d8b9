// OpenAI JSON answers: error objects, model lists, chat.completion / text_completion objects,
// their streamed chunks (server-sent events), embeddings lists.
//
// Text hygiene: generated text may hold invalid UTF-8 (a token can end inside a character), and
// nlohmann::json::dump() throws on invalid UTF-8 in strings. Every string these builders put into
// JSON passes through valid_utf8() first, so dump() with default arguments never throws on their
// output. Token bytes are kept exact only in the numeric "bytes" arrays of chat logprobs.
// Non-finite log-probabilities (a token the sampler could not pick) are written as -9999.0, as
// OpenAI does, since JSON has no -Infinity.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "llmkit/base/error.h"
#include "llmkit/chain/message.h"
#include "llmkit/server/api_types.h"

namespace llmkit::server {

// The "system_fingerprint" of every completion object and chunk.
inline constexpr const char* kSystemFingerprint = "fp_llmkit";

// text with every maximal ill-formed UTF-8 subsequence (Unicode 15, section 3.9, "U+FFFD
// substitution of maximal subparts") replaced by U+FFFD; valid text is returned unchanged.
// Surrogate code points (ED A0..BF xx) and overlong forms are ill-formed.
std::string valid_utf8(std::string_view text);
// The byte offset of the first ill-formed byte of text, or std::string_view::npos when text is
// well-formed UTF-8 (a character cut off at the end is ill-formed).
size_t find_invalid_utf8(std::string_view text);

// {"error": {"message", "type", "param", "code"}}; param / code are null when "".
nlohmann::json error_json(const ApiError& e);

// llmkit::Error -> the answer for it. Mapping (status, type, code):
//   kInvalidArgument -> 400 invalid_request_error, code null;
//   kOutOfRange      -> 400 invalid_request_error, code "context_length_exceeded" when the message
//                       mentions "context", else null (prefer context_length_error() when the
//                       caller knows the numbers);
//   kUnsupported     -> 400 invalid_request_error, code "unsupported";
//   kNotFound        -> 404 invalid_request_error, code "not_found";
//   kCancelled       -> 408 timeout_error, code "timeout" (cancellation by a time limit; a client
//                       that disconnected gets no answer anyway);
//   kCorruptData, kIo, kInternal -> 500 server_error, code null.
// The message is e.what().
ApiError api_error_from(const llmkit::Error& e);
// Any other exception: 500 server_error (503 "server_overloaded" for std::bad_alloc).
ApiError api_error_from(const std::exception& e);

// 400 "context_length_exceeded" in OpenAI's words: "This model's maximum context length is
// <context> tokens. However, you requested <prompt + completion> tokens (<prompt> in the
// messages, <completion> in the completion). ...". param "messages" (chat) or "prompt".
ApiError context_length_error(int64_t context, int64_t prompt_tokens, int64_t completion_tokens,
                              bool chat);

// {"object": "list", "data": [{"id", "object": "model", "created", "owned_by": "llmkit"}, ...]}
nlohmann::json models_json(const std::vector<std::string>& ids, int64_t created);

// [{"id", "source", "title", "text", "score"}, ...] (the RAG extension's "sources").
nlohmann::json sources_json(const std::vector<SourceRef>& sources);

// {"prompt_tokens", "completion_tokens", "total_tokens", "prompt_tokens_details":
// {"cached_tokens"}, "completion_tokens_details": {"reasoning_tokens": 0}}
nlohmann::json usage_json(const Usage& usage);

// Chat logprobs: {"content": [{"token", "logprob", "bytes": [uint8...], "top_logprobs":
// [{"token", "logprob", "bytes"}]}], "refusal": null}.
nlohmann::json chat_logprobs_json(const std::vector<TokenLogprob>& logprobs);
// Legacy (completions) logprobs: {"tokens", "token_logprobs", "top_logprobs": [{token: logprob}],
// "text_offset"}; text_offset counts bytes, the first token starting at text_offset_base.
nlohmann::json completion_logprobs_json(const std::vector<TokenLogprob>& logprobs,
                                        int64_t text_offset_base = 0);

// A chat.completion object. Each choice is built from choice.message (role written as
// "assistant"): "content" is null when the message only calls tools; tool_calls as
// [{"id", "type": "function", "function": {"name", "arguments": JSON text}}]. "logprobs" is null
// when choice.logprobs is empty. sources (may be null) -> top-level "sources".
nlohmann::json chat_completion_json(const std::string& id, const std::string& model,
                                    int64_t created, const std::vector<ChoiceResult>& choices,
                                    const Usage& usage, const std::vector<SourceRef>* sources);

// A text_completion object built from choice.text. Legacy logprobs: text_offset starts where the
// tokens start inside choice.text (text.size() minus their total size when the text ends with
// them, e.g. after an echoed prompt; else 0).
nlohmann::json completion_json(const std::string& id, const std::string& model, int64_t created,
                               const std::vector<ChoiceResult>& choices, const Usage& usage,
                               const std::vector<SourceRef>* sources);

// One chat.completion.chunk with one choice: delta {"role"? , "content"?, "tool_calls"?}.
// "content" is written when content_delta is non-empty or role is set; tool_calls (may be null)
// as [{"index": k, "id", "type": "function", "function": {"name", "arguments": JSON text}}];
// finish_reason "" -> null; logprobs (null or empty -> null) in the chat shape.
nlohmann::json chat_chunk_json(const std::string& id, const std::string& model, int64_t created,
                               int64_t index, std::optional<std::string> role,
                               const std::string& content_delta,
                               const std::vector<chain::ToolCall>* tool_calls,
                               const std::string& finish_reason,
                               const std::vector<TokenLogprob>* logprobs);

// One text_completion chunk with one choice {"index", "text", "logprobs", "finish_reason"}.
// logprobs in the legacy shape, text_offset starting at text_offset_base (the bytes of this
// choice's text already sent).
nlohmann::json completion_chunk_json(const std::string& id, const std::string& model,
                                     int64_t created, int64_t index, const std::string& text,
                                     const std::string& finish_reason,
                                     const std::vector<TokenLogprob>* logprobs,
                                     int64_t text_offset_base = 0);

// The stream_options.include_usage chunk: "choices": [] and "usage". object
// "chat.completion.chunk" (chat) or "text_completion".
nlohmann::json usage_chunk_json(const std::string& id, const std::string& model, int64_t created,
                                bool chat, const Usage& usage);

// "data: <compact JSON>\n\n" (invalid UTF-8 that slipped in is replaced, never thrown).
std::string sse_data(const nlohmann::json& j);
// "data: [DONE]\n\n"
inline constexpr const char* kSseDone = "data: [DONE]\n\n";

// {"object": "list", "data": [{"object": "embedding", "index": i, "embedding": [f...] or
// base64 text of the little-endian float32 bytes}], "model", "usage": {"prompt_tokens",
// "total_tokens"}}
nlohmann::json embeddings_json(const std::string& model,
                               const std::vector<std::vector<float>>& vectors, bool base64,
                               int64_t prompt_tokens);

// Standard base64 (RFC 4648, with '=' padding).
std::string base64_encode(std::string_view bytes);

}  // namespace llmkit::server
