#include "llmkit/prompt/jinja_render.h"

#include <memory>
#include <stdexcept>
#include <unordered_map>

#include "llmkit/base/error.h"
#include "llmkit/prompt/jinja_builtins.h"
#include "llmkit/prompt/jinja_lexer.h"

namespace llmkit::prompt::jinja {
namespace {

// Variables of one scope. Frames are shared-owned so that a macro can refer weakly to the frame
// it was defined in (its closure) without keeping it alive.
struct Frame : std::enable_shared_from_this<Frame> {
  std::unordered_map<std::string, Value> vars;
  Frame* parent = nullptr;
};

std::shared_ptr<Frame> child_of(Frame* parent) {
  auto f = std::make_shared<Frame>();
  f->parent = parent;
  return f;
}

enum class Flow { kNormal, kBreak, kContinue };

constexpr int kMaxCallDepth = 100;  // nested macro calls (Python stops near this depth too)

class Renderer {
 public:
  Renderer(const std::string& name, const RenderOptions& options) : name_(name) {
    for (auto& [k, v] : make_globals(options.now).items) root_->vars[k.str()] = v;
  }

  std::string run(const TemplateAst& ast, const Value& context) {
    for (const auto& [k, v] : context.dict().items) root_->vars[to_str(k)] = v;
    std::string out;
    exec(ast.body, *root_, out);
    return out;
  }

 private:
  [[noreturn]] void fail(const Pos& pos, const std::string& what) const {
    fail_at(name_, pos.line, pos.column, what);
  }

  static Value lookup(const std::string& name, Frame& frame) {
    for (Frame* f = &frame; f != nullptr; f = f->parent) {
      auto it = f->vars.find(name);
      if (it != f->vars.end()) return it->second;
    }
    return Value::undefined("'" + name + "' is undefined");
  }

  Flow exec(const Body& body, Frame& frame, std::string& out) {
    for (const StmtPtr& s : body) {
      Flow flow = exec_stmt(*s, frame, out);
      if (flow != Flow::kNormal) return flow;
    }
    return Flow::kNormal;
  }

  Flow exec_stmt(const Stmt& s, Frame& frame, std::string& out) {
    switch (s.kind) {
      case StmtKind::kText:
        out += s.text;
        return Flow::kNormal;
      case StmtKind::kPrint:
        out += to_str(eval(*s.expr, frame));
        return Flow::kNormal;
      case StmtKind::kIf:
        for (size_t i = 0; i < s.bodies.size(); ++i) {
          if (i >= s.conditions.size() || truthy(eval(*s.conditions[i], frame))) {
            return exec(s.bodies[i], frame, out);
          }
        }
        return Flow::kNormal;
      case StmtKind::kFor:
        exec_for(s, frame, out);
        return Flow::kNormal;
      case StmtKind::kSet:
        if (!s.attr.empty()) {
          Value ns = lookup(s.targets[0], frame);
          if (ns.kind() != Value::Kind::kNamespace) {
            fail(s.pos, "cannot assign attribute '" + s.attr + "' on '" + s.targets[0] +
                            "', which is not a namespace");
          }
          ns.namespace_dict().set(Value::string(s.attr), eval(*s.expr, frame));
        } else {
          assign(s.targets, eval(*s.expr, frame), frame, s.pos);
        }
        return Flow::kNormal;
      case StmtKind::kSetBlock: {
        std::string text;
        exec(s.bodies[0], frame, text);
        Value v = Value::string(text);
        if (s.expr) v = eval_filters(*s.expr, v, frame);
        frame.vars[s.targets[0]] = v;
        return Flow::kNormal;
      }
      case StmtKind::kMacro:
        frame.vars[s.text] = make_macro(s, s.text, frame);
        return Flow::kNormal;
      case StmtKind::kCallBlock: {
        Value caller = make_macro(s, "caller", frame);
        const Expr& call = *s.expr;
        Value fn = eval(*call.items[0], frame);
        CallArgs args = eval_args(call, frame);
        args.kwargs.emplace_back("caller", caller);
        out += to_str(invoke(fn, args, call.pos));
        return Flow::kNormal;
      }
      case StmtKind::kFilterBlock: {
        std::string text;
        exec(s.bodies[0], frame, text);
        out += to_str(eval_filters(*s.expr, Value::string(text), frame));
        return Flow::kNormal;
      }
      case StmtKind::kWith: {
        auto inner = child_of(&frame);
        for (size_t i = 0; i < s.targets.size(); ++i) {
          inner->vars[s.targets[i]] = eval(*s.conditions[i], frame);
        }
        return exec(s.bodies[0], *inner, out);
      }
      case StmtKind::kBreak:
        return Flow::kBreak;
      case StmtKind::kContinue:
        return Flow::kContinue;
    }
    return Flow::kNormal;
  }

