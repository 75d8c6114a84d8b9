// parse_chat_request and tool_call_schema (declared in openai_request.h).
#include <limits>
#include <map>
#include <set>

#include "llmkit/base/error.h"
#include "llmkit/server/openai_request.h"
#include "llmkit/server/request_fields.h"

namespace llmkit::server {

using nlohmann::json;
using namespace fields;

namespace {

// The text of a message's "content": a string or an array of content parts ("text" parts
// concatenated; "refusal" parts skipped for the assistant). *present: false when absent / null.
std::string content_text(const json& message, const std::string& param, const std::string& role,
                         const RequestLimits& limits, bool* present) {
  const json* content = get(message, "content");
  *present = content != nullptr;
  if (content == nullptr) return "";
  if (content->is_string()) return string_value(*content, param, limits);
  if (!content->is_array()) wrong_type(param, "a string or an array of content parts", *content);
  std::string text;
  for (size_t j = 0; j < content->size(); ++j) {
    const std::string p = at(param, j);
    const json& part = object_value((*content)[j], p);
    const std::string type =
        string_value(require(part, "type", dot(p, "type")), dot(p, "type"), limits);
    if (type == "text") {
      text += string_value(require(part, "text", dot(p, "text")), dot(p, "text"), limits);
      check_size(text.size(), param, limits);
    } else if (type == "refusal" && role == "assistant") {
      string_value(require(part, "refusal", dot(p, "refusal")), dot(p, "refusal"), limits);
    } else {
      unsupported(dot(p, "type"),
                  str_cat("Content part type '", excerpt(type), "' is not supported in ", role,
                          " messages: this server takes text parts only ({\"type\": \"text\", "
                          "\"text\": ...})."));
    }
  }
  return text;
}

std::vector<chain::ToolCall> read_tool_calls(const json& calls, const std::string& param,
                                             const RequestLimits& limits) {
  array_value(calls, param);
  std::vector<chain::ToolCall> out;
  for (size_t k = 0; k < calls.size(); ++k) {
    const std::string p = at(param, k);
    const json& call = object_value(calls[k], p);
    if (const json* type = get(call, "type")) {
      if (string_value(*type, dot(p, "type"), limits) != "function") {
        invalid(dot(p, "type"), str_cat("Invalid value for '", p, ".type': expected 'function'."),
                "invalid_value");
      }
    }
    chain::ToolCall tc;
    tc.id = string_value(require(call, "id", dot(p, "id")), dot(p, "id"), limits);
    const std::string fp = dot(p, "function");
    const json& function = object_value(require(call, "function", fp), fp);
    tc.name = string_value(require(function, "name", dot(fp, "name")), dot(fp, "name"), limits);
    if (tc.name.empty()) {
      invalid(dot(fp, "name"), str_cat("Invalid value for '", fp, ".name': it is empty."),
              "invalid_value");
    }
    const std::string ap = dot(fp, "arguments");
    const std::string text = string_value(require(function, "arguments", ap), ap, limits);
    if (!text.empty()) {
      tc.arguments = json::parse(text, nullptr, /*allow_exceptions=*/false);
      if (tc.arguments.is_discarded() || !tc.arguments.is_object()) {
        invalid(
            ap,
            str_cat("Invalid value for '", ap,
                    "': it must be a JSON object encoded as a string, e.g. \"{\\\"x\\\": 1}\"."),
            "invalid_value");
      }
    }
    out.push_back(std::move(tc));
  }
  return out;
}

chain::Messages read_messages(const json& body, const RequestLimits& limits) {
  const json& messages = array_value(require(body, "messages", "messages"), "messages");
  if (messages.empty()) {
    invalid("messages", "Invalid value for 'messages': at least one message is required.",
            "invalid_value");
  }
  if (static_cast<int64_t>(messages.size()) > limits.max_messages) {
    too_large("messages",
              str_cat("'messages' has ", messages.size(), " messages; this server accepts at most ",
                      limits.max_messages, "."));
  }
  std::map<std::string, std::string> call_names;  // tool call id -> function name, so far
  chain::Messages out;
  for (size_t i = 0; i < messages.size(); ++i) {
    const std::string p = at("messages", i);
    const json& m = object_value(messages[i], p);
    std::string role = string_value(require(m, "role", dot(p, "role")), dot(p, "role"), limits);
    if (role == "developer") role = "system";
    if (role == "function") {
      unsupported(dot(p, "role"),
                  "Messages with role 'function' (deprecated) are not supported; "
                  "use role 'tool'.");
    }
    if (role != "system" && role != "user" && role != "assistant" && role != "tool") {
      invalid(dot(p, "role"),
              str_cat("Invalid value for '", p,
                      ".role': expected one of 'system', 'developer', "
                      "'user', 'assistant', 'tool'."),
              "invalid_value");
    }
    chain::ChatMessage msg;
    msg.role = role;
    bool has_content = false;
    msg.content = content_text(m, dot(p, "content"), role, limits, &has_content);
    if (!has_content && role != "assistant") missing(dot(p, "content"));
    if (const json* name = get(m, "name")) string_value(*name, dot(p, "name"), limits);
    if (role == "assistant") {
      if (const json* calls = get(m, "tool_calls")) {
        msg.tool_calls = read_tool_calls(*calls, dot(p, "tool_calls"), limits);
        for (const chain::ToolCall& c : msg.tool_calls) call_names[c.id] = c.name;
      }
      if (const json* r = get(m, "refusal")) string_value(*r, dot(p, "refusal"), limits);
      if (get(m, "function_call") != nullptr) {
        unsupported(dot(p, "function_call"),
                    "'function_call' (deprecated) is not supported; use 'tool_calls'.");
      }
      if (get(m, "audio") != nullptr) {
        unsupported(dot(p, "audio"), "Audio is not supported by this server.");
      }
    }
    if (role == "tool") {
      const std::string ip = dot(p, "tool_call_id");
      msg.tool_call_id = string_value(require(m, "tool_call_id", ip), ip, limits);
      const auto it = call_names.find(msg.tool_call_id);
      if (it == call_names.end()) {
        invalid(ip,
                str_cat("Invalid value for '", ip,
                        "': a message with role 'tool' must answer a tool call of an earlier "
                        "assistant message, and no call has this id."),
                "invalid_value");
      }
      msg.name = it->second;
    }
    out.push_back(std::move(msg));
  }
  return out;
}

std::vector<chain::ToolSpec> read_tools(const json& body, const RequestLimits& limits) {
  std::vector<chain::ToolSpec> out;
  const json* tools = get(body, "tools");
  if (tools == nullptr) return out;
  array_value(*tools, "tools");
  if (static_cast<int64_t>(tools->size()) > limits.max_tools) {
    invalid("tools",
            str_cat("Invalid value for 'tools': at most ", limits.max_tools,
                    " tools are allowed, got ", tools->size(), "."),
            "invalid_value");
  }
  std::set<std::string> names;
  for (size_t i = 0; i < tools->size(); ++i) {
    const std::string p = at("tools", i);
    const json& tool = object_value((*tools)[i], p);
    const std::string type =
        string_value(require(tool, "type", dot(p, "type")), dot(p, "type"), limits);
    if (type != "function") {
      unsupported(dot(p, "type"), str_cat("Tools of type '", excerpt(type),
                                          "' are not supported; use 'function'."));
    }
    const std::string fp = dot(p, "function");
    const json& function = object_value(require(tool, "function", fp), fp);
    chain::ToolSpec spec;
    spec.name = string_value(require(function, "name", dot(fp, "name")), dot(fp, "name"), limits);
    if (!valid_name(spec.name)) {
      invalid(dot(fp, "name"),
              str_cat("Invalid value for '", fp, ".name': it must match ^[a-zA-Z0-9_-]{1,64}$."),
              "invalid_value");
    }
    if (!names.insert(spec.name).second) {
      invalid(dot(fp, "name"),
              str_cat("Invalid value for '", fp, ".name': another tool is already named '",
                      spec.name, "'."),
              "invalid_value");
    }
    if (const json* d = get(function, "description")) {
      spec.description = string_value(*d, dot(fp, "description"), limits);
    }
    if (const json* params = get(function, "parameters")) {
      spec.parameters = object_value(*params, dot(fp, "parameters"));
    } else {
      spec.parameters = default_tool_parameters();
    }
    if (const json* strict = get(function, "strict")) bool_value(*strict, dot(fp, "strict"));
    out.push_back(std::move(spec));
  }
  return out;
}

void read_tool_choice(const json& body, const RequestLimits& limits, GenerationRequest& out) {
  const json* choice = get(body, "tool_choice");
  if (choice != nullptr) {
    if (choice->is_string()) {
      const std::string s = string_value(*choice, "tool_choice", limits);
      if (s == "none") {
        out.tool_choice = ToolChoice::kNone;
      } else if (s == "auto") {
        out.tool_choice = ToolChoice::kAuto;
      } else if (s == "required") {
        out.tool_choice = ToolChoice::kRequired;
      } else {
        invalid("tool_choice",
                "Invalid value for 'tool_choice': expected 'none', 'auto', 'required' or "
                "{\"type\": \"function\", \"function\": {\"name\": ...}}.",
                "invalid_value");
      }
    } else if (choice->is_object()) {
      const std::string type =
          string_value(require(*choice, "type", "tool_choice.type"), "tool_choice.type", limits);
      if (type != "function") {
        unsupported("tool_choice.type", "Only tool_choice of type 'function' is supported.");
      }
      const json& function = object_value(require(*choice, "function", "tool_choice.function"),
                                          "tool_choice.function");
      out.tool_choice = ToolChoice::kFunction;
      out.tool_choice_name = string_value(require(function, "name", "tool_choice.function.name"),
                                          "tool_choice.function.name", limits);
    } else {
      wrong_type("tool_choice", "a string or an object", *choice);
    }
  }
  const bool forced =
      out.tool_choice == ToolChoice::kRequired || out.tool_choice == ToolChoice::kFunction;
  if (forced && out.tools.empty()) {
    invalid("tool_choice", "Invalid value for 'tool_choice': a forced tool call needs 'tools'.",
            "invalid_value");
  }
  if (out.tool_choice == ToolChoice::kFunction) {
    bool known = false;
    for (const chain::ToolSpec& t : out.tools) known = known || t.name == out.tool_choice_name;
    if (!known) {
      invalid("tool_choice.function.name",
              str_cat("Invalid value for 'tool_choice.function.name': no tool is named '",
                      excerpt(out.tool_choice_name), "'."),
              "invalid_value");
    }
  }
  // The schemas a forced call is generated under must compile; checked per tool to name it.
  if (forced) {
    for (size_t i = 0; i < out.tools.size(); ++i) {
      const chain::ToolSpec& t = out.tools[i];
      if (out.tool_choice == ToolChoice::kFunction && t.name != out.tool_choice_name) continue;
      detail::check_schema_compiles(tool_call_schema({t}, ToolChoice::kFunction, t.name, false),
                                    str_cat("tools[", i, "].function.parameters"),
                                    str_cat("function '", t.name, "'"));
    }
  }
}

void read_unsupported_chat_fields(const json& body, const RequestLimits& limits) {
  for (const char* key : {"functions", "function_call"}) {
    if (get(body, key) != nullptr) {
      unsupported(key, str_cat("'", key,
                               "' (deprecated) is not supported; use 'tools' and "
                               "'tool_choice'."));
    }
  }
  if (get(body, "audio") != nullptr) unsupported("audio", "Audio output is not supported.");
  if (get(body, "web_search_options") != nullptr) {
    unsupported("web_search_options", "Web search is not supported by this server.");
  }
  if (const json* m = get(body, "modalities")) {
    array_value(*m, "modalities");
    for (size_t i = 0; i < m->size(); ++i) {
      if (string_value((*m)[i], at("modalities", i), limits) != "text") {
        unsupported(at("modalities", i), "Only the 'text' modality is supported.");
      }
    }
  }
  // Accepted and ignored, type-checked.
  if (const json* v = get(body, "store")) bool_value(*v, "store");
  if (const json* v = get(body, "metadata")) object_value(*v, "metadata");
  if (const json* v = get(body, "prediction")) object_value(*v, "prediction");
  for (const char* key :
       {"service_tier", "reasoning_effort", "verbosity", "prompt_cache_key", "safety_identifier"}) {
    if (const json* v = get(body, key)) string_value(*v, key, limits);
  }
}

// Every "$ref": "#..." in schema re-pointed into `prefix` (where the schema is embedded).
// Values of const / enum / default / examples are data, not schemas, and are left alone.
void rebase_refs(json& schema, const std::string& prefix) {
  if (schema.is_object()) {
    for (auto it = schema.begin(); it != schema.end(); ++it) {
      const std::string& key = it.key();
      if (key == "$ref" && it->is_string()) {
        const std::string ref = it->get<std::string>();
        if (!ref.empty() && ref[0] == '#') *it = "#" + prefix + ref.substr(1);
      } else if (key != "const" && key != "enum" && key != "default" && key != "examples") {
        rebase_refs(*it, prefix);
      }
    }
  } else if (schema.is_array()) {
    for (json& item : schema) rebase_refs(item, prefix);
  }
}

// The schema of one call of t, to be embedded at JSON pointer `pointer` of the whole schema.
json call_schema(const chain::ToolSpec& t, const std::string& pointer) {
  json params = t.parameters.is_null() ? default_tool_parameters() : t.parameters;
  if (params.is_object()) {
    params.erase("$id");
    params.erase("$schema");
  }
  rebase_refs(params, pointer + "/properties/arguments");
  return {{"type", "object"},
          {"properties",
           {{"name", {{"type", "string"}, {"const", t.name}}}, {"arguments", std::move(params)}}},
          {"required", {"name", "arguments"}},
          {"additionalProperties", false}};
}

}  // namespace

json default_tool_parameters() {
  return {{"type", "object"}, {"properties", json::object()}, {"additionalProperties", false}};
}

GenerationRequest parse_chat_request(const json& body, const RequestLimits& limits) {
  GenerationRequest out;
  out.chat = true;
  out.messages = read_messages(body, limits);
  detail::read_generation_fields(body, limits, out);
  if (const json* v = get(body, "max_completion_tokens")) {
    out.max_tokens = int_value(*v, "max_completion_tokens", 1, std::numeric_limits<int64_t>::max());
  }
  if (const json* v = get(body, "logprobs")) out.logprobs = bool_value(*v, "logprobs");
  if (const json* v = get(body, "top_logprobs")) {
    out.top_logprobs = int_value(*v, "top_logprobs", 0, limits.max_top_logprobs);
    if (out.top_logprobs > 0 && !out.logprobs) {
      invalid("top_logprobs", "'top_logprobs' requires 'logprobs': true.", "invalid_value");
    }
  }
  out.tools = read_tools(body, limits);
  read_tool_choice(body, limits, out);
  if (const json* v = get(body, "parallel_tool_calls")) {
    out.parallel_tool_calls = bool_value(*v, "parallel_tool_calls");
  }
  if (const json* v = get(body, "rag")) {
    if (v->is_boolean()) {
      out.rag = v->get<bool>();
    } else if (v->is_object()) {
      out.rag = true;
      if (const json* k = get(*v, "top_k")) out.rag_top_k = int_value(*k, "rag.top_k", 1, 50);
    } else {
      wrong_type("rag", "a boolean or an object {\"top_k\": k}", *v);
    }
  }
  read_unsupported_chat_fields(body, limits);
  return out;
}

json tool_call_schema(const std::vector<chain::ToolSpec>& tools, ToolChoice choice,
                      const std::string& name, bool parallel) {
  LLMKIT_CHECK(choice == ToolChoice::kRequired || choice == ToolChoice::kFunction,
               "tool_call_schema: only a forced tool choice ('required' or a named function) "
               "constrains the output");
  LLMKIT_CHECK(!tools.empty(), "tool_call_schema: no tools to call");
  if (choice == ToolChoice::kFunction) {
    for (const chain::ToolSpec& t : tools) {
      if (t.name == name) return call_schema(t, "");
    }
    throw_error(ErrorCode::kInvalidArgument,
                str_cat("tool_call_schema: no tool is named '", name, "'"));
  }
  const std::string base = parallel ? "/items" : "";
  json one;
  if (tools.size() == 1) {
    one = call_schema(tools[0], base);
  } else {
    json branches = json::array();
    for (size_t i = 0; i < tools.size(); ++i) {
      branches.push_back(call_schema(tools[i], str_cat(base, "/anyOf/", i)));
    }
    one = {{"anyOf", std::move(branches)}};
  }
  if (!parallel) return one;
  return {{"type", "array"},
          {"items", std::move(one)},
          {"minItems", 1},
          {"maxItems", kMaxParallelToolCalls}};
}

}  // namespace llmkit::server
