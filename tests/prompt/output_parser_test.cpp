// Output parsers on fenced, unfenced, prose-wrapped and broken model outputs; every failure is an
// OutputParseError carrying the raw output. Expected JSON values are built with nlohmann literals.
#include "llmkit/prompt/output_parser.h"

#include <gtest/gtest.h>

namespace llmkit::prompt {
namespace {

using nlohmann::json;
using Strs = std::vector<std::string>;
using Map = std::map<std::string, std::string>;

// The OutputParseError f throws, checking it carries raw; returns its message.
template <typename F>
std::string parse_error(F&& f, const std::string& raw) {
  try {
    f();
  } catch (const OutputParseError& e) {
    EXPECT_EQ(e.raw(), raw);
    EXPECT_EQ(e.code(), ErrorCode::kInvalidArgument);
    const Error& base = e;  // catchable as llmkit::Error
    EXPECT_STREQ(base.what(), e.what());
    return e.what();
  }
  ADD_FAILURE() << "expected an OutputParseError for: " << raw;
  return "";
}

TEST(JsonOutputParser, BareValues) {
  JsonOutputParser p;
  EXPECT_EQ(p.parse(R"({"a": 1, "b": [true, null]})"), json({{"a", 1}, {"b", {true, nullptr}}}));
  EXPECT_EQ(p.parse("  [1, 2, 3]\n"), json({1, 2, 3}));
  EXPECT_EQ(p.parse("42"), json(42));
  EXPECT_EQ(p.parse(R"("text")"), json("text"));
  EXPECT_EQ(p.parse("false"), json(false));
}

TEST(JsonOutputParser, FencedBlocks) {
  JsonOutputParser p;
  EXPECT_EQ(p.parse("Here you go:\n```json\n{\"name\": \"Ann\", \"age\": 7}\n```\nAnything else?"),
            json({{"name", "Ann"}, {"age", 7}}));
  EXPECT_EQ(p.parse("```\n[\"x\", \"y\"]\n```"), json({"x", "y"}));
  // unclosed fence (generation stopped at the closing backticks)
  EXPECT_EQ(p.parse("```json\n{\"ok\": true}\n"), json({{"ok", true}}));
  // a non-JSON fence first, the JSON in prose after it
  EXPECT_EQ(p.parse("```python\nprint(1)\n```\nResult: {\"v\": 1}"), json({{"v", 1}}));
}

TEST(JsonOutputParser, FirstBalancedValueInProse) {
  JsonOutputParser p;
  EXPECT_EQ(p.parse("Sure! The answer is {\"a\": {\"b\": [1, 2]}} as requested."),
            json({{"a", {{"b", {1, 2}}}}}));
  // brackets inside strings do not end the value
  EXPECT_EQ(p.parse(R"(Result: {"s": "a } ] \" {", "t": 2}. Done.)"),
            json({{"s", "a } ] \" {"}, {"t", 2}}));
  // a balanced span that is not JSON is skipped for a later one
  EXPECT_EQ(p.parse("See [note 1]. Data: [1, 2]"), json({1, 2}));
  // ... as a whole: an array inside a broken object is not taken for the answer
  const std::string broken = R"(Answer: {"items": [1, 2], "x": oops} and [3])";
  EXPECT_EQ(p.parse(broken), json({3}));
}

TEST(JsonOutputParser, BrokenOutputsCarryTheRawText) {
  JsonOutputParser p;
  const std::string none = "I cannot answer that.";
  EXPECT_NE(parse_error([&] { p.parse(none); }, none).find("no JSON value found"),
            std::string::npos);
  const std::string trailing_comma = "```json\n{\"a\": 1,}\n```";
  const auto msg = parse_error([&] { p.parse(trailing_comma); }, trailing_comma);
  EXPECT_NE(msg.find("JSON output parser"), std::string::npos) << msg;
  EXPECT_NE(msg.find("parse error"), std::string::npos) << msg;
  const std::string cut = "Here: {\"a\": [1, 2";
  EXPECT_NE(parse_error([&] { p.parse(cut); }, cut).find("never closed"), std::string::npos);
  parse_error([&] { p.parse(""); }, "");
}

TEST(JsonOutputParser, FormatInstructionsQuoteTheSchema) {
  EXPECT_NE(JsonOutputParser().format_instructions().find("JSON"), std::string::npos);
  const std::string schema = R"({"type": "object", "required": ["name"]})";
  EXPECT_NE(JsonOutputParser(schema).format_instructions().find(schema), std::string::npos);
}

TEST(FirstFencedBlock, LanguageAndContent) {
  const auto b = first_fenced_block("x\n``` JSON \n{1}\n```\n```y```");
  EXPECT_TRUE(b.found);
  EXPECT_EQ(b.language, "JSON");
  EXPECT_EQ(b.content, "{1}\n");
  EXPECT_FALSE(first_fenced_block("no fence").found);
}

