// A safe arithmetic expression evaluator and the built-in "calculator" tool. Nothing in the
// expression can run code, read files or allocate without bound: the grammar below is all
// there is.
//
// Grammar (whitespace between tokens is ignored):
//   expr    := term (('+' | '-') term)*
//   term    := unary (('*' | '/' | '%') unary)*
//   unary   := ('-' | '+') unary | power
//   power   := primary (('^' | '**') unary)?          right-associative: 2^3^2 = 2^9
//   primary := number | constant | function '(' expr (',' expr)* ')' | '(' expr ')'
//   number  := digits ['.' digits] [('e'|'E') ['+'|'-'] digits]   (also ".5")
// So -2^2 = -(2^2) = -4 and 2^-1 = 0.5, as in Python and mathematics.
// Semantics (double precision): a % b is the floored modulo, with the sign of b as in Python
// (fmod(a, b), plus b when the signs differ); round() rounds half away from zero. Constants: pi, e.
// Functions: sqrt, abs, min, max (1 or more arguments), round, floor, ceil, log (natural; log(x,
// base) too), exp, sin, cos, tan. Errors (llmkit::Error, kInvalidArgument, the message naming the
// position or the operation): bad syntax, unknown names, wrong argument counts, division or modulo
// by zero, sqrt/log outside their domain, results that are not finite (overflow, (-8)^(1/3)),
// expressions longer than kMaxExpressionChars or nested deeper than kMaxExpressionDepth.
#pragma once

#include <string>

#include "llmkit/chain/tool.h"

namespace llmkit::chain {

inline constexpr size_t kMaxExpressionChars = 10000;
inline constexpr int kMaxExpressionDepth = 200;

double evaluate_expression(const std::string& expression);

// The result as the calculator tool prints it: integers without a fraction ("42"), other values
// with up to 15 significant digits ("0.333333333333333").
std::string format_number(double value);

// Tool "calculator": arguments {"expression": string}; observation format_number(value).
ToolPtr make_calculator_tool();

}  // namespace llmkit::chain