  void assign(const std::vector<std::string>& targets, const Value& v, Frame& frame,
              const Pos& pos) {
    if (targets.size() == 1) {
      frame.vars[targets[0]] = v;
      return;
    }
    List items;
    try {
      items = iterate(v);
    } catch (const JinjaFailure& e) {
      fail(pos, std::string("cannot unpack: ") + e.what());
    }
    if (items.size() != targets.size()) {
      fail(pos, items.size() > targets.size()
                    ? str_cat("too many values to unpack (expected ", targets.size(), ")")
                    : str_cat("not enough values to unpack (expected ", targets.size(), ", got ",
                              items.size(), ")"));
    }
    for (size_t i = 0; i < targets.size(); ++i) frame.vars[targets[i]] = items[i];
  }

  void exec_for(const Stmt& s, Frame& frame, std::string& out) {
    const Value seq = eval(*s.expr, frame);
    List items;
    try {
      items = iterate(seq);
    } catch (const JinjaFailure& e) {
      fail(s.expr->pos, e.what());
    }
    if (s.cond) {
      List kept;
      for (const Value& item : items) {
        auto scope = child_of(&frame);
        assign(s.targets, item, *scope, s.pos);
        if (truthy(eval(*s.cond, *scope))) kept.push_back(item);
      }
      items = std::move(kept);
    }
    if (items.empty()) {
      if (s.bodies.size() > 1) exec(s.bodies[1], frame, out);
      return;
    }
    const int64_t n = static_cast<int64_t>(items.size());
    for (int64_t i = 0; i < n; ++i) {
      // Each iteration starts from a fresh scope, as in jinja2.
      auto inner = child_of(&frame);
      assign(s.targets, items[static_cast<size_t>(i)], *inner, s.pos);
      Dict loop;
      auto put = [&](const char* k, Value v) {
        loop.items.emplace_back(Value::string(k), std::move(v));
      };
      put("index", Value::integer(i + 1));
      put("index0", Value::integer(i));
      put("revindex", Value::integer(n - i));
      put("revindex0", Value::integer(n - i - 1));
      put("first", Value::boolean(i == 0));
      put("last", Value::boolean(i == n - 1));
      put("length", Value::integer(n));
      put("depth", Value::integer(1));
      put("depth0", Value::integer(0));
      put("previtem", i > 0 ? items[static_cast<size_t>(i - 1)]
                            : Value::undefined("there is no previous item"));
      put("nextitem", i + 1 < n ? items[static_cast<size_t>(i + 1)]
                                : Value::undefined("there is no next item"));
      put("cycle", Value::callable("loop.cycle", [i](CallArgs& a) {
            if (a.args.empty()) throw JinjaFailure("no items for cycling given");
            return a.args[static_cast<size_t>(i) % a.args.size()];
          }));
      inner->vars["loop"] = Value::dict(std::move(loop));
      if (exec(s.bodies[0], *inner, out) == Flow::kBreak) break;
    }
  }

