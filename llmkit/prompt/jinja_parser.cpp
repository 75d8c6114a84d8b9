#include "llmkit/prompt/jinja_parser.h"

#include "llmkit/prompt/jinja_parser_base.h"

namespace llmkit::prompt::jinja {
namespace {

class Parser : public ParserBase {
 public:
  using ParserBase::ParserBase;

  TemplateAst run() {
    TemplateAst ast;
    ast.body = subparse({});
    return ast;
  }

 private:
  StmtPtr make_stmt(StmtKind kind, const Token& t) {
    auto s = std::make_unique<Stmt>();
    s->kind = kind;
    s->pos = pos_of(t);
    return s;
  }

  // Statements until a block tag whose name is in `ends`; leaves the parser on that name.
  Body subparse(const std::set<std::string>& ends) {
    Nest nest(*this);
    Body body;
    while (true) {
      const Token& t = cur();
      if (t.kind == TokenKind::kEof) {
        if (!ends.empty()) {
          std::string names;
          for (const auto& e : ends) names += (names.empty() ? "'" : " or '") + e + "'";
          fail(t, "unexpected end of template, expected " + names);
        }
        return body;
      }
      if (t.kind == TokenKind::kData) {
        auto s = make_stmt(StmtKind::kText, t);
        s->text = t.value;
        body.push_back(std::move(s));
        next();
      } else if (t.kind == TokenKind::kVarBegin) {
        next();
        auto s = make_stmt(StmtKind::kPrint, t);
        s->expr = parse_tuple(true, {});
        if (cur().kind != TokenKind::kVarEnd) {
          fail(cur(), "expected end of print statement '}}', got " + describe(cur()));
        }
        next();
        body.push_back(std::move(s));
      } else if (t.kind == TokenKind::kBlockBegin) {
        next();
        if (cur().kind == TokenKind::kName && ends.count(cur().value)) return body;
        body.push_back(parse_statement());
      } else {
        fail(t, "unexpected " + describe(t));
      }
    }
  }

  // Consumes the end tag name the subparse stopped on and its "%}".
  void end_tag() {
    next();
    expect_block_end();
  }

  StmtPtr parse_statement() {
    const Token& t = cur();
    if (t.kind != TokenKind::kName) fail(t, "tag name expected, got " + describe(t));
    const std::string& n = t.value;
    if (n == "for") return parse_for();
    if (n == "if") return parse_if();
    if (n == "set") return parse_set();
    if (n == "macro") return parse_macro();
    if (n == "call") return parse_call_block();
    if (n == "filter") return parse_filter_block();
    if (n == "with") return parse_with();
    if (n == "generation") return parse_generation();
    if (n == "break" || n == "continue") {
      auto s = make_stmt(n == "break" ? StmtKind::kBreak : StmtKind::kContinue, t);
      next();
      expect_block_end();
      return s;
    }
    if (n == "include" || n == "import" || n == "from" || n == "extends" || n == "block") {
      fail(t, "'" + n + "' is not supported: a sandboxed template cannot load other templates");
    }
    if (n.rfind("end", 0) == 0 || n == "else" || n == "elif") {
      fail(t, "unexpected '" + n + "' tag with no block to close");
    }
    fail(t, "unknown tag '" + n + "'");
  }

  StmtPtr parse_for() {
    auto s = make_stmt(StmtKind::kFor, next());
    s->targets = parse_targets("in");
    if (!skip_name("in")) fail(cur(), "expected 'in' in for loop, got " + describe(cur()));
    s->expr = parse_tuple(false, {"recursive"});
    if (skip_name("if")) s->cond = parse_expression(true);
    if (is_name("recursive")) fail(cur(), "recursive for loops are not supported");
    expect_block_end();
    s->bodies.push_back(subparse({"endfor", "else"}));
    if (is_name("else")) {
      end_tag();
      s->bodies.push_back(subparse({"endfor"}));
    }
    end_tag();
    return s;
  }

  // Names, possibly parenthesised and comma-separated, before `stop` ("in" or "=").
  std::vector<std::string> parse_targets(const char* stop) {
    std::vector<std::string> names;
    const bool paren = skip_op("(");
    while (true) {
      names.push_back(expect_name().value);
      if (!skip_op(",")) break;
      if ((paren && is_op(")")) || is_name(stop) || is_op(stop)) break;
    }
    if (paren) expect_op(")");
    return names;
  }

