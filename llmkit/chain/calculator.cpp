#include "llmkit/chain/calculator.h"

#include <cmath>
#include <cstdio>
#include <numbers>
#include <vector>

#include "llmkit/base/error.h"

namespace llmkit::chain {

namespace {

// Recursive-descent parser that evaluates as it parses; depth_ bounds the recursion.
class Evaluator {
 public:
  explicit Evaluator(const std::string& text) : s_(text) {}

  double run() {
    LLMKIT_CHECK(s_.size() <= kMaxExpressionChars, "expression of ", s_.size(),
                 " characters is longer than the limit of ", kMaxExpressionChars);
    skip_space();
    LLMKIT_CHECK(pos_ < s_.size(), "empty expression");
    double v = expr();
    skip_space();
    if (pos_ < s_.size()) fail("unexpected '" + std::string(1, s_[pos_]) + "'");
    check_finite(v, "the result");
    return v;
  }

 private:
  [[noreturn]] void fail(const std::string& what) const {
    throw_error(ErrorCode::kInvalidArgument,
                str_cat("bad expression at character ", pos_ + 1, ": ", what, " in \"", s_, "\""));
  }
  static void check_finite(double v, const std::string& what) {
    LLMKIT_CHECK(std::isfinite(v), what, " is not a finite number (overflow or undefined)");
  }

  void skip_space() {
    while (pos_ < s_.size() &&
           (s_[pos_] == ' ' || s_[pos_] == '\t' || s_[pos_] == '\n' || s_[pos_] == '\r')) {
      ++pos_;
    }
  }
  bool eat(const char* token) {
    skip_space();
    size_t n = std::char_traits<char>::length(token);
    if (s_.compare(pos_, n, token) != 0) return false;
    pos_ += n;
    return true;
  }
  bool peek(char c) {
    skip_space();
    return pos_ < s_.size() && s_[pos_] == c;
  }

  struct Depth {
    explicit Depth(Evaluator& e) : e_(e) {
      if (++e_.depth_ > kMaxExpressionDepth) {
        e_.fail(str_cat("nested deeper than ", kMaxExpressionDepth, " levels"));
      }
    }
    ~Depth() { --e_.depth_; }
    Evaluator& e_;
  };

  double expr() {
    Depth guard(*this);
    double v = term();
    for (;;) {
      if (eat("+")) {
        v += term();
      } else if (eat("-")) {
        v -= term();
      } else {
        return v;
      }
    }
  }

  double term() {
    double v = unary();
    for (;;) {
      skip_space();
      if (s_.compare(pos_, 2, "**") == 0) return v;  // handled by power()
      if (eat("*")) {
        v *= unary();
      } else if (eat("/")) {
        double d = unary();
        if (d == 0) fail("division by zero");
        v /= d;
      } else if (eat("%")) {
        double d = unary();
        if (d == 0) fail("modulo by zero");
        // fmod is exact; shifting by d when the signs differ gives the floored result.
        double r = std::fmod(v, d);
        if (r != 0 && ((r < 0) != (d < 0))) r += d;
        v = r;
      } else {
        return v;
      }
    }
  }

  double unary() {
    Depth guard(*this);
    if (eat("-")) return -unary();
    if (eat("+")) return unary();
    return power();
  }

  double power() {
    double base = primary();
    if (eat("**") || eat("^")) {
      double exponent = unary();
      double v = std::pow(base, exponent);
      if (base == 0 && exponent < 0) fail("division by zero (0 to a negative power)");
      check_finite(v, str_cat(base, " ^ ", exponent));
      return v;
    }
    return base;
  }

  double number() {
    const size_t start = pos_;
    auto digits = [&] {
      size_t n = 0;
      while (pos_ < s_.size() && s_[pos_] >= '0' && s_[pos_] <= '9') ++pos_, ++n;
      return n;
    };
    size_t n = digits();
    if (pos_ < s_.size() && s_[pos_] == '.') {
      ++pos_;
      n += digits();
    }
    if (n == 0) fail("expected a number");
    if (pos_ < s_.size() && (s_[pos_] == 'e' || s_[pos_] == 'E')) {
      const size_t mark = pos_++;
      if (pos_ < s_.size() && (s_[pos_] == '+' || s_[pos_] == '-')) ++pos_;
      if (digits() == 0) pos_ = mark;  // "2e" is 2 followed by the name e: rejected below
    }
    const std::string text = s_.substr(start, pos_ - start);
    double v = std::strtod(text.c_str(), nullptr);
    if (!std::isfinite(v)) fail("number " + text + " is too large");
    return v;
  }