  // A macro sees the variables of the scope it was defined in while that scope lives (a closure),
  // else the template's top level.
  Value make_macro(const Stmt& s, const std::string& name, Frame& frame) {
    const Stmt* def = &s;
    std::weak_ptr<Frame> closure = frame.weak_from_this();
    return Value::callable(name, [this, def, name, closure](CallArgs& a) -> Value {
      if (depth_ >= kMaxCallDepth) throw JinjaFailure("maximum recursion depth exceeded");
      const std::shared_ptr<Frame> scope = closure.lock();
      const std::shared_ptr<Frame> inner_frame = child_of(scope ? scope.get() : root_.get());
      Frame& inner = *inner_frame;
      const auto& params = def->params;
      if (a.args.size() > params.size()) {
        throw JinjaFailure(
            str_cat("macro '", name, "' takes not more than ", params.size(), " argument(s)"));
      }
      for (const auto& [k, v] : a.kwargs) {
        bool known = k == "caller";
        for (const Param& p : params) known = known || p.name == k;
        if (!known)
          throw JinjaFailure("macro '" + name + "' takes no keyword argument '" + k + "'");
        inner.vars[k] = v;
      }
      for (size_t i = 0; i < params.size(); ++i) {
        if (i < a.args.size()) {
          inner.vars[params[i].name] = a.args[i];
        } else if (!inner.vars.count(params[i].name)) {
          inner.vars[params[i].name] =
              params[i].default_value
                  ? eval(*params[i].default_value, inner)
                  : Value::undefined("parameter '" + params[i].name + "' was not provided");
        }
      }
      std::string text;
      ++depth_;
      exec(def->bodies[0], inner, text);
      --depth_;
      return Value::string(text);
    });
  }

  CallArgs eval_args(const Expr& e, Frame& frame) {
    CallArgs args;
    for (size_t i = 1; i < e.items.size(); ++i) args.args.push_back(eval(*e.items[i], frame));
    for (const auto& [k, v] : e.kwargs) args.kwargs.emplace_back(k, eval(*v, frame));
    if (e.star_args) {
      const Value more = eval(*e.star_args, frame);
      try {
        for (const Value& v : iterate(more)) args.args.push_back(v);
      } catch (const JinjaFailure& f) {
        fail(e.star_args->pos, f.what());
      }
    }
    if (e.star_kwargs) {
      const Value more = eval(*e.star_kwargs, frame);
      if (more.kind() != Value::Kind::kDict) {
        fail(e.star_kwargs->pos, "argument after ** must be a mapping, not " + type_name(more));
      }
      for (const auto& [k, v] : more.dict().items) {
        if (!k.is_string()) fail(e.star_kwargs->pos, "keywords must be strings");
        args.kwargs.emplace_back(k.str(), v);
      }
    }
    return args;
  }

  Value invoke(const Value& fn, CallArgs& args, const Pos& pos) {
    try {
      require_defined(fn);
      if (!fn.is_callable()) throw JinjaFailure("'" + type_name(fn) + "' object is not callable");
      return fn.callable().fn(args);
    } catch (const JinjaFailure& e) {
      fail(pos, e.what());
    } catch (const std::logic_error& e) {  // a number out of range inside a builtin
      fail(pos, std::string("invalid argument (") + e.what() + ")");
    }
  }

  // A filter chain whose innermost operand is null (a {% filter %} or set-block filter).
  Value eval_filters(const Expr& e, const Value& input, Frame& frame) {
    Value operand = e.items[0] ? eval_filters(*e.items[0], input, frame) : input;
    CallArgs args = eval_args(e, frame);
    try {
      return apply_filter(e.name, operand, args);
    } catch (const JinjaFailure& f) {
      fail(e.pos, f.what());
    } catch (const std::logic_error& f) {  // a number out of range inside a builtin
      fail(e.pos, std::string("invalid argument (") + f.what() + ")");
    }
  }

  Value eval(const Expr& e, Frame& frame) {
    try {
      return eval_impl(e, frame);
    } catch (const JinjaFailure& f) {
      fail(e.pos, f.what());
    } catch (const std::logic_error& f) {  // a number out of range inside a builtin
      fail(e.pos, std::string("invalid argument (") + f.what() + ")");
    }
  }

