// Internal to the Jinja parser: token-stream helpers and the expression grammar (see
// jinja_parser.h), shared by the statement parser in jinja_parser.cpp.
#pragma once

#include <algorithm>
#include <set>
#include <string>
#include <vector>

#include "llmkit/base/error.h"
#include "llmkit/prompt/jinja_ast.h"
#include "llmkit/prompt/jinja_lexer.h"

namespace llmkit::prompt::jinja {

// "'{{'", "string literal", "end of template", ... for error messages.
std::string describe(const Token& t);

class ParserBase {
 public:
  ParserBase(const std::vector<Token>& tokens, const std::string& name)
      : toks_(tokens), name_(name) {}

 protected:
  const Token& cur() const { return toks_[i_]; }
  const Token& look() const { return toks_[std::min(i_ + 1, toks_.size() - 1)]; }
  const Token& next() {
    const Token& t = toks_[i_];
    if (i_ + 1 < toks_.size()) ++i_;
    return t;
  }
  bool is_op(const char* op) const { return cur().kind == TokenKind::kOp && cur().value == op; }
  bool is_name(const char* n) const { return cur().kind == TokenKind::kName && cur().value == n; }
  bool skip_op(const char* op) {
    if (!is_op(op)) return false;
    next();
    return true;
  }
  bool skip_name(const char* n) {
    if (!is_name(n)) return false;
    next();
    return true;
  }
  [[noreturn]] void fail(const Token& t, const std::string& what) const {
    fail_at(name_, t.line, t.column, what);
  }
  const Token& expect_op(const char* op) {
    if (!is_op(op)) fail(cur(), str_cat("expected '", op, "', got ", describe(cur())));
    return next();
  }
  const Token& expect_name() {
    if (cur().kind != TokenKind::kName) fail(cur(), "expected a name, got " + describe(cur()));
    return next();
  }
  void expect_block_end() {
    if (cur().kind != TokenKind::kBlockEnd) {
      fail(cur(), "expected end of statement block '%}', got " + describe(cur()));
    }
    next();
  }
  static Pos pos_of(const Token& t) { return Pos{t.line, t.column}; }
  static ExprPtr make(ExprKind kind, const Token& t) {
    auto e = std::make_unique<Expr>();
    e->kind = kind;
    e->pos = pos_of(t);
    return e;
  }

  // Expressions (jinja2's grammar; see jinja_parser.h for the precedence).
  bool is_tuple_end(const std::set<std::string>& extra) const;
  ExprPtr parse_tuple(bool with_condexpr, const std::set<std::string>& extra,
                      bool explicit_parens = false);
  ExprPtr parse_expression(bool with_condexpr);
  ExprPtr binary(const Token& op, const std::string& name, ExprPtr l, ExprPtr r);
  ExprPtr parse_or();
  ExprPtr parse_and();
  ExprPtr parse_not();
  ExprPtr parse_compare();
  ExprPtr parse_math1();
  ExprPtr parse_concat();
  ExprPtr parse_math2();
  ExprPtr parse_pow();
  ExprPtr parse_unary(bool with_filter);
  ExprPtr parse_primary();
  ExprPtr parse_postfix(ExprPtr e);
  ExprPtr parse_subscript(ExprPtr obj);
  ExprPtr parse_subscribed(const Token& open);
  ExprPtr parse_call(ExprPtr callee);
  void parse_call_args_after_first(Expr& e);
  ExprPtr parse_filter_expr(ExprPtr e);
  ExprPtr parse_filters(ExprPtr e, bool start_inline);
  ExprPtr parse_test(ExprPtr e);

  // Nesting limit: a template from a model file is untrusted input, and every level of nesting
  // costs stack in the parser and in the renderer.
  static constexpr int kMaxDepth = 200;
  class Nest {
   public:
    explicit Nest(ParserBase& p) : p_(p) {
      if (++p_.depth_ > kMaxDepth)
        p_.fail(p_.cur(), "the template nests more than 200 levels deep");
    }
    ~Nest() { --p_.depth_; }
    Nest(const Nest&) = delete;
    Nest& operator=(const Nest&) = delete;

   private:
    ParserBase& p_;
  };

  const std::vector<Token>& toks_;
  const std::string& name_;
  size_t i_ = 0;
  int depth_ = 0;
};

}  // namespace llmkit::prompt::jinja
