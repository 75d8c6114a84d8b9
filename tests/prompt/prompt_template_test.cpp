// PromptTemplate: variables inferred in order of first appearance, escapes, error positions,
// missing/unknown names in errors, partial application with strings and functions.
#include "llmkit/prompt/prompt_template.h"
#include "tests/prompt/prompt_test_util.h"

#include <gtest/gtest.h>

#include "llmkit/base/error.h"

namespace llmkit::prompt {
namespace {

using Names = std::vector<std::string>;

using testing::error_of;

TEST(PromptTemplate, InfersVariablesInOrderOfFirstAppearance) {
  PromptTemplate t("{b} and {a}, then {b} again; {_x1} {A}");
  EXPECT_EQ(t.variables(), (Names{"b", "a", "_x1", "A"}));
  EXPECT_EQ(t.input_variables(), t.variables());
  EXPECT_EQ(PromptTemplate("no variables").variables(), Names{});
  EXPECT_EQ(PromptTemplate("").variables(), Names{});
}

TEST(PromptTemplate, FormatsEveryOccurrence) {
  PromptTemplate t("{b} and {a}, then {b} again");
  EXPECT_EQ(t.format({{"a", "1"}, {"b", "two"}}), "two and 1, then two again");
  EXPECT_EQ(PromptTemplate("plain").format({}), "plain");
  EXPECT_EQ(PromptTemplate("").format({}), "");
}

TEST(PromptTemplate, ValuesAreInsertedLiterally) {
  PromptTemplate t("<{x}>");
  EXPECT_EQ(t.format({{"x", "{y} {{z}} }"}}), "<{y} {{z}} }>");
}

TEST(PromptTemplate, DoubleBracesAreLiteralBraces) {
  PromptTemplate t("{{\"k\": {v}}} {{name}} }}{{");
  EXPECT_EQ(t.variables(), Names{"v"});
  EXPECT_EQ(t.format({{"v", "1"}}), "{\"k\": 1} {name} }{");
  // "{{{x}}}": an escaped brace, the variable, an escaped brace (as Python's str.format)
  EXPECT_EQ(PromptTemplate("{{{x}}}").format({{"x", "7"}}), "{7}");
}

TEST(PromptTemplate, UnclosedBraceNamesItsColumn) {
  const auto msg = error_of([] { PromptTemplate("Hello {name"); });
  EXPECT_NE(msg.find("unclosed '{'"), std::string::npos) << msg;
  EXPECT_NE(msg.find("line 1, column 7"), std::string::npos) << msg;
  // another '{' before any '}' leaves the first unclosed
  const auto msg2 = error_of([] { PromptTemplate("ab{c{d}"); });
  EXPECT_NE(msg2.find("unclosed '{' at line 1, column 3"), std::string::npos) << msg2;
}

TEST(PromptTemplate, MalformedVariableNamesItsLineAndColumn) {
  // columns count characters, not bytes: "é" is two bytes
  const auto msg = error_of([] { PromptTemplate("first line\nsé {1abc} x"); });
  EXPECT_NE(msg.find("malformed variable '{1abc}'"), std::string::npos) << msg;
  EXPECT_NE(msg.find("line 2, column 4"), std::string::npos) << msg;
  for (const char* bad : {"{}", "{ x }", "{a.b}", "{a-b}", "{x!r}"}) {
    const auto m = error_of([&] { PromptTemplate{bad}; });
    EXPECT_NE(m.find("malformed variable"), std::string::npos) << bad << ": " << m;
    EXPECT_NE(m.find("column 1"), std::string::npos) << bad << ": " << m;
  }
}

TEST(PromptTemplate, LoneClosingBraceIsAnError) {
  const auto msg = error_of([] { PromptTemplate("a } b"); });
  EXPECT_NE(msg.find("unmatched '}' at line 1, column 3"), std::string::npos) << msg;
  const auto msg2 = error_of([] { PromptTemplate("{a}}"); });
  EXPECT_NE(msg2.find("unmatched '}' at line 1, column 4"), std::string::npos) << msg2;
}

TEST(PromptTemplate, MissingAndUnknownValuesAreNamed) {
  PromptTemplate t("{greeting}, {name}! {mood}");
  const auto msg = error_of([&] { t.format({{"name", "Ann"}, {"nmae", "x"}, {"zzz", "y"}}); });
  EXPECT_NE(msg.find("missing values for greeting, mood"), std::string::npos) << msg;
  EXPECT_NE(msg.find("unknown variables nmae, zzz"), std::string::npos) << msg;
  const auto only_missing = error_of([&] { t.format({{"name", "Ann"}}); });
  EXPECT_NE(only_missing.find("greeting, mood"), std::string::npos) << only_missing;
  EXPECT_EQ(only_missing.find("unknown"), std::string::npos) << only_missing;
  // kIgnore tolerates extra names but not missing ones
  EXPECT_EQ(t.format_with({{"greeting", "Hi"}, {"name", "Ann"}, {"mood", ":)"}, {"extra", "e"}},
                          ExtraValues::kIgnore),
            "Hi, Ann! :)");
  const auto ignored = error_of([&] { t.format_with({{"extra", "e"}}, ExtraValues::kIgnore); });
  EXPECT_NE(ignored.find("missing values for greeting, name, mood"), std::string::npos) << ignored;
}

TEST(PromptTemplate, PartialBindsStrings) {
  PromptTemplate t("{a}-{b}-{c}");
  PromptTemplate p = t.partial({{"b", std::string("B")}});
  EXPECT_EQ(p.variables(), (Names{"a", "b", "c"}));
  EXPECT_EQ(p.input_variables(), (Names{"a", "c"}));
  EXPECT_EQ(p.partial_variables(), Names{"b"});
  EXPECT_EQ(p.format({{"a", "A"}, {"c", "C"}}), "A-B-C");
  // the original is unchanged
  EXPECT_EQ(t.input_variables(), (Names{"a", "b", "c"}));
  // a value given at format time replaces the binding for that call
  EXPECT_EQ(p.format({{"a", "A"}, {"b", "x"}, {"c", "C"}}), "A-x-C");
  // binding again replaces; chaining binds more
  PromptTemplate q = p.partial({{"b", std::string("BB")}}).partial({{"c", std::string("CC")}});
  EXPECT_EQ(q.input_variables(), Names{"a"});
  EXPECT_EQ(q.format({{"a", "A"}}), "A-BB-CC");
  // a bound variable is not "missing", an unbound one still is
  const auto msg = error_of([&] { p.format({{"a", "A"}}); });
  EXPECT_NE(msg.find("missing values for c"), std::string::npos) << msg;
}

TEST(PromptTemplate, PartialFunctionsAreCalledAtFormatTime) {
  int calls = 0;
  PromptTemplate t =
      PromptTemplate("{n} {n} {x}").partial({{"n", std::function<std::string()>([&calls] {
                                                return std::to_string(++calls);
                                              })}});
  EXPECT_EQ(calls, 0);
  EXPECT_EQ(t.format({{"x", "a"}}), "1 1 a");  // once per format, not per occurrence
  EXPECT_EQ(t.format({{"x", "b"}}), "2 2 b");
  EXPECT_EQ(calls, 2);
  // plain literals and lambdas convert to PartialValue
  EXPECT_EQ(PromptTemplate("{a}{b}")
                .partial({{"a", "x"}, {"b", [] { return std::string("y"); }}})
                .format({}),
            "xy");
}

TEST(PromptTemplate, PartialOfUnknownNameIsAnError) {
  const auto msg = error_of([] { PromptTemplate("{a}").partial({{"b", std::string("1")}}); });
  EXPECT_NE(msg.find("unknown variables b"), std::string::npos) << msg;
}

}  // namespace
}  // namespace llmkit::prompt