  StmtPtr parse_if() {
    auto s = make_stmt(StmtKind::kIf, next());
    s->conditions.push_back(parse_tuple(false, {}));
    expect_block_end();
    while (true) {
      s->bodies.push_back(subparse({"elif", "else", "endif"}));
      if (is_name("elif")) {
        next();
        s->conditions.push_back(parse_tuple(false, {}));
        expect_block_end();
      } else if (is_name("else")) {
        end_tag();
        s->bodies.push_back(subparse({"endif"}));
        end_tag();
        return s;
      } else {
        end_tag();
        return s;
      }
    }
  }

  StmtPtr parse_set() {
    const Token& t = next();
    if (cur().kind == TokenKind::kName && look().kind == TokenKind::kOp && look().value == ".") {
      auto s = make_stmt(StmtKind::kSet, t);
      s->targets.push_back(next().value);
      next();
      s->attr = expect_name().value;
      expect_op("=");
      s->expr = parse_tuple(true, {});
      expect_block_end();
      return s;
    }
    std::vector<std::string> targets = parse_targets("=");
    if (skip_op("=")) {
      auto s = make_stmt(StmtKind::kSet, t);
      s->targets = std::move(targets);
      s->expr = parse_tuple(true, {});
      expect_block_end();
      return s;
    }
    auto s = make_stmt(StmtKind::kSetBlock, t);
    if (targets.size() != 1) fail(t, "a block set assigns exactly one name");
    s->targets = std::move(targets);
    if (is_op("|")) s->expr = parse_filters(nullptr, false);
    expect_block_end();
    s->bodies.push_back(subparse({"endset"}));
    end_tag();
    return s;
  }

  std::vector<Param> parse_params() {
    std::vector<Param> params;
    expect_op("(");
    while (!is_op(")")) {
      if (!params.empty()) expect_op(",");
      if (is_op(")")) break;
      Param p;
      p.name = expect_name().value;
      if (skip_op("=")) p.default_value = parse_expression(true);
      params.push_back(std::move(p));
    }
    expect_op(")");
    return params;
  }

  StmtPtr parse_macro() {
    auto s = make_stmt(StmtKind::kMacro, next());
    s->text = expect_name().value;
    s->params = parse_params();
    expect_block_end();
    s->bodies.push_back(subparse({"endmacro"}));
    end_tag();
    return s;
  }

  StmtPtr parse_call_block() {
    auto s = make_stmt(StmtKind::kCallBlock, next());
    if (is_op("(")) s->params = parse_params();
    s->expr = parse_expression(true);
    if (s->expr->kind != ExprKind::kCall) fail(cur(), "expected a call after 'call'");
    expect_block_end();
    s->bodies.push_back(subparse({"endcall"}));
    end_tag();
    return s;
  }

  StmtPtr parse_filter_block() {
    auto s = make_stmt(StmtKind::kFilterBlock, next());
    s->expr = parse_filters(nullptr, true);
    expect_block_end();
    s->bodies.push_back(subparse({"endfilter"}));
    end_tag();
    return s;
  }

  // Hugging Face's {% generation %}...{% endgeneration %} (its AssistantTracker extension) marks
  // the assistant's part; rendering it is rendering its body in a scope of its own.
  StmtPtr parse_generation() {
    auto s = make_stmt(StmtKind::kWith, next());
    expect_block_end();
    s->bodies.push_back(subparse({"endgeneration"}));
    end_tag();
    return s;
  }

  StmtPtr parse_with() {
    auto s = make_stmt(StmtKind::kWith, next());
    while (cur().kind != TokenKind::kBlockEnd) {
      if (!s->targets.empty()) expect_op(",");
      s->targets.push_back(expect_name().value);
      expect_op("=");
      s->conditions.push_back(parse_expression(true));
    }
    expect_block_end();
    s->bodies.push_back(subparse({"endwith"}));
    end_tag();
    return s;
  }
};

}  // namespace

TemplateAst parse(const std::vector<Token>& tokens, const std::string& name) {
  return Parser(tokens, name).run();
}

}  // namespace llmkit::prompt::jinja
