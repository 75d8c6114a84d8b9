// Tools an agent (or any caller) can run: a name, a description, a JSON schema for the
// arguments, and a function from validated JSON arguments to a text observation.
//
// Contract of Tool::call / Tool::invoke: the arguments are validated against parameters()
// BEFORE the tool body runs; a validation failure and any exception thrown by the body become
// an error observation ("Error: ...") returned to the caller, never an exception. Only
// cancellation (llmkit::Error with ErrorCode::kCancelled) propagates, so an agent can stop.
// Thread safety: tools made here are const and may be called concurrently when their function is.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <tuple>
#include <type_traits>
#include <vector>

#include <nlohmann/json.hpp>

#include "llmkit/base/error.h"
#include "llmkit/chain/message.h"
#include "llmkit/chain/runnable.h"

namespace llmkit::chain {

// What one tool call produced. observation is what the model reads: the tool's text on success,
// "Error: <error>" otherwise.
struct ToolResult {
  std::string observation;
  bool ok = true;
  std::string error;  // "" when ok
};

class Tool {
 public:
  virtual ~Tool() = default;
  virtual std::string name() const = 0;
  virtual std::string description() const = 0;
  // JSON schema of the arguments (an object schema; see json_schema.h for the keywords checked).
  virtual nlohmann::json parameters() const = 0;

  // Validates args, then runs the tool. Never throws except for cancellation (see above).
  ToolResult call(const nlohmann::json& args) const;
  // call(args).observation.
  std::string invoke(const nlohmann::json& args) const { return call(args).observation; }
  // {name, description, parameters}: what a chat model is offered (ChatOptions::tools).
  ToolSpec spec() const { return {name(), description(), parameters()}; }

 protected:
  // The tool body; args already satisfy parameters(). May throw; the exception's message
  // becomes the error observation.
  virtual std::string run(const nlohmann::json& args) const = 0;
};

using ToolPtr = std::shared_ptr<const Tool>;

// {"observation", "ok", "error"} (for traces).
void to_json(nlohmann::json& j, const ToolResult& r);

// The tool as a Runnable (name: the tool's name), so that a call made with a RunConfig reports
// start/end events to its callbacks like any other run. Its invoke throws only on cancellation.
RunnablePtr<nlohmann::json, ToolResult> tool_runnable(ToolPtr tool);

// A tool from a function of the JSON arguments. Throws Error when name is empty or not made of
// [A-Za-z0-9_-] (the characters tool-calling APIs accept), or when schema is not an object schema.
ToolPtr make_tool(std::string name, std::string description, nlohmann::json schema,
                  std::function<std::string(const nlohmann::json&)> fn);

// The specs of tools (for ChatOptions::tools). Throws Error when two tools share a name.
std::vector<ToolSpec> tool_specs(const std::vector<ToolPtr>& tools);

// The tool called name, or nullptr.
ToolPtr find_tool(const std::vector<ToolPtr>& tools, const std::string& name);

namespace detail {
// Text of a tool function's result: strings as they are, anything else as compact JSON.
template <typename R>
std::string observation_text(const R& value) {
  if constexpr (std::is_convertible_v<R, std::string>) {
    return std::string(value);
  } else {
    return nlohmann::json(value).dump();
  }
}

// JSON schema of a C++ argument type: bool, integers, floating point, strings, vectors of those.
template <typename T>
nlohmann::json schema_of() {
  using U = std::remove_cvref_t<T>;
  if constexpr (std::is_same_v<U, bool>) {
    return {{"type", "boolean"}};
  } else if constexpr (std::is_integral_v<U>) {
    return {{"type", "integer"}};
  } else if constexpr (std::is_floating_point_v<U>) {
    return {{"type", "number"}};
  } else if constexpr (std::is_convertible_v<U, std::string>) {
    return {{"type", "string"}};
  } else if constexpr (requires { typename U::value_type; } &&
                       std::is_same_v<U, std::vector<typename U::value_type>>) {
    return {{"type", "array"}, {"items", schema_of<typename U::value_type>()}};
  } else {
    static_assert(sizeof(U) == 0, "make_function_tool: unsupported argument type");
  }
}
}  // namespace detail

// A typed tool whose arguments arrive as a struct: Args must be convertible from JSON by
// nlohmann (from_json / NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE). The schema is checked first; a
// conversion failure becomes an error observation too. fn's result: a string, or any value
// nlohmann can turn into JSON (dumped compactly).
template <typename Args, typename Fn>
ToolPtr make_struct_tool(std::string name, std::string description, nlohmann::json schema, Fn fn) {
  return make_tool(std::move(name), std::move(description), std::move(schema),
                   [fn = std::move(fn)](const nlohmann::json& args) {
                     Args parsed = args.get<Args>();
                     return detail::observation_text(fn(parsed));
                   });
}

// One named parameter of a function tool.
struct ToolParam {
  std::string name;
  std::string description;
};

// A typed tool from a C++ callable taking plain arguments (bool, integers, floating point,
// std::string, std::vector of those): the schema is derived from the parameter types, every
// parameter is required, and no other property is allowed. params names them in order; its
// size must equal the callable's arity (checked at run time, Error otherwise).
template <typename R, typename... A>
ToolPtr make_function_tool(std::string name, std::string description, std::vector<ToolParam> params,
                           std::function<R(A...)> fn);

template <typename R, typename... A>
ToolPtr make_function_tool(std::string name, std::string description, std::vector<ToolParam> params,
                           std::function<R(A...)> fn) {
  nlohmann::json schema = {{"type", "object"},
                           {"properties", nlohmann::json::object()},
                           {"required", nlohmann::json::array()},
                           {"additionalProperties", false}};
  std::vector<nlohmann::json> types = {detail::schema_of<A>()...};
  LLMKIT_CHECK(params.size() == types.size(), "make_function_tool '", name, "': ", params.size(),
               " parameter names for ", types.size(), " arguments");
  for (size_t i = 0; i < params.size(); ++i) {
    nlohmann::json p = types[i];
    if (!params[i].description.empty()) p["description"] = params[i].description;
    schema["properties"][params[i].name] = p;
    schema["required"].push_back(params[i].name);
  }
  std::vector<std::string> names;
  for (const auto& p : params) names.push_back(p.name);
  return make_tool(std::move(name), std::move(description), std::move(schema),
                   [fn = std::move(fn), names](const nlohmann::json& args) {
                     size_t i = 0;
                     auto arg = [&]<typename T>(std::type_identity<T>) {
                       return args.at(names[i++]).template get<std::remove_cvref_t<T>>();
                     };
                     // Braced init keeps left-to-right evaluation of the arguments.
                     std::tuple<std::remove_cvref_t<A>...> values{arg(std::type_identity<A>{})...};
                     return detail::observation_text(std::apply(fn, values));
                   });
}

// Deduces the signature of a lambda or function pointer.
template <typename F>
ToolPtr make_function_tool(std::string name, std::string description, std::vector<ToolParam> params,
                           F fn) {
  return make_function_tool(std::move(name), std::move(description), std::move(params),
                            std::function(std::move(fn)));
}

}  // namespace llmkit::chain
