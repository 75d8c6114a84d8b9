// The calculator (llmkit/chain/calculator.h) against independent evaluations: Python's own
// parser and math module on fixed and random expressions (tests/chain/calculator_reference.py),
// and hand-computed double arithmetic that needs no Python.
#include "llmkit/chain/calculator.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <cstdlib>
#include <fstream>
#include <numbers>
#include <random>
#include <sstream>

#include "llmkit/base/error.h"

namespace llmkit::chain {
namespace {

using nlohmann::json;

std::string error_of(const std::string& expr) {
  try {
    double v = evaluate_expression(expr);
    return "no error, value " + std::to_string(v);
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kInvalidArgument);
    return e.what();
  }
}

TEST(Calculator, HandComputedValues) {
  EXPECT_DOUBLE_EQ(evaluate_expression("1 + 2 * 3"), 7.0);
  EXPECT_DOUBLE_EQ(evaluate_expression("(1 + 2) * 3"), 9.0);
  EXPECT_DOUBLE_EQ(evaluate_expression("2 ^ 3 ^ 2"), 512.0);  // right-associative
  EXPECT_DOUBLE_EQ(evaluate_expression("2 ** 3 ** 2"), 512.0);
  EXPECT_DOUBLE_EQ(evaluate_expression("-2 ^ 2"), -4.0);
  EXPECT_DOUBLE_EQ(evaluate_expression("2 ^ -1"), 0.5);
  EXPECT_DOUBLE_EQ(evaluate_expression("--3"), 3.0);
  EXPECT_DOUBLE_EQ(evaluate_expression("7 / 2"), 3.5);
  EXPECT_DOUBLE_EQ(evaluate_expression("7 % 3"), 1.0);
  EXPECT_DOUBLE_EQ(evaluate_expression("-7 % 3"), 2.0);  // floored: sign of the divisor
  EXPECT_DOUBLE_EQ(evaluate_expression("7 % -3"), -2.0);
  EXPECT_DOUBLE_EQ(evaluate_expression("5.5 % 2"), 1.5);
  EXPECT_DOUBLE_EQ(evaluate_expression("1e3 + .5 + 2.5E-1"), 1000.75);
  EXPECT_DOUBLE_EQ(evaluate_expression("sqrt(16) + abs(-3)"), 7.0);
  EXPECT_DOUBLE_EQ(evaluate_expression("min(4, 2, 8) * max(1, 5)"), 10.0);
  EXPECT_DOUBLE_EQ(evaluate_expression("round(2.5) + round(-2.5) + round(2.4)"), 2.0);
  EXPECT_DOUBLE_EQ(evaluate_expression("floor(-1.5) + ceil(-1.5)"), -3.0);
  EXPECT_DOUBLE_EQ(evaluate_expression("log(e)"), 1.0);
  EXPECT_NEAR(evaluate_expression("log(8, 2)"), 3.0, 1e-15);
  EXPECT_DOUBLE_EQ(evaluate_expression("exp(0) + sin(0) + cos(0)"), 2.0);
  EXPECT_DOUBLE_EQ(evaluate_expression("2 * pi"), 2 * std::numbers::pi);
  EXPECT_DOUBLE_EQ(evaluate_expression(" 3\t*\n4 "), 12.0);
}

TEST(Calculator, ErrorsAreClearAndNameTheProblem) {
  EXPECT_NE(error_of("1 / 0").find("division by zero"), std::string::npos);
  EXPECT_NE(error_of("1 / (2 - 2)").find("division by zero"), std::string::npos);
  EXPECT_NE(error_of("5 % 0").find("modulo by zero"), std::string::npos);
  EXPECT_NE(error_of("0 ^ -1").find("division by zero"), std::string::npos);
  EXPECT_NE(error_of("sqrt(-1)").find("sqrt of the negative number"), std::string::npos);
  EXPECT_NE(error_of("log(0)").find("log of 0"), std::string::npos);
  EXPECT_NE(error_of("(-8) ^ (1/3)").find("not a finite number"), std::string::npos);
  EXPECT_NE(error_of("exp(1000)").find("not a finite number"), std::string::npos);
  EXPECT_NE(error_of("10 ^ 400").find("not a finite number"), std::string::npos);
  EXPECT_NE(error_of("1 +").find("unexpected end"), std::string::npos);
  EXPECT_NE(error_of("(1 + 2").find("expected ')'"), std::string::npos);
  EXPECT_NE(error_of("1 + 2)").find("character 6: unexpected ')'"), std::string::npos);
  EXPECT_NE(error_of("2 3").find("missing operator"), std::string::npos);
  EXPECT_NE(error_of("2(3)").find("missing operator"), std::string::npos);
  EXPECT_NE(error_of("x + 1").find("unknown name 'x'"), std::string::npos);
  EXPECT_NE(error_of("system(1)").find("unknown function 'system'"), std::string::npos);
  EXPECT_NE(error_of("__import__('os')").find("bad expression"), std::string::npos);
  EXPECT_NE(error_of("sqrt(1, 2)").find("sqrt() takes 1 argument, got 2"), std::string::npos);
  EXPECT_NE(error_of("min()").find("min() takes"), std::string::npos);
  EXPECT_NE(error_of("").find("empty expression"), std::string::npos);
  EXPECT_NE(error_of("1 +* 2").find("unexpected '*'"), std::string::npos);
  EXPECT_NE(error_of(std::string(500, '(') + "1" + std::string(500, ')')).find("nested deeper"),
            std::string::npos);
  EXPECT_NE(error_of(std::string(20000, '1')).find("longer than the limit"), std::string::npos);
}

// Random expressions over the whole grammar; exponents stay small so that both sides keep to
// doubles (Python's integers would otherwise grow past what a double holds).
class ExpressionGenerator {
 public:
  explicit ExpressionGenerator(uint32_t seed) : rng_(seed) {}
  std::string expr(int depth) {
    std::string s = term(depth);
    for (int n = pick(3); n > 0; --n) s += std::string(pick(2) ? " + " : " - ") + term(depth);
    return s;
  }

