// Recursive-descent parser of Jinja templates, with jinja2's grammar and operator precedence
// (lowest first): `a if b else c`, or, and, not, comparisons (== != < <= > >= in, not in;
// chained), + -, ~, * / // %, ** (left-associative, as in jinja2), unary - +, then postfix
// .attr [item] [a:b:c] (call), filters `| f(args)` and tests `is [not] t(args)`.
// Statements: if/elif/else, for (tuple targets, `if` filter, else), set (also block set and
// namespace attributes), macro, call, filter, with, break, continue. include / import / extends
// / block are rejected: a sandboxed template cannot load others.
#pragma once

#include <string>
#include <vector>

#include "llmkit/prompt/jinja_ast.h"
#include "llmkit/prompt/jinja_lexer.h"

namespace llmkit::prompt::jinja {

// Throws llmkit::Error(kInvalidArgument) "<name>:<line>:<column>: <what>" on a syntax error.
TemplateAst parse(const std::vector<Token>& tokens, const std::string& name);

}  // namespace llmkit::prompt::jinja
