// Evaluates a parsed template against a context: the statement interpreter and expression
// evaluator. Scoping follows jinja2: a for loop body (and a macro call, a with block) gets its own
// frame, so `set` inside it is invisible outside (use namespace() to carry state out); if blocks
// share their parent's frame; macros see the template's top-level variables.
#pragma once

#include <chrono>
#include <functional>
#include <string>

#include "llmkit/prompt/jinja_ast.h"
#include "llmkit/prompt/jinja_value.h"

namespace llmkit::prompt::jinja {

struct RenderOptions {
  // The clock of strftime_now(); null: the system clock.
  std::function<std::chrono::system_clock::time_point()> now;
};

// Renders `ast` with the variables of `context` (a dict) on top of the globals. Throws
// llmkit::Error(kInvalidArgument) "<name>:<line>:<column>: <what>" on a runtime error. Thread-safe
// for concurrent calls on one ast.
std::string render(const TemplateAst& ast, const std::string& name, const Value& context,
                   const RenderOptions& options);

}  // namespace llmkit::prompt::jinja