  double primary() {
    Depth guard(*this);
    skip_space();
    if (pos_ >= s_.size()) fail("unexpected end of the expression");
    const char c = s_[pos_];
    if ((c >= '0' && c <= '9') || c == '.') {
      double v = number();
      skip_space();
      if (pos_ < s_.size() && (std::isalnum(static_cast<unsigned char>(s_[pos_])) ||
                               s_[pos_] == '(' || s_[pos_] == '.')) {
        fail("missing operator after a number");
      }
      return v;
    }
    if (c == '(') {
      ++pos_;
      double v = expr();
      if (!eat(")")) fail("expected ')'");
      return v;
    }
    if (std::isalpha(static_cast<unsigned char>(c)) || c == '_') {
      const size_t start = pos_;
      while (pos_ < s_.size() &&
             (std::isalnum(static_cast<unsigned char>(s_[pos_])) || s_[pos_] == '_')) {
        ++pos_;
      }
      const std::string id = s_.substr(start, pos_ - start);
      if (!peek('(')) {
        if (id == "pi") return std::numbers::pi;
        if (id == "e") return std::numbers::e;
        pos_ = start;
        fail("unknown name '" + id + "' (constants: pi, e)");
      }
      ++pos_;  // '('
      std::vector<double> args;
      if (!peek(')')) {
        do {
          args.push_back(expr());
        } while (eat(","));
      }
      if (!eat(")")) fail("expected ')' or ',' in the arguments of " + id);
      return call(id, args, start);
    }
    fail("unexpected '" + std::string(1, c) + "'");
  }

  double call(const std::string& f, const std::vector<double>& a, size_t at) {
    auto arity = [&](size_t lo, size_t hi) {
      if (a.size() < lo || a.size() > hi) {
        pos_ = at;
        const std::string count = lo == hi    ? str_cat(lo)
                                  : hi > 1000 ? str_cat("at least ", lo)
                                              : str_cat(lo, " or ", hi);
        fail(str_cat(f, "() takes ", count, " argument", hi == 1 ? "" : "s", ", got ", a.size()));
      }
    };
    if (f == "min" || f == "max") {
      arity(1, 1000000);
      double v = a[0];
      for (double x : a) v = f == "min" ? std::min(v, x) : std::max(v, x);
      return v;
    }
    if (f == "log") {
      arity(1, 2);
      if (a[0] <= 0) fail(str_cat("log of ", a[0], " is undefined (needs a positive number)"));
      if (a.size() == 1) return std::log(a[0]);
      if (a[1] <= 0 || a[1] == 1) fail(str_cat("log base ", a[1], " is invalid"));
      return std::log(a[0]) / std::log(a[1]);
    }
    arity(1, 1);
    const double x = a[0];
    if (f == "sqrt") {
      if (x < 0) fail(str_cat("sqrt of the negative number ", x));
      return std::sqrt(x);
    }
    if (f == "abs") return std::fabs(x);
    if (f == "round") return std::round(x);
    if (f == "floor") return std::floor(x);
    if (f == "ceil") return std::ceil(x);
    if (f == "exp") {
      double v = std::exp(x);
      check_finite(v, str_cat("exp(", x, ")"));
      return v;
    }
    if (f == "sin") return std::sin(x);
    if (f == "cos") return std::cos(x);
    if (f == "tan") return std::tan(x);
    pos_ = at;
    fail("unknown function '" + f +
         "' (functions: sqrt, abs, min, max, round, floor, ceil, log, exp, sin, cos, tan)");
  }

  const std::string& s_;
  size_t pos_ = 0;
  int depth_ = 0;
};

}  // namespace

double evaluate_expression(const std::string& expression) {
  return Evaluator(expression).run();
}

std::string format_number(double value) {
  if (value == std::floor(value) && std::fabs(value) < 1e15) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.0f", value == 0 ? 0.0 : value);
    return buf;
  }
  char buf[40];
  std::snprintf(buf, sizeof buf, "%.15g", value);
  return buf;
}

ToolPtr make_calculator_tool() {
  nlohmann::json schema = {
      {"type", "object"},
      {"properties",
       {{"expression",
         {{"type", "string"},
          {"minLength", 1},
          {"maxLength", kMaxExpressionChars},
          {"description",
           "An arithmetic expression, e.g. \"(2 + 3) * sqrt(16) / 2\". Operators: + - * / % "
           "^ (or **), parentheses; functions sqrt abs min max round floor ceil log exp sin cos "
           "tan; constants pi e."}}}}},
      {"required", {"expression"}},
      {"additionalProperties", false}};
  return make_tool(
      "calculator", "Evaluates an arithmetic expression exactly as written and returns the number.",
      std::move(schema), [](const nlohmann::json& args) {
        return format_number(evaluate_expression(args["expression"].get<std::string>()));
      });
}

}  // namespace llmkit::chain
