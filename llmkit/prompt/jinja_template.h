// A sandboxed Jinja2 template: the subset of the jinja2 language that chat templates use, rendered
// byte-for-byte as Python jinja2's ImmutableSandboxedEnvironment renders it (see jinja_parser.h
// for the statements and operators, jinja_builtins.h for filters, tests, methods and globals).
// No file or system access: include / import / extends are rejected, mutating methods (list.append,
// dict.update, ...) are unsafe, and strftime_now reads only the clock given in the options.
// tojson is Hugging Face's: json.dumps(x, ensure_ascii=False, indent=, separators=, sort_keys=).
//
// Every error, syntax (thrown by the constructor) or runtime (thrown by render), is
// llmkit::Error(kInvalidArgument) with the message "<name>:<line>:<column>: <what>".
//
// Thread safety: render is const and may run concurrently on one JinjaTemplate.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>

#include <nlohmann/json.hpp>

namespace llmkit::prompt {

namespace jinja {
struct TemplateAst;
}

struct JinjaOptions {
  bool trim_blocks = false;            // drop the first newline after a block tag or comment
  bool lstrip_blocks = false;          // drop spaces and tabs before a block tag on its line
  bool keep_trailing_newline = false;  // keep a single trailing newline of the source
  // The clock of strftime_now(fmt) (formatted in local time); null: the system clock.
  std::function<std::chrono::system_clock::time_point()> now;
};

class JinjaTemplate {
 public:
  JinjaTemplate(std::string source, std::string name, JinjaOptions options = {});
  ~JinjaTemplate();
  JinjaTemplate(JinjaTemplate&&) noexcept;
  JinjaTemplate& operator=(JinjaTemplate&&) noexcept;

  // `context` must be a JSON object; its members are the template's variables (ordered_json
  // keeps the members' order, which dict iteration and tojson show).
  std::string render(const nlohmann::json& context) const;
  std::string render(const nlohmann::ordered_json& context) const;

  const std::string& source() const { return source_; }
  const std::string& name() const { return name_; }

 private:
  std::string source_;
  std::string name_;
  JinjaOptions options_;
  std::unique_ptr<jinja::TemplateAst> ast_;
};

}  // namespace llmkit::prompt
