// The expression grammar of the Jinja parser (ParserBase, jinja_parser_base.h).
#include "llmkit/prompt/jinja_builtins.h"
#include "llmkit/prompt/jinja_parser_base.h"

namespace llmkit::prompt::jinja {

std::string describe(const Token& t) {
  switch (t.kind) {
    case TokenKind::kData:
      return "template data";
    case TokenKind::kVarBegin:
      return "'{{'";
    case TokenKind::kVarEnd:
      return "end of print statement '}}'";
    case TokenKind::kBlockBegin:
      return "'{%'";
    case TokenKind::kBlockEnd:
      return "end of statement block '%}'";
    case TokenKind::kString:
      return "string literal";
    case TokenKind::kInt:
    case TokenKind::kFloat:
      return "number " + t.value;
    case TokenKind::kEof:
      return "end of template";
    default:
      return "'" + t.value + "'";
  }
}

bool ParserBase::is_tuple_end(const std::set<std::string>& extra) const {
  const Token& t = cur();
  if (t.kind == TokenKind::kVarEnd || t.kind == TokenKind::kBlockEnd || t.kind == TokenKind::kEof) {
    return true;
  }
  if (t.kind == TokenKind::kOp && t.value == ")") return true;
  return t.kind == TokenKind::kName && extra.count(t.value);
}

ExprPtr ParserBase::parse_tuple(bool with_condexpr, const std::set<std::string>& extra,
                                bool explicit_parens) {
  const Token& start = cur();
  std::vector<ExprPtr> items;
  bool is_tuple = false;
  while (true) {
    if (!items.empty()) expect_op(",");
    if (is_tuple_end(extra)) break;
    items.push_back(parse_expression(with_condexpr));
    if (is_op(",")) {
      is_tuple = true;
    } else {
      break;
    }
  }
  if (!is_tuple) {
    if (!items.empty()) return std::move(items[0]);
    if (!explicit_parens) fail(cur(), "expected an expression, got " + describe(cur()));
  }
  auto e = make(ExprKind::kTuple, start);
  e->items = std::move(items);
  return e;
}

ExprPtr ParserBase::parse_expression(bool with_condexpr) {
  Nest nest(*this);
  ExprPtr e = parse_or();
  while (with_condexpr && is_name("if")) {
    auto c = make(ExprKind::kCondition, next());
    ExprPtr cond = parse_or();
    ExprPtr otherwise = skip_name("else") ? parse_expression(true) : nullptr;
    c->items.push_back(std::move(e));
    c->items.push_back(std::move(cond));
    c->items.push_back(std::move(otherwise));
    e = std::move(c);
  }
  return e;
}

ExprPtr ParserBase::binary(const Token& op, const std::string& name, ExprPtr l, ExprPtr r) {
  auto e = make(ExprKind::kBinary, op);
  e->name = name;
  e->items.push_back(std::move(l));
  e->items.push_back(std::move(r));
  return e;
}

ExprPtr ParserBase::parse_or() {
  ExprPtr e = parse_and();
  while (is_name("or")) {
    const Token& op = next();
    e = binary(op, "or", std::move(e), parse_and());
  }
  return e;
}

ExprPtr ParserBase::parse_and() {
  ExprPtr e = parse_not();
  while (is_name("and")) {
    const Token& op = next();
    e = binary(op, "and", std::move(e), parse_not());
  }
  return e;
}

ExprPtr ParserBase::parse_not() {
  if (is_name("not")) {
    Nest nest(*this);
    auto e = make(ExprKind::kUnary, next());
    e->name = "not";
    e->items.push_back(parse_not());
    return e;
  }
  return parse_compare();
}

ExprPtr ParserBase::parse_compare() {
  ExprPtr first = parse_math1();
  ExprPtr cmp;
  while (true) {
    std::string op;
    const Token& t = cur();
    if (t.kind == TokenKind::kOp && (t.value == "==" || t.value == "!=" || t.value == "<" ||
                                     t.value == "<=" || t.value == ">" || t.value == ">=")) {
      op = t.value;
      next();
    } else if (is_name("in")) {
      op = "in";
      next();
    } else if (is_name("not") && look().kind == TokenKind::kName && look().value == "in") {
      op = "notin";
      next();
      next();
    } else {
      break;
    }
    if (!cmp) {
      cmp = make(ExprKind::kCompare, t);
      cmp->items.push_back(std::move(first));
    }
    cmp->ops.push_back(op);
    cmp->items.push_back(parse_math1());
  }
  return cmp ? std::move(cmp) : std::move(first);
}

ExprPtr ParserBase::parse_math1() {
  ExprPtr e = parse_concat();
  while (is_op("+") || is_op("-")) {
    const Token& op = next();
    e = binary(op, op.value, std::move(e), parse_concat());
  }
  return e;
}

ExprPtr ParserBase::parse_concat() {
  ExprPtr e = parse_math2();
  while (is_op("~")) {
    const Token& op = next();
    e = binary(op, "~", std::move(e), parse_math2());
  }
  return e;
}

ExprPtr ParserBase::parse_math2() {
  ExprPtr e = parse_pow();
  while (is_op("*") || is_op("/") || is_op("//") || is_op("%")) {
    const Token& op = next();
    e = binary(op, op.value, std::move(e), parse_pow());
  }
  return e;
}

ExprPtr ParserBase::parse_pow() {
  ExprPtr e = parse_unary(true);
  while (is_op("**")) {
    const Token& op = next();
    e = binary(op, "**", std::move(e), parse_unary(true));
  }
  return e;
}

ExprPtr ParserBase::parse_unary(bool with_filter) {
  ExprPtr e;
  if (is_op("-") || is_op("+")) {
    Nest nest(*this);
    e = make(ExprKind::kUnary, cur());
    e->name = next().value;
    e->items.push_back(parse_unary(false));
  } else {
    e = parse_primary();
  }
  e = parse_postfix(std::move(e));
  if (with_filter) e = parse_filter_expr(std::move(e));
  return e;
}

ExprPtr ParserBase::parse_primary() {
  const Token& t = cur();
  if (t.kind == TokenKind::kName) {
    next();
    if (t.value == "true" || t.value == "True" || t.value == "false" || t.value == "False") {
      auto e = make(ExprKind::kLiteral, t);
      e->value = Value::boolean(t.value == "true" || t.value == "True");
      return e;
    }
    if (t.value == "none" || t.value == "None") {
      auto e = make(ExprKind::kLiteral, t);
      e->value = Value::none();
      return e;
    }
    auto e = make(ExprKind::kName, t);
    e->name = t.value;
    return e;
  }
  if (t.kind == TokenKind::kString) {
    auto e = make(ExprKind::kLiteral, t);
    std::string s;
    while (cur().kind == TokenKind::kString) s += next().value;
    e->value = Value::string(std::move(s));
    return e;
  }
  if (t.kind == TokenKind::kInt || t.kind == TokenKind::kFloat) {
    auto e = make(ExprKind::kLiteral, t);
    e->value =
        t.kind == TokenKind::kInt ? Value::integer(t.int_value) : Value::floating(t.float_value);
    next();
    return e;
  }
  if (skip_op("(")) {
    ExprPtr e = parse_tuple(true, {}, true);
    expect_op(")");
    return e;
  }
  if (is_op("[") || is_op("{")) {
    const bool is_list = is_op("[");
    auto e = make(is_list ? ExprKind::kList : ExprKind::kDict, next());
    const char* close = is_list ? "]" : "}";
    while (!is_op(close)) {
      if (!e->items.empty()) expect_op(",");
      if (is_op(close)) break;
      e->items.push_back(parse_expression(true));
      if (!is_list) {
        expect_op(":");
        e->items.push_back(parse_expression(true));
      }
    }
    expect_op(close);
    return e;
  }
  fail(t, "unexpected " + describe(t));
}

ExprPtr ParserBase::parse_postfix(ExprPtr e) {
  while (true) {
    if (is_op(".")) {
      next();
      const Token& t = cur();
      if (t.kind == TokenKind::kName) {
        auto a = make(ExprKind::kAttr, next());
        a->name = t.value;
        a->items.push_back(std::move(e));
        e = std::move(a);
      } else if (t.kind == TokenKind::kInt) {
        auto key = make(ExprKind::kLiteral, t);
        key->value = Value::integer(t.int_value);
        auto a = make(ExprKind::kItem, next());
        a->items.push_back(std::move(e));
        a->items.push_back(std::move(key));
        e = std::move(a);
      } else {
        fail(t, "expected a name or number after '.', got " + describe(t));
      }
    } else if (is_op("[")) {
      e = parse_subscript(std::move(e));
    } else if (is_op("(")) {
      e = parse_call(std::move(e));
    } else {
      return e;
    }
  }
}

ExprPtr ParserBase::parse_subscript(ExprPtr obj) {
  const Token& open = next();
  std::vector<ExprPtr> args;
  while (!is_op("]")) {
    if (!args.empty()) expect_op(",");
    args.push_back(parse_subscribed(open));
  }
  expect_op("]");
  if (args.empty()) fail(open, "expected a subscript expression");
  if (args.size() == 1 && args[0]->kind == ExprKind::kSlice) {
    args[0]->items[0] = std::move(obj);
    return std::move(args[0]);
  }
  auto e = make(ExprKind::kItem, open);
  e->items.push_back(std::move(obj));
  if (args.size() == 1) {
    e->items.push_back(std::move(args[0]));
  } else {
    auto t = make(ExprKind::kTuple, open);
    t->items = std::move(args);
    e->items.push_back(std::move(t));
  }
  return e;
}

// One subscript: an expression, or a slice [start]:[stop][:[step]] (items[0] left empty for
// the object).
ExprPtr ParserBase::parse_subscribed(const Token& open) {
  ExprPtr start;
  if (!is_op(":")) {
    start = parse_expression(true);
    if (!is_op(":")) return start;
  }
  auto s = make(ExprKind::kSlice, open);
  next();  // ':'
  s->items.push_back(nullptr);
  s->items.push_back(std::move(start));
  s->items.push_back(is_op(":") || is_op("]") || is_op(",") ? nullptr : parse_expression(true));
  if (skip_op(":")) {
    s->items.push_back(is_op("]") || is_op(",") ? nullptr : parse_expression(true));
  } else {
    s->items.push_back(nullptr);
  }
  return s;
}

ExprPtr ParserBase::parse_call(ExprPtr callee) {
  auto e = make(ExprKind::kCall, cur());
  e->pos = callee->pos;
  e->items.push_back(std::move(callee));
  parse_call_args_after_first(*e);
  return e;
}

// Arguments for a node whose items[0] is the operand; the rest are positional arguments.
void ParserBase::parse_call_args_after_first(Expr& e) {
  expect_op("(");
  bool first = true;
  while (!is_op(")")) {
    if (!first) {
      expect_op(",");
      if (is_op(")")) break;
    }
    first = false;
    // jinja2's order: positional, *args, keyword, **kwargs (keywords may also precede *args).
    if (is_op("*") || is_op("**")) {
      const bool star = is_op("*");
      if (e.star_kwargs || (star && e.star_args)) fail(cur(), "invalid syntax for function call");
      next();
      (star ? e.star_args : e.star_kwargs) = parse_expression(true);
      continue;
    }
    if (e.star_kwargs) fail(cur(), "invalid syntax for function call: argument after **kwargs");
    if (cur().kind == TokenKind::kName && look().kind == TokenKind::kOp && look().value == "=") {
      std::string key = next().value;
      next();
      e.kwargs.emplace_back(std::move(key), parse_expression(true));
    } else {
      if (!e.kwargs.empty() || e.star_args) {
        fail(cur(), "positional argument after a keyword argument or *args");
      }
      e.items.push_back(parse_expression(true));
    }
  }
  expect_op(")");
}

ExprPtr ParserBase::parse_filter_expr(ExprPtr e) {
  while (true) {
    if (is_op("|")) {
      e = parse_filters(std::move(e), false);
    } else if (is_name("is")) {
      e = parse_test(std::move(e));
    } else if (is_op("(")) {
      e = parse_call(std::move(e));
    } else {
      return e;
    }
  }
}

// `| name(args) | name2 ...`; with start_inline the first filter has no leading pipe.
ExprPtr ParserBase::parse_filters(ExprPtr e, bool start_inline) {
  while (is_op("|") || start_inline) {
    if (!start_inline) next();
    start_inline = false;
    const Token& t = expect_name();
    if (!has_filter(t.value)) fail(t, "no filter named '" + t.value + "'");
    auto f = make(ExprKind::kFilter, t);
    f->name = t.value;
    f->items.push_back(std::move(e));
    if (is_op("(")) parse_call_args_after_first(*f);
    e = std::move(f);
  }
  return e;
}

ExprPtr ParserBase::parse_test(ExprPtr e) {
  next();  // 'is'
  const bool negated = skip_name("not");
  const Token& t = expect_name();
  if (!has_test(t.value)) fail(t, "no test named '" + t.value + "'");
  auto test = make(ExprKind::kTest, t);
  test->name = t.value;
  test->negated = negated;
  test->items.push_back(std::move(e));
  const Token& c = cur();
  if (is_op("(")) {
    parse_call_args_after_first(*test);
  } else if ((c.kind == TokenKind::kName || c.kind == TokenKind::kString ||
              c.kind == TokenKind::kInt || c.kind == TokenKind::kFloat || is_op("[") ||
              is_op("{")) &&
             !is_name("else") && !is_name("or") && !is_name("and")) {
    if (is_name("is")) fail(c, "you cannot chain multiple tests with 'is'");
    test->items.push_back(parse_postfix(parse_primary()));
  }
  return test;
}

}  // namespace llmkit::prompt::jinja
