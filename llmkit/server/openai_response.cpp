#include "llmkit/server/openai_response.h"

#include <cmath>
#include <cstring>
#include <new>

namespace llmkit::server {
namespace {

using nlohmann::json;

// The length of the well-formed character starting at text[i] (Unicode Table 3-7), or 0 when
// it is ill-formed; then *bad is the length of its maximal subpart (>= 1).
size_t char_length(std::string_view text, size_t i, size_t* bad) {
  const auto b = [&](size_t k) { return static_cast<unsigned char>(text[k]); };
  const unsigned char c = b(i);
  if (c < 0x80) return 1;
  size_t need = 0;
  unsigned char lo = 0x80, hi = 0xBF;  // range of the second byte
  if (c >= 0xC2 && c <= 0xDF) {
    need = 2;
  } else if (c >= 0xE0 && c <= 0xEF) {
    need = 3;
    if (c == 0xE0) lo = 0xA0;
    if (c == 0xED) hi = 0x9F;
  } else if (c >= 0xF0 && c <= 0xF4) {
    need = 4;
    if (c == 0xF0) lo = 0x90;
    if (c == 0xF4) hi = 0x8F;
  } else {
    *bad = 1;
    return 0;
  }
  for (size_t k = 1; k < need; ++k) {
    const unsigned char lo_k = k == 1 ? lo : 0x80, hi_k = k == 1 ? hi : 0xBF;
    if (i + k >= text.size() || b(i + k) < lo_k || b(i + k) > hi_k) {
      *bad = k;
      return 0;
    }
  }
  return need;
}

std::string clean(std::string_view text) {
  return valid_utf8(text);
}

double finite_logprob(float lp) {
  return std::isfinite(lp) ? static_cast<double>(lp) : -9999.0;
}

json byte_array(const std::string& s) {
  json out = json::array();
  for (unsigned char c : s) out.push_back(static_cast<int>(c));
  return out;
}

json tool_calls_json(const std::vector<chain::ToolCall>& calls, bool with_index) {
  json out = json::array();
  for (size_t k = 0; k < calls.size(); ++k) {
    const chain::ToolCall& c = calls[k];
    json call = {
        {"id", clean(c.id)},
        {"type", "function"},
        {"function",
         {{"name", clean(c.name)},
          {"arguments", c.arguments.dump(-1, ' ', false, json::error_handler_t::replace)}}}};
    if (with_index) call["index"] = static_cast<int64_t>(k);
    out.push_back(std::move(call));
  }
  return out;
}

// Where the logprob tokens start inside text (see completion_json).
int64_t token_offset_in(const std::string& text, const std::vector<TokenLogprob>& logprobs) {
  std::string joined;
  for (const TokenLogprob& t : logprobs) joined += t.token;
  if (joined.size() <= text.size() &&
      text.compare(text.size() - joined.size(), joined.size(), joined) == 0) {
    return static_cast<int64_t>(text.size() - joined.size());
  }
  return 0;
}

json completion_object(const std::string& id, const std::string& object, const std::string& model,
                       int64_t created) {
  return {{"id", clean(id)},
          {"object", object},
          {"created", created},
          {"model", clean(model)},
          {"system_fingerprint", kSystemFingerprint}};
}

}  // namespace

std::string valid_utf8(std::string_view text) {
  if (find_invalid_utf8(text) == std::string_view::npos) return std::string(text);
  std::string out;
  out.reserve(text.size() + 8);
  size_t i = 0;
  while (i < text.size()) {
    size_t bad = 0;
    const size_t n = char_length(text, i, &bad);
    if (n > 0) {
      out.append(text.substr(i, n));
      i += n;
    } else {
      out += "\xEF\xBF\xBD";
      i += bad;
    }
  }
  return out;
}

size_t find_invalid_utf8(std::string_view text) {
  size_t i = 0;
  while (i < text.size()) {
    size_t bad = 0;
    const size_t n = char_length(text, i, &bad);
    if (n == 0) return i;
    i += n;
  }
  return std::string_view::npos;
}

json error_json(const ApiError& e) {
  return {{"error",
           {{"message", clean(e.message)},
            {"type", clean(e.type)},
            {"param", e.param.empty() ? json(nullptr) : json(clean(e.param))},
            {"code", e.code.empty() ? json(nullptr) : json(clean(e.code))}}}};
}

ApiError api_error_from(const llmkit::Error& e) {
  const std::string message = e.what();
  switch (e.code()) {
    case ErrorCode::kInvalidArgument:
      return ApiError(400, "invalid_request_error", "", "", message);
    case ErrorCode::kOutOfRange: {
      const bool context = message.find("context") != std::string::npos;
      return ApiError(400, "invalid_request_error", context ? "context_length_exceeded" : "", "",
                      message);
    }
    case ErrorCode::kUnsupported:
      return ApiError(400, "invalid_request_error", "unsupported", "", message);
    case ErrorCode::kNotFound:
      return ApiError(404, "invalid_request_error", "not_found", "", message);
    case ErrorCode::kCancelled:
      return ApiError(408, "timeout_error", "timeout", "", message);
    case ErrorCode::kCorruptData:
    case ErrorCode::kIo:
    case ErrorCode::kInternal:
      break;
  }
  return ApiError(500, "server_error", "", "", message);
}

ApiError api_error_from(const std::exception& e) {
  if (const auto* le = dynamic_cast<const llmkit::Error*>(&e)) return api_error_from(*le);
  if (const auto* ae = dynamic_cast<const ApiError*>(&e)) return *ae;
  if (dynamic_cast<const std::bad_alloc*>(&e) != nullptr) {
    return ApiError(503, "server_error", "server_overloaded", "",
                    "the server ran out of memory for this request; retry later or send less");
  }
  return ApiError(500, "server_error", "", "", std::string("internal error: ") + e.what());
}

ApiError context_length_error(int64_t context, int64_t prompt_tokens, int64_t completion_tokens,
                              bool chat) {
  const char* what = chat ? "messages" : "prompt";
  return ApiError(
      400, "invalid_request_error", "context_length_exceeded", chat ? "messages" : "prompt",
      str_cat("This model's maximum context length is ", context,
              " tokens. However, you requested ", prompt_tokens + completion_tokens, " tokens (",
              prompt_tokens, " in the ", what, ", ", completion_tokens,
              " in the completion). Please reduce the length of the ", what, " or completion."));
}

json models_json(const std::vector<std::string>& ids, int64_t created) {
  json data = json::array();
  for (const std::string& id : ids) {
    data.push_back(
        {{"id", clean(id)}, {"object", "model"}, {"created", created}, {"owned_by", "llmkit"}});
  }
  return {{"object", "list"}, {"data", std::move(data)}};
}

json sources_json(const std::vector<SourceRef>& sources) {
  json out = json::array();
  for (const SourceRef& s : sources) {
    out.push_back({{"id", clean(s.id)},
                   {"source", clean(s.source)},
                   {"title", clean(s.title)},
                   {"text", clean(s.text)},
                   {"score", std::isfinite(s.score) ? s.score : 0.0}});
  }
  return out;
}

json usage_json(const Usage& usage) {
  return {{"prompt_tokens", usage.prompt_tokens},
          {"completion_tokens", usage.completion_tokens},
          {"total_tokens", usage.prompt_tokens + usage.completion_tokens},
          {"prompt_tokens_details", {{"cached_tokens", usage.cached_tokens}}},
          {"completion_tokens_details", {{"reasoning_tokens", 0}}}};
}

json chat_logprobs_json(const std::vector<TokenLogprob>& logprobs) {
  json content = json::array();
  for (const TokenLogprob& t : logprobs) {
    json top = json::array();
    for (const auto& [text, lp] : t.top) {
      top.push_back(
          {{"token", clean(text)}, {"logprob", finite_logprob(lp)}, {"bytes", byte_array(text)}});
    }
    content.push_back({{"token", clean(t.token)},
                       {"logprob", finite_logprob(t.logprob)},
                       {"bytes", byte_array(t.token)},
                       {"top_logprobs", std::move(top)}});
  }
  return {{"content", std::move(content)}, {"refusal", nullptr}};
}

json completion_logprobs_json(const std::vector<TokenLogprob>& logprobs, int64_t text_offset_base) {
  json tokens = json::array(), token_logprobs = json::array(), top = json::array(),
       offsets = json::array();
  int64_t offset = text_offset_base;
  for (const TokenLogprob& t : logprobs) {
    tokens.push_back(clean(t.token));
    token_logprobs.push_back(finite_logprob(t.logprob));
    json alternatives = json::object();
    for (const auto& [text, lp] : t.top) {
      const std::string key = clean(text);
      if (!alternatives.contains(key)) alternatives[key] = finite_logprob(lp);
    }
    top.push_back(std::move(alternatives));
    offsets.push_back(offset);
    offset += static_cast<int64_t>(t.token.size());
  }
  return {{"tokens", std::move(tokens)},
          {"token_logprobs", std::move(token_logprobs)},
          {"top_logprobs", std::move(top)},
          {"text_offset", std::move(offsets)}};
}

json chat_completion_json(const std::string& id, const std::string& model, int64_t created,
                          const std::vector<ChoiceResult>& choices, const Usage& usage,
                          const std::vector<SourceRef>* sources) {
  json out = completion_object(id, "chat.completion", model, created);
  json list = json::array();
  for (const ChoiceResult& c : choices) {
    const chain::ChatMessage& m = c.message;
    json message = {{"role", "assistant"}, {"refusal", nullptr}};
    message["content"] =
        m.content.empty() && !m.tool_calls.empty() ? json(nullptr) : json(clean(m.content));
    if (!m.tool_calls.empty()) message["tool_calls"] = tool_calls_json(m.tool_calls, false);
    list.push_back(
        {{"index", c.index},
         {"message", std::move(message)},
         {"logprobs", c.logprobs.empty() ? json(nullptr) : chat_logprobs_json(c.logprobs)},
         {"finish_reason",
          c.finish_reason.empty() ? json(nullptr) : json(clean(c.finish_reason))}});
  }
  out["choices"] = std::move(list);
  out["usage"] = usage_json(usage);
  if (sources != nullptr) out["sources"] = sources_json(*sources);
  return out;
}

json completion_json(const std::string& id, const std::string& model, int64_t created,
                     const std::vector<ChoiceResult>& choices, const Usage& usage,
                     const std::vector<SourceRef>* sources) {
  json out = completion_object(id, "text_completion", model, created);
  json list = json::array();
  for (const ChoiceResult& c : choices) {
    list.push_back(
        {{"index", c.index},
         {"text", clean(c.text)},
         {"logprobs", c.logprobs.empty() ? json(nullptr)
                                         : completion_logprobs_json(
                                               c.logprobs, token_offset_in(c.text, c.logprobs))},
         {"finish_reason",
          c.finish_reason.empty() ? json(nullptr) : json(clean(c.finish_reason))}});
  }
  out["choices"] = std::move(list);
  out["usage"] = usage_json(usage);
  if (sources != nullptr) out["sources"] = sources_json(*sources);
  return out;
}

json chat_chunk_json(const std::string& id, const std::string& model, int64_t created,
                     int64_t index, std::optional<std::string> role,
                     const std::string& content_delta,
                     const std::vector<chain::ToolCall>* tool_calls,
                     const std::string& finish_reason, const std::vector<TokenLogprob>* logprobs) {
  json out = completion_object(id, "chat.completion.chunk", model, created);
  json delta = json::object();
  if (role) delta["role"] = clean(*role);
  if (!content_delta.empty() || role) delta["content"] = clean(content_delta);
  if (tool_calls != nullptr && !tool_calls->empty()) {
    delta["tool_calls"] = tool_calls_json(*tool_calls, true);
  }
  json choice = {
      {"index", index},
      {"delta", std::move(delta)},
      {"logprobs",
       logprobs == nullptr || logprobs->empty() ? json(nullptr) : chat_logprobs_json(*logprobs)},
      {"finish_reason", finish_reason.empty() ? json(nullptr) : json(clean(finish_reason))}};
  out["choices"] = json::array({std::move(choice)});
  return out;
}

json completion_chunk_json(const std::string& id, const std::string& model, int64_t created,
                           int64_t index, const std::string& text, const std::string& finish_reason,
                           const std::vector<TokenLogprob>* logprobs, int64_t text_offset_base) {
  json out = completion_object(id, "text_completion", model, created);
  json choice = {
      {"index", index},
      {"text", clean(text)},
      {"logprobs", logprobs == nullptr || logprobs->empty()
                       ? json(nullptr)
                       : completion_logprobs_json(*logprobs, text_offset_base)},
      {"finish_reason", finish_reason.empty() ? json(nullptr) : json(clean(finish_reason))}};
  out["choices"] = json::array({std::move(choice)});
  return out;
}

json usage_chunk_json(const std::string& id, const std::string& model, int64_t created, bool chat,
                      const Usage& usage) {
  json out =
      completion_object(id, chat ? "chat.completion.chunk" : "text_completion", model, created);
  out["choices"] = json::array();
  out["usage"] = usage_json(usage);
  return out;
}

std::string sse_data(const json& j) {
  return "data: " + j.dump(-1, ' ', false, json::error_handler_t::replace) + "\n\n";
}

std::string base64_encode(std::string_view bytes) {
  static const char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  size_t i = 0;
  const auto at = [&](size_t k) { return static_cast<uint32_t>(static_cast<uint8_t>(bytes[k])); };
  for (; i + 3 <= bytes.size(); i += 3) {
    const uint32_t v = at(i) << 16 | at(i + 1) << 8 | at(i + 2);
    for (int s = 18; s >= 0; s -= 6) out += kAlphabet[(v >> s) & 63];
  }
  const size_t rest = bytes.size() - i;
  if (rest > 0) {
    const uint32_t v = at(i) << 16 | (rest == 2 ? at(i + 1) << 8 : 0);
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += rest == 2 ? kAlphabet[(v >> 6) & 63] : '=';
    out += '=';
  }
  return out;
}

json embeddings_json(const std::string& model, const std::vector<std::vector<float>>& vectors,
                     bool base64, int64_t prompt_tokens) {
  json data = json::array();
  for (size_t i = 0; i < vectors.size(); ++i) {
    json embedding;
    if (base64) {
      // Little-endian float32: the bytes of each value, lowest first.
      std::string bytes(vectors[i].size() * 4, '\0');
      for (size_t k = 0; k < vectors[i].size(); ++k) {
        uint32_t bits = 0;
        std::memcpy(&bits, &vectors[i][k], 4);
        for (int b = 0; b < 4; ++b) bytes[k * 4 + b] = static_cast<char>((bits >> (8 * b)) & 0xFF);
      }
      embedding = base64_encode(bytes);
    } else {
      embedding = vectors[i];
    }
    data.push_back({{"object", "embedding"},
                    {"index", static_cast<int64_t>(i)},
                    {"embedding", std::move(embedding)}});
  }
  return {{"object", "list"},
          {"data", std::move(data)},
          {"model", clean(model)},
          {"usage", {{"prompt_tokens", prompt_tokens}, {"total_tokens", prompt_tokens}}}};
}

}  // namespace llmkit::server
