// Syntax tree of a parsed Jinja template. Nodes are immutable after parsing and shared by every
// render (a JinjaTemplate renders from many threads at once). Each node keeps the line and column
// of the token that names it (an operator, a filter name, a tag keyword), which runtime errors
// report.
#pragma once

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "llmkit/prompt/jinja_value.h"

namespace llmkit::prompt::jinja {

struct Pos {
  int line = 1;
  int column = 1;
};

enum class ExprKind {
  kLiteral,    // value
  kName,       // name
  kList,       // items
  kTuple,      // items
  kDict,       // items: key0, value0, key1, value1, ...
  kAttr,       // items[0].name
  kItem,       // items[0][items[1]]
  kSlice,      // items[0][items[1]:items[2]:items[3]] (null items are omitted bounds)
  kCall,       // items[0](items[1..], kwargs)
  kFilter,     // items[0] | name(items[1..], kwargs); items[0] null inside {% filter %}
  kTest,       // items[0] is [not] name(items[1..], kwargs); negated
  kUnary,      // op ("not", "-", "+") items[0]
  kBinary,     // items[0] op items[1]: + - * / // % ** ~ and or
  kCompare,    // items[0] ops[0] items[1] ops[1] items[2] ... (== != < <= > >= in notin)
  kCondition,  // items[0] if items[1] else items[2] (items[2] may be null)
};

struct Expr;
using ExprPtr = std::unique_ptr<Expr>;

struct Expr {
  ExprKind kind = ExprKind::kLiteral;
  Pos pos;
  Value value;       // kLiteral
  std::string name;  // kName, kAttr, kFilter, kTest; the operator of kUnary / kBinary
  std::vector<ExprPtr> items;
  std::vector<std::pair<std::string, ExprPtr>> kwargs;  // kCall, kFilter, kTest
  ExprPtr star_args;                                    // f(*x): more positional arguments
  ExprPtr star_kwargs;                                  // f(**x): more keyword arguments
  std::vector<std::string> ops;                         // kCompare
  bool negated = false;                                 // kTest
};

enum class StmtKind {
  kText,         // text
  kPrint,        // {{ expr }}
  kIf,           // conditions[i] -> bodies[i]; a final body without condition is the else
  kFor,          // for targets in expr [if cond] body [else else_body]
  kSet,          // set targets = expr; or set ns.attr = expr (attr non-empty)
  kSetBlock,     // set targets[0] [| filter] body endset
  kMacro,        // macro name(params = defaults) body
  kCallBlock,    // call(params) expr body endcall: expr is the call, caller() renders body
  kFilterBlock,  // filter expr body endfilter (expr: a filter chain over a null operand)
  kWith,         // with targets[i] = values[i] body endwith
  kBreak,
  kContinue,
};

struct Stmt;
using StmtPtr = std::unique_ptr<Stmt>;
using Body = std::vector<StmtPtr>;

struct Param {
  std::string name;
  ExprPtr default_value;  // null when required
};

struct Stmt {
  StmtKind kind = StmtKind::kText;
  Pos pos;
  std::string text;                  // kText; macro name for kMacro
  ExprPtr expr;                      // kPrint, kFor (iterable), kSet value, kCallBlock, filters
  ExprPtr cond;                      // kFor: the "if" filter
  std::vector<std::string> targets;  // kFor, kSet, kSetBlock, kWith names
  std::string attr;                  // kSet on a namespace: targets[0].attr
  std::vector<ExprPtr> conditions;   // kIf; kWith values
  std::vector<Body> bodies;          // kIf (one per condition, plus else), kFor: [body, else]
  std::vector<Param> params;         // kMacro, kCallBlock
};

// A parsed template: its top-level statements.
struct TemplateAst {
  Body body;
};

}  // namespace llmkit::prompt::jinja