  Value eval_impl(const Expr& e, Frame& frame) {
    switch (e.kind) {
      case ExprKind::kLiteral:
        return e.value;
      case ExprKind::kName:
        return lookup(e.name, frame);
      case ExprKind::kList:
      case ExprKind::kTuple: {
        List items;
        for (const auto& i : e.items) items.push_back(eval(*i, frame));
        return Value::list(std::move(items), e.kind == ExprKind::kTuple);
      }
      case ExprKind::kDict: {
        Dict d;
        for (size_t i = 0; i + 1 < e.items.size(); i += 2) {
          Value k = eval(*e.items[i], frame);
          d.set(k, eval(*e.items[i + 1], frame));
        }
        return Value::dict(std::move(d));
      }
      case ExprKind::kAttr:
        return get_attr(eval(*e.items[0], frame), e.name);
      case ExprKind::kItem: {
        Value obj = eval(*e.items[0], frame);
        return get_item(obj, eval(*e.items[1], frame));
      }
      case ExprKind::kSlice: {
        Value obj = eval(*e.items[0], frame);
        Value parts[3];
        for (int i = 0; i < 3; ++i) {
          if (e.items[static_cast<size_t>(i) + 1])
            parts[i] = eval(*e.items[static_cast<size_t>(i) + 1], frame);
        }
        return slice(obj, parts[0], parts[1], parts[2]);
      }
      case ExprKind::kCall: {
        Value fn = eval(*e.items[0], frame);
        CallArgs args = eval_args(e, frame);
        return invoke(fn, args, e.pos);
      }
      case ExprKind::kFilter: {
        Value operand = eval(*e.items[0], frame);
        CallArgs args = eval_args(e, frame);
        return apply_filter(e.name, operand, args);
      }
      case ExprKind::kTest: {
        Value operand = eval(*e.items[0], frame);
        CallArgs args = eval_args(e, frame);
        return Value::boolean(apply_test(e.name, operand, args) != e.negated);
      }
      case ExprKind::kUnary: {
        Value v = eval(*e.items[0], frame);
        if (e.name == "not") return Value::boolean(!truthy(v));
        return negate(v, e.name == "-");
      }
      case ExprKind::kBinary: {
        Value a = eval(*e.items[0], frame);
        if (e.name == "and") return truthy(a) ? eval(*e.items[1], frame) : a;
        if (e.name == "or") return truthy(a) ? a : eval(*e.items[1], frame);
        return binary_op(e.name, a, eval(*e.items[1], frame));
      }
      case ExprKind::kCompare: {
        Value left = eval(*e.items[0], frame);
        for (size_t i = 0; i < e.ops.size(); ++i) {
          Value right = eval(*e.items[i + 1], frame);
          const std::string& op = e.ops[i];
          bool r;
          if (op == "==") {
            r = equals(left, right);
          } else if (op == "!=") {
            r = !equals(left, right);
          } else if (op == "in" || op == "notin") {
            r = contains(right, left) == (op == "in");
          } else {
            const int c = compare(left, right, op.c_str());
            r = op == "<" ? c < 0 : op == "<=" ? c <= 0 : op == ">" ? c > 0 : c >= 0;
          }
          if (!r) return Value::boolean(false);
          left = std::move(right);
        }
        return Value::boolean(true);
      }
      case ExprKind::kCondition:
        if (truthy(eval(*e.items[1], frame))) return eval(*e.items[0], frame);
        if (e.items[2]) return eval(*e.items[2], frame);
        return Value::undefined(str_cat("the inline if-expression on line ", e.pos.line,
                                        " evaluated to false and no else section was defined."));
    }
    return Value();
  }

  const std::string& name_;
  std::shared_ptr<Frame> root_ = std::make_shared<Frame>();
  int depth_ = 0;
};

}  // namespace

std::string render(const TemplateAst& ast, const std::string& name, const Value& context,
                   const RenderOptions& options) {
  Renderer r(name, options);
  return r.run(ast, context);
}

}  // namespace llmkit::prompt::jinja