TEST(ListOutputParser, Comma) {
  ListOutputParser p;
  EXPECT_EQ(p.parse("red, green ,blue"), (Strs{"red", "green", "blue"}));
  EXPECT_EQ(p.parse(" one ,, two,\n"), (Strs{"one", "two"}));
  EXPECT_EQ(p.parse("single"), (Strs{"single"}));
  parse_error([&] { p.parse(" , ,\n"); }, " , ,\n");
}

TEST(ListOutputParser, NewlineStripsBullets) {
  ListOutputParser p(ListOutputParser::Style::kNewline);
  EXPECT_EQ(p.parse("- apples\n* pears\n\n+ plums\n\xE2\x80\xA2 figs\n  kiwis  \n-5 degrees\n"),
            (Strs{"apples", "pears", "plums", "figs", "kiwis", "-5 degrees"}));
  parse_error([&] { p.parse("\n  \n"); }, "\n  \n");
}

TEST(ListOutputParser, NumberedTakesNumberedLinesOnly) {
  ListOutputParser p(ListOutputParser::Style::kNumbered);
  const std::string text = "Here are three:\n1. Paris\n 2) Rome \n10. Oslo, Norway\nThat's all.";
  EXPECT_EQ(p.parse(text), (Strs{"Paris", "Rome", "Oslo, Norway"}));
  const std::string none = "- Paris\n- Rome";
  EXPECT_NE(parse_error([&] { p.parse(none); }, none).find("numbered"), std::string::npos);
  EXPECT_NE(p.format_instructions().find("1."), std::string::npos);
}

TEST(KeyValueOutputParser, Lines) {
  KeyValueOutputParser p({"name", "age"});
  EXPECT_EQ(p.parse("name: Ann Lee\n\n- age : 7\nurl: http://x.org:80/"),
            (Map{{"name", "Ann Lee"}, {"age", "7"}, {"url", "http://x.org:80/"}}));
  const std::string missing = "name: Ann";
  EXPECT_NE(parse_error([&] { p.parse(missing); }, missing).find("missing keys age"),
            std::string::npos);
  const std::string no_sep = "name: Ann\nage 7";
  EXPECT_NE(parse_error([&] { p.parse(no_sep); }, no_sep).find("line 2"), std::string::npos);
  const std::string twice = "name: A\nname: B\nage: 1";
  EXPECT_NE(parse_error([&] { p.parse(twice); }, twice).find("twice"), std::string::npos);
  const std::string empty_key = ": x";
  parse_error([&] { KeyValueOutputParser().parse(empty_key); }, empty_key);
  EXPECT_EQ(KeyValueOutputParser({}, "=").parse("a=1\nb = x=y"), (Map{{"a", "1"}, {"b", "x=y"}}));
  const auto instr = p.format_instructions();
  EXPECT_NE(instr.find("name: ..."), std::string::npos) << instr;
  EXPECT_NE(instr.find("age: ..."), std::string::npos) << instr;
}

TEST(RegexOutputParser, NamedAndNumberedGroups) {
  RegexOutputParser named(R"(Answer:\s*(?<answer>\w+)(?:\s*\((?<why>[^)]*)\))?)");
  EXPECT_EQ(named.parse("Thinking... Answer: yes (it is)"),
            (Map{{"answer", "yes"}, {"why", "it is"}}));
  // an optional group that did not take part is left out
  EXPECT_EQ(named.parse("Answer: no"), (Map{{"answer", "no"}}));

  RegexOutputParser numbered(R"((\d+)\s*/\s*(\d+))");
  EXPECT_EQ(numbered.parse("score 7 / 10"), (Map{{"1", "7"}, {"2", "10"}}));
  RegexOutputParser keyed(R"((\d+)\s*/\s*(\d+))", {"score", "max"});
  EXPECT_EQ(keyed.parse("score 7 / 10"), (Map{{"score", "7"}, {"max", "10"}}));
  // UTF-8
  RegexOutputParser word(R"(mot: (\w+))");
  EXPECT_EQ(word.parse("mot: café!").at("1"), "café");  // \w is Unicode-aware

  // invalid UTF-8 (a stream cut inside a character) is a parse error, not a crash
  const std::string invalid = "score \xE2\x82 7 / 10";
  EXPECT_NE(parse_error([&] { keyed.parse(invalid); }, invalid).find("failed"), std::string::npos);
  const std::string miss = "no score here";
  EXPECT_NE(parse_error([&] { keyed.parse(miss); }, miss).find("does not match"),
            std::string::npos);
}

TEST(RegexOutputParser, BadPatternsAndInstructions) {
  EXPECT_THROW(RegexOutputParser("(unclosed"), Error);
  EXPECT_THROW(RegexOutputParser("no groups"), Error);
  EXPECT_THROW(RegexOutputParser("(a)(b)", {"only_one"}), Error);
  EXPECT_NE(RegexOutputParser("(a)").format_instructions().find("(a)"), std::string::npos);
  EXPECT_EQ(RegexOutputParser("(a)", {}, "Say a.").format_instructions(), "Say a.");
}

}  // namespace
}  // namespace llmkit::prompt