 private:
  int pick(int n) { return static_cast<int>(rng_() % static_cast<uint32_t>(n)); }
  std::string number() {
    switch (pick(4)) {
      case 0:
        return std::to_string(pick(20));
      case 1:
        return std::to_string(pick(100)) + "." + std::to_string(pick(100));
      case 2:
        return "." + std::to_string(1 + pick(9));
      default:
        return std::to_string(1 + pick(9)) + "e" + std::to_string(pick(3));
    }
  }
  std::string term(int depth) {
    std::string s = factor(depth);
    static const char* ops[] = {" * ", " / ", " % "};
    for (int n = pick(3); n > 0; --n) s += ops[pick(3)] + factor(depth);
    return s;
  }
  std::string factor(int depth) {
    std::string s = (pick(4) == 0 ? "-" : "") + atom(depth);
    if (pick(5) == 0) {
      s += pick(2) ? " ^ " : " ** ";
      s += (pick(3) == 0 ? "-" : "") + std::to_string(pick(4));
    }
    return s;
  }
  std::string atom(int depth) {
    const int k = depth > 3 ? 0 : pick(6);
    if (k <= 2) return pick(8) == 0 ? (pick(2) ? "pi" : "e") : number();
    if (k == 3) return "(" + expr(depth + 1) + ")";
    static const char* one[] = {"sqrt", "abs", "round", "floor", "ceil",
                                "log",  "exp", "sin",   "cos",   "tan"};
    if (k == 4) return std::string(one[pick(10)]) + "(" + expr(depth + 1) + ")";
    std::string s = std::string(pick(2) ? "min" : "max") + "(" + expr(depth + 1);
    for (int n = 1 + pick(2); n > 0; --n) s += ", " + expr(depth + 1);
    return s + ")";
  }
  std::mt19937 rng_;
};

bool python_available() {
  static const bool ok = std::system("/usr/bin/python3 -c 'import math' >/dev/null 2>&1") == 0;
  return ok;
}

json python_results(const std::vector<std::string>& exprs) {
  const std::string base = ::testing::TempDir() + "calc_ref_" + std::to_string(::getpid());
  std::ofstream(base + ".in.json") << json(exprs).dump();
  const std::string cmd = "/usr/bin/python3 " LLMKIT_SOURCE_DIR
                          "/tests/chain/calculator_reference.py < " +
                          base + ".in.json > " + base + ".out.json";
  EXPECT_EQ(std::system(cmd.c_str()), 0) << cmd;
  std::ifstream in(base + ".out.json");
  std::stringstream s;
  s << in.rdbuf();
  std::remove((base + ".in.json").c_str());
  std::remove((base + ".out.json").c_str());
  return json::parse(s.str());
}

TEST(Calculator, AgreesWithPythonOnRandomExpressions) {
  if (!python_available()) GTEST_SKIP() << "/usr/bin/python3 is not available";
  ExpressionGenerator gen(42);
  std::vector<std::string> exprs = {"2^3^2",        "-2**2", "7 % -3",    "-7.5 % 2",
                                    "(-8) ^ (1/3)", "1/0",   "log(8, 2)", "max(1, 2, 3) % 2",
                                    "2 ** -2"};
  for (int i = 0; i < 2000; ++i) exprs.push_back(gen.expr(0));
  const json ref = python_results(exprs);
  ASSERT_EQ(ref.size(), exprs.size());
  int n_ok = 0, n_err = 0;
  for (size_t i = 0; i < exprs.size(); ++i) {
    const bool ref_ok = ref[i]["ok"].get<bool>();
    try {
      const double v = evaluate_expression(exprs[i]);
      ASSERT_TRUE(ref_ok) << exprs[i] << " = " << v << " here, an error in Python";
      const double want = ref[i]["value"].get<double>();
      EXPECT_NEAR(v, want, 1e-9 * std::max(1.0, std::fabs(want))) << exprs[i];
      ++n_ok;
    } catch (const Error& e) {
      EXPECT_FALSE(ref_ok) << exprs[i] << ": " << e.what() << " here, "
                           << (ref_ok ? ref[i]["value"].dump() : "") << " in Python";
      ++n_err;
    }
  }
  EXPECT_GT(n_ok, 400);  // the comparison covered values, not only errors
  EXPECT_GT(n_err, 10);
}

TEST(Calculator, ToolValidatesArgumentsAndReportsErrorsAsObservations) {
  auto tool = make_calculator_tool();
  EXPECT_EQ(tool->name(), "calculator");
  EXPECT_EQ(tool->invoke({{"expression", "6 * 7"}}), "42");
  EXPECT_EQ(tool->invoke({{"expression", "1 / 3"}}), "0.333333333333333");
  EXPECT_EQ(tool->invoke({{"expression", "-0.0"}}), "0");
  const ToolResult div = tool->call({{"expression", "1 / 0"}});
  EXPECT_FALSE(div.ok);
  EXPECT_EQ(div.observation.rfind("Error: ", 0), 0u) << div.observation;
  EXPECT_NE(div.observation.find("division by zero"), std::string::npos);
  const ToolResult bad = tool->call({{"expr", "1"}});
  EXPECT_FALSE(bad.ok);
  EXPECT_NE(bad.error.find("/expression: required property is missing"), std::string::npos)
      << bad.error;
  EXPECT_NE(bad.error.find("/expr: unknown property"), std::string::npos) << bad.error;
  EXPECT_FALSE(tool->call({{"expression", 5}}).ok);
  EXPECT_EQ(format_number(1e20), "1e+20");
  EXPECT_EQ(format_number(-12), "-12");
}

}  // namespace
}  // namespace llmkit::chain
