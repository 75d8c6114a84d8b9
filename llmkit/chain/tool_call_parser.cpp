#include "llmkit/chain/tool_call_parser.h"

#include <algorithm>
#include <cctype>
#include <string_view>

namespace llmkit::chain {
namespace {

constexpr std::string_view kOpen = "<tool_call>";
constexpr std::string_view kClose = "</tool_call>";

std::string trim(std::string_view s) {
  size_t b = 0, e = s.size();
  while (b < e && std::isspace(static_cast<unsigned char>(s[b]))) ++b;
  while (e > b && std::isspace(static_cast<unsigned char>(s[e - 1]))) --e;
  return std::string(s.substr(b, e - b));
}

// Strips a ```json ... ``` (or ``` ... ```) fence around the whole text.
std::string strip_fence(const std::string& text) {
  if (text.rfind("```", 0) != 0 || text.size() < 6 || text.compare(text.size() - 3, 3, "```") != 0)
    return text;
  size_t nl = text.find('\n');
  if (nl == std::string::npos || nl >= text.size() - 3) return text;
  return trim(std::string_view(text).substr(nl + 1, text.size() - 3 - nl - 1));
}

bool parse_json(const std::string& text, nlohmann::json& out) {
  out = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  return !out.is_discarded();
}

// The whole text as one or more calls (object, array, or objects separated by ';' / newlines).
bool whole_text_calls(const std::string& text, std::vector<ToolCall>& calls) {
  nlohmann::json j;
  if (parse_json(text, j)) {
    std::vector<ToolCall> out;
    if (j.is_object()) j = nlohmann::json::array({j});
    if (!j.is_array() || j.empty()) return false;
    for (const auto& item : j) {
      ToolCall c;
      if (!tool_call_from_json(item, c)) return false;
      out.push_back(std::move(c));
    }
    calls = std::move(out);
    return true;
  }
  // Several objects separated by ';' or newlines: split at depth-0 separators.
  std::vector<std::string> parts;
  int depth = 0;
  bool in_string = false, escape = false;
  std::string cur;
  for (char ch : text) {
    if (in_string) {
      cur += ch;
      if (escape)
        escape = false;
      else if (ch == '\\')
        escape = true;
      else if (ch == '"')
        in_string = false;
      continue;
    }
    if (depth == 0 && (ch == ';' || ch == '\n')) {
      if (!trim(cur).empty()) parts.push_back(trim(cur));
      cur.clear();
      continue;
    }
    if (ch == '"') in_string = true;
    if (ch == '{' || ch == '[') ++depth;
    if (ch == '}' || ch == ']') --depth;
    cur += ch;
  }
  if (!trim(cur).empty()) parts.push_back(trim(cur));
  if (parts.size() < 2) return false;
  std::vector<ToolCall> out;
  for (const auto& p : parts) {
    ToolCall c;
    if (!parse_json(p, j) || !tool_call_from_json(j, c)) return false;
    out.push_back(std::move(c));
  }
  calls = std::move(out);
  return true;
}

}  // namespace

bool tool_call_from_json(const nlohmann::json& object, ToolCall& call) {
  if (!object.is_object()) return false;
  const nlohmann::json* src = &object;
  // OpenAI style {"type": "function", "function": {"name", "arguments"}} inside text.
  if (object.contains("function") && object["function"].is_object()) src = &object["function"];
  if (!src->contains("name") || !(*src)["name"].is_string()) return false;
  const nlohmann::json* args = nullptr;
  if (src->contains("arguments"))
    args = &(*src)["arguments"];
  else if (src->contains("parameters"))
    args = &(*src)["parameters"];
  if (args == nullptr) return false;
  for (const auto& [key, value] : src->items()) {
    if (key != "name" && key != "arguments" && key != "parameters" && key != "id" &&
        key != "type" && key != "function")
      return false;  // some other JSON object that happens to have a "name"
  }
  call.name = (*src)["name"].get<std::string>();
  if (args->is_string()) {
    nlohmann::json parsed;
    const std::string s = args->get<std::string>();
    call.arguments = parse_json(s, parsed) ? parsed : nlohmann::json(s);
  } else if (args->is_null()) {
    call.arguments = nlohmann::json::object();
  } else {
    call.arguments = *args;
  }
  if (object.contains("id") && object["id"].is_string()) call.id = object["id"].get<std::string>();
  return true;
}

ParsedToolCalls parse_tool_calls(const std::string& text) {
  ParsedToolCalls out;
  // Qwen / Hermes tags.
  if (text.find(kOpen) != std::string::npos) {
    std::string rest;
    size_t pos = 0;
    bool ok = true;
    std::vector<ToolCall> calls;
    while (pos < text.size()) {
      size_t open = text.find(kOpen, pos);
      if (open == std::string::npos) {
        rest += text.substr(pos);
        break;
      }
      rest += text.substr(pos, open - pos);
      size_t body = open + kOpen.size();
      size_t close = text.find(kClose, body);
      std::string inner =
          trim(text.substr(body, close == std::string::npos ? std::string::npos : close - body));
      nlohmann::json j;
      ToolCall c;
      if (!parse_json(strip_fence(inner), j) || !tool_call_from_json(j, c)) {
        ok = false;
        break;
      }
      calls.push_back(std::move(c));
      pos = close == std::string::npos ? text.size() : close + kClose.size();
    }
    if (ok) {
      out.content = trim(rest);
      out.calls = std::move(calls);
    } else {
      out.content = trim(text);  // malformed: left as text for the caller to report
      out.calls.clear();
    }
  } else {
    std::string body = trim(text);
    constexpr std::string_view kPython = "<|python_tag|>";
    if (body.rfind(kPython, 0) == 0) body = trim(std::string_view(body).substr(kPython.size()));
    body = strip_fence(body);
    if (body.empty() || (body.front() != '{' && body.front() != '[') ||
        !whole_text_calls(body, out.calls)) {
      out.content = trim(text);
      out.calls.clear();
    }
  }
  for (size_t k = 0; k < out.calls.size(); ++k) {
    if (out.calls[k].id.empty()) out.calls[k].id = "call_" + std::to_string(k);
  }
  return out;
}

static bool is_space(char c) {
  return c == ' ' || c == '\n' || c == '\t' || c == '\r';
}

std::string streamable_content(const std::string& text) {
  size_t first = 0;
  while (first < text.size() && is_space(text[first])) ++first;
  if (first == text.size()) return "";
  const char c = text[first];
  if (c == '{' || c == '[' || c == '`' || text.compare(first, 2, "<|") == 0) return "";
  size_t end = text.find("<tool_call>");
  if (end == std::string::npos) {
    end = text.size();
    const std::string tag = "<tool_call>";
    for (size_t k = std::min(tag.size() - 1, text.size()); k > 0; --k) {
      if (text.compare(text.size() - k, k, tag, 0, k) == 0) {
        end = text.size() - k;
        break;
      }
    }
  }
  while (end > first && is_space(text[end - 1])) --end;
  return text.substr(first, end - first);
}

std::string format_tool_call_text(const ToolCall& call) {
  nlohmann::json j = {{"name", call.name}, {"arguments", call.arguments}};
  return std::string(kOpen) + "\n" + j.dump() + "\n" + std::string(kClose);
}

}  // namespace llmkit::chain
