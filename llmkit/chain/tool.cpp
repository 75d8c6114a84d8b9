#include "llmkit/chain/tool.h"

#include <set>

#include "llmkit/base/error.h"
#include "llmkit/chain/json_schema.h"

namespace llmkit::chain {

ToolResult Tool::call(const nlohmann::json& args) const {
  ToolResult result;
  try {
    const auto violations = validate_json(parameters(), args);
    if (!violations.empty()) {
      result.ok = false;
      result.error =
          "invalid arguments for tool '" + name() + "': " + describe_violations(violations);
    } else {
      result.observation = run(args);
      return result;
    }
  } catch (const Error& e) {
    if (e.code() == ErrorCode::kCancelled) throw;
    result.ok = false;
    result.error = "tool '" + name() + "' failed: " + e.what();
  } catch (const std::exception& e) {
    result.ok = false;
    result.error = "tool '" + name() + "' failed: " + e.what();
  } catch (...) {
    result.ok = false;
    result.error = "tool '" + name() + "' failed with an unknown exception";
  }
  result.observation = "Error: " + result.error;
  return result;
}

namespace {

class FunctionTool : public Tool {
 public:
  FunctionTool(std::string name, std::string description, nlohmann::json schema,
               std::function<std::string(const nlohmann::json&)> fn)
      : name_(std::move(name)),
        description_(std::move(description)),
        schema_(std::move(schema)),
        fn_(std::move(fn)) {}
  std::string name() const override { return name_; }
  std::string description() const override { return description_; }
  nlohmann::json parameters() const override { return schema_; }

 protected:
  std::string run(const nlohmann::json& args) const override { return fn_(args); }

 private:
  std::string name_, description_;
  nlohmann::json schema_;
  std::function<std::string(const nlohmann::json&)> fn_;
};

class ToolRunnable : public Runnable<nlohmann::json, ToolResult> {
 public:
  explicit ToolRunnable(ToolPtr tool) : tool_(std::move(tool)) {}
  std::string name() const override { return tool_->name(); }

 protected:
  ToolResult invoke_impl(const nlohmann::json& args, RunContext& ctx) const override {
    ctx.check_cancelled();
    return tool_->call(args);
  }

 private:
  ToolPtr tool_;
};

}  // namespace

void to_json(nlohmann::json& j, const ToolResult& r) {
  j = {{"observation", r.observation}, {"ok", r.ok}, {"error", r.error}};
}

RunnablePtr<nlohmann::json, ToolResult> tool_runnable(ToolPtr tool) {
  LLMKIT_CHECK(tool != nullptr, "tool_runnable: null tool");
  return std::make_shared<ToolRunnable>(std::move(tool));
}

ToolPtr make_tool(std::string name, std::string description, nlohmann::json schema,
                  std::function<std::string(const nlohmann::json&)> fn) {
  LLMKIT_CHECK(!name.empty(), "make_tool: a tool needs a name");
  for (char c : name) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '_' || c == '-';
    LLMKIT_CHECK(ok, "make_tool: tool name '", name,
                 "' may only contain letters, digits, '_' and '-'");
  }
  LLMKIT_CHECK(schema.is_object() && schema.contains("type") && schema["type"] == "object",
               "make_tool '", name,
               "': the parameter schema must be an object schema ({\"type\": \"object\", ...}), "
               "got ",
               schema.dump());
  LLMKIT_CHECK(static_cast<bool>(fn), "make_tool '", name, "': empty function");
  // Fails here, not at the first call, when the schema itself is invalid.
  validate_json(schema, nlohmann::json::object());
  return std::make_shared<FunctionTool>(std::move(name), std::move(description), std::move(schema),
                                        std::move(fn));
}

std::vector<ToolSpec> tool_specs(const std::vector<ToolPtr>& tools) {
  std::vector<ToolSpec> specs;
  std::set<std::string> seen;
  for (const auto& t : tools) {
    LLMKIT_CHECK(t != nullptr, "tool_specs: null tool");
    LLMKIT_CHECK(seen.insert(t->name()).second, "two tools are named '", t->name(),
                 "'; tool names must be unique");
    specs.push_back(t->spec());
  }
  return specs;
}

ToolPtr find_tool(const std::vector<ToolPtr>& tools, const std::string& name) {
  for (const auto& t : tools) {
    if (t && t->name() == name) return t;
  }
  return nullptr;
}

}  // namespace llmkit::chain
