// json_schema_to_gbnf: for a set of schemas, hand-picked instances the grammar must accept or
// reject, and texts sampled at random from the grammar itself. Every verdict is cross-checked with
// Python's jsonschema (tests/infer/json_schema_verdicts.py, an independent validator): accepted
// and sampled texts must be valid JSON that validates, rejected ones must be invalid, and the
// documented strictness (property order, whitespace, ...) is shown on texts that are valid but
// outside the grammar. Integer ranges are checked against plain arithmetic.
#include "llmkit/infer/json_schema_grammar.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <random>
#include <regex>
#include <string>
#include <vector>

#include "llmkit/infer/grammar.h"
#include "llmkit/infer/grammar_matcher.h"
#include "tests/support/expect_error.h"

namespace llmkit::infer {
namespace {

using nlohmann::ordered_json;

struct Case {
  std::string schema;
  std::vector<std::string> accept;    // in the grammar and valid
  std::vector<std::string> reject;    // outside the grammar and invalid
  std::vector<std::string> stricter;  // valid, but outside the grammar by design
};

const std::vector<Case>& cases() {
  static const std::vector<Case> kCases = {
      // Flat object, required and optional properties.
      {R"({"type": "object", "properties": {"name": {"type": "string"}, "age": {"type": "integer"},
           "ok": {"type": "boolean"}}, "required": ["name", "age"]})",
       {R"({"name":"Bo","age":3})", R"({"name":"","age":-12,"ok":true})",
        "{\n  \"name\": \"x\",\n  \"age\": 0\n}", R"({ "name" : "a\"b\\n\u00e9" , "age" : 1 })",
        R"({"name":"é😀\t","age":10})"},
       {R"({"name":"Bo"})", R"({"name":1,"age":2})", R"({"name":"a","age":1.5})",
        R"({"name":"a","age":01})", R"({"name":"a","age":1,})", R"({"name":"a" "age":1})",
        R"({"name":"a\x","age":1})"},
       {R"({"age":3,"name":"Bo"})", R"({"name":"a","age":1,"extra":1})", R"( {"name":"a","age":1})",
        "{\"name\":\"a\",\"age\":1}\n", "{\"name\":\"a\",\n\n\"age\":1}",
        R"({"name":"a","age":1.0})"}},
      // Nested objects, additionalProperties false, integer bounds, pattern, bounded arrays.
      {R"({"type": "object", "additionalProperties": false, "required": ["id", "address"],
           "properties": {
             "id": {"type": "integer", "minimum": 1, "maximum": 500},
             "address": {"type": "object", "additionalProperties": false, "required": ["city"],
               "properties": {"city": {"type": "string", "maxLength": 5},
                              "zip": {"type": "string", "pattern": "^[0-9]{5}$"}}},
             "tags": {"type": "array", "items": {"enum": ["a", "b", "c"]},
                      "minItems": 1, "maxItems": 3}}})",
       {R"({"id":1,"address":{"city":"Paris"}})",
        R"({"id":500,"address":{"city":"","zip":"75001"},"tags":["a","c","a"]})",
        R"({"id":37,"address":{"city":"é€😀"}})"},
       {R"({"id":0,"address":{"city":"a"}})", R"({"id":501,"address":{"city":"a"}})",
        R"({"id":1,"address":{"city":"Parisx"}})",
        R"({"id":1,"address":{"city":"a","zip":"7500"}})",
        R"({"id":1,"address":{"city":"a"},"tags":[]})",
        R"({"id":1,"address":{"city":"a"},"tags":["a","a","a","a"]})",
        R"({"id":1,"address":{"city":"a"},"tags":["d"]})",
        R"({"id":1,"address":{"city":"a"},"x":1})", R"({"id":1})",
        R"({"id":1,"address":{"city":"a","country":"b"}})"},
       {R"({"id":2,"address":{"zip":"00000","city":"x"}})"}},
      // Arrays with bounds.
      {R"({"type": "array", "items": {"type": "integer"}, "minItems": 2, "maxItems": 4})",
       {"[1,2]", "[1, 2, 3, 4]", "[\n 1,\n 2\n]", "[ -1 , 0 ]"},
       {"[]", "[1]", "[1,2,3,4,5]", "[1,\"a\"]", "[1,2,]"},
       {}},
      {R"({"type": "array", "maxItems": 0})", {"[]", "[ ]"}, {"[1]", "[[]]"}, {}},
      // Tuples.
      {R"({"prefixItems": [{"type": "string"}, {"type": "number"}], "items": false})",
       {R"(["a",1.5])", R"(["a"])", "[]"},
       {R"([1,"a"])", R"(["a",1,2])"},
       {}},
      // Enums and const.
      {R"({"enum": ["red", "green", 1, null, {"a": [1, 2]}]})",
       {R"("red")", "1", "null", R"({"a":[1,2]})"},
       {R"("blue")", "2", R"({"a":[1]})", "\"Red\""},
       {R"({"a": [1, 2]})"}},
      {R"({"type": "string", "enum": ["a", 1]})", {R"("a")"}, {"1", R"("b")"}, {}},
      {R"({"const": {"x": "y"}})", {R"({"x":"y"})"}, {R"({"x":"z"})", "{}"}, {}},
      // $ref recursion through $defs, and "#".
      {R"({"$defs": {"node": {"type": "object", "required": ["value"], "properties": {
             "value": {"type": "integer"},
             "children": {"type": "array", "items": {"$ref": "#/$defs/node"}}}}},
           "$ref": "#/$defs/node"})",
       {R"({"value":1,"children":[{"value":2},{"value":3,"children":[{"value":4,"children":[]}]}]})",
        R"({"value":1})"},
       {R"({"value":1,"children":[{"children":[]}]})", R"({"value":1,"children":[1]})"},
       {}},
      {R"({"type": "object", "properties": {"next": {"$ref": "#"}, "v": {"type": "null"}}})",
       {R"({"next":{"next":{}}})", R"({"next":{"v":null},"v":null})", "{}"},
       {R"({"next":{"v":1}})"},
       {}},
      {R"({"definitions": {"pos": {"type": "integer", "minimum": 0}},
           "type": "array", "items": {"$ref": "#/definitions/pos"}})",
       {"[0,5,123456]"},
       {"[-1]", "[1.5]"},
       {}},
      // pydantic's {"allOf": [{"$ref": ...}]} wrapper around a recursive reference.
      {R"({"$defs": {"Node": {"type": "object", "properties": {
             "child": {"allOf": [{"$ref": "#/$defs/Node"}], "description": "the next node"}}}},
           "$ref": "#/$defs/Node"})",
       {R"({"child":{"child":{}}})", "{}"},
       {R"({"child":1})", R"({"child":{"child":[]}})"},
       {}},
      // Type lists.
      {R"({"type": ["string", "null"], "maxLength": 3})",
       {R"("abc")", "null", R"("")"},
       {R"("abcd")", "1", "false"},
       {}},
      {R"({"type": ["integer", "boolean"]})", {"-7", "true", "false"}, {"1.5", R"("1")"}, {}},
      // anyOf / oneOf.
      {R"({"anyOf": [{"type": "integer", "minimum": 10}, {"type": "string", "pattern": "^x+$"},
                     {"type": "object", "properties": {"k": {"const": true}}, "required": ["k"]}]})",
       {"10", "12345", R"("xx")", R"({"k":true})"},
       {"9", R"("xa")", R"({"k":false})", R"("")"},
       {}},
      {R"({"oneOf": [{"type": "string"}, {"type": "array", "items": {"type": "string"}}]})",
       {R"("a")", R"(["a","b"])"},
       {"1", "[1]"},
       {}},
      // String lengths count characters, escapes included.
      {R"({"type": "string", "minLength": 2, "maxLength": 3})",
       {R"("ab")", R"("a\nb")", R"("\u00e9\u00E9")", R"("😀😀")", R"("\"\\\/")"},
       {R"("a")", R"("abcd")", R"("\ud83d\ude00")"},
       {R"("a\ud83d")"}},
      {R"({"type": "string", "minLength": 1})", {R"("x")"}, {R"("")"}, {R"("\ud83d\ude00")"}},
      // Patterns: a search unless anchored; characters written as JSON escapes where needed.
      {R"({"type": "string", "pattern": "a[0-9]+"})",
       {R"("a1")", R"("xxa12yy")", R"("\"a1\n")", R"("\u0001a9")"},
       {R"("abc")", R"("")", R"("a")"},
       {}},
      {R"({"type": "string", "pattern": "^say \"hi\"\\.?$|^\\t\\\\$"})",
       {R"("say \"hi\"")", R"("say \"hi\".")", R"("\t\\")", R"("\u0009\\")"},
       {R"("say hi")", R"("xsay \"hi\"")", R"("\\t\\")"},
       {}},
      // Formats.
      {R"({"type": "string", "format": "date"})",
       {R"("2024-02-28")", R"("2023-12-31")", R"("0001-04-30")"},
       {R"("2023-02-30")", R"("2023-13-01")", R"("2023-04-31")", R"("2023-1-01")"},
       {R"("2024-02-29")"}},
      {R"({"type": "string", "format": "time"})",
       {R"("12:30:05Z")", R"("23:59:59.123+05:30")"},
       {R"("24:00:00Z")", R"("12:60:00Z")", R"("12:00:00")"},
       {}},
      {R"({"type": "string", "format": "date-time"})",
       {R"("2024-01-15T10:00:00Z")", R"("1999-11-30T23:59:59.5-01:00")"},
       {R"("2024-01-15 10:00:00Z")", R"("2024-01-15T25:00:00Z")"},
       {}},
      {R"({"type": "string", "format": "uuid"})",
       {R"("123e4567-e89b-12d3-a456-426614174000")"},
       {R"("123e4567e89b12d3a456426614174000")", R"("123e4567-e89b-12d3-a456-42661417400g")"},
       {}},
      // Any value.
      {"{}",
       {R"([1,{"a":null},"x",true,-0.5e3])", R"("s")", "0", R"({"a":{"b":[[],{}]}})", "[ ]"},
       {"[1,]", "{'a':1}", "tru", "01", "NaN", R"({"a" 1})", "1.", ".5", "+1", "1e"},
       {}},
      {"true", {"null", "[false]"}, {"nul"}, {}},
      // Extra properties under a schema; never a listed name.
      {R"({"type": "object", "properties": {"a": {"type": "integer"}, "ab": {"type": "null"}},
           "additionalProperties": {"type": "string"}})",
       {R"({"a":1,"b":"x"})", R"({"abc":"x"})", R"({"":"x"})", R"({"a":1,"b":"x","c":"y"})",
        R"({"aa":"x","b\"":""})", R"({"ab":null,"é":"é"})"},
       {R"({"a":"x"})", R"({"b":1})", R"({"a":1,"a":"x"})", R"({"ab":"x"})"},
       {R"({"\u0062":"x"})"}},
      // allOf parts merged.
      {R"({"allOf": [{"type": "object", "properties": {"a": {"type": "integer"}}, "required": ["a"]},
                     {"properties": {"b": {"type": "string"}}, "required": ["b"]}]})",
       {R"({"a":1,"b":"x"})"},
       {R"({"a":1})", R"({"b":"x"})"},
       {}},
      {R"({"type": "number", "exclusiveMinimum": 0, "maximum": 100})",
       {"0.5", "100", "100.000", "0.0001", "42"},
       {"0", "-1", "100.5", "0.0", "-0.5", "-0"},
       {"1e1"}},
      // A bare object type: any object.
      {R"({"type": "object"})", {R"({"a":[1,{"b":null}],"":"x"})", "{}"}, {"[]", "null"}, {}},
      // Numbers.
      {R"({"type": "number"})",
       {"1.5e10", "-0.25", "0", "-0", "12E+3", "7e-2"},
       {"01", "1.", ".5", "+1", "1e", "0x10", "Infinity"},
       {}},
  };
  return kCases;
}

// A random text the grammar allows, built one piece at a time through GrammarMatcher, or "" when
// the walk grew past max_bytes. Closing characters are preferred now and then so walks end.
std::string random_sentence(const std::shared_ptr<const Grammar>& grammar, std::mt19937* rng,
                            size_t max_bytes) {
  static const std::vector<std::string> kPieces = [] {
    std::vector<std::string> p;
    for (char c = 0x20; c < 0x7F; ++c) p.push_back(std::string(1, c));
    for (const char* s : {"\n", "\t", "é", "€", "😀"}) p.push_back(s);
    return p;
  }();
  GrammarMatcher matcher(grammar);
  std::string text;
  while (text.size() < max_bytes) {
    if (matcher.can_end() && ((*rng)() % 3 == 0 || !matcher.can_continue())) return text;
    std::vector<const std::string*> options, closing;
    for (const std::string& p : kPieces) {
      if (!matcher.accepts(p)) continue;
      options.push_back(&p);
      if (p == "\"" || p == "}" || p == "]") closing.push_back(&p);
    }
    if (options.empty()) return "";
    const auto& pool = !closing.empty() && (*rng)() % 3 == 0 ? closing : options;
    const std::string& piece = *pool[(*rng)() % pool.size()];
    EXPECT_TRUE(matcher.accept_bytes(piece));
    text += piece;
  }
  return "";
}

// Runs the independent validator on every (schema, texts) pair.
std::vector<std::vector<bool>> python_verdicts(const ordered_json& batch) {
  std::string dir = (std::filesystem::temp_directory_path() / "llmkit_schema_XXXXXX").string();
  EXPECT_NE(::mkdtemp(dir.data()), nullptr);
  const std::string in = dir + "/cases.json", out = dir + "/verdicts.json";
  std::ofstream(in) << batch.dump();
  const std::string cmd = std::string("/usr/bin/python3 '") + LLMKIT_SOURCE_DIR +
                          "/tests/infer/json_schema_verdicts.py' '" + in + "' '" + out + "'";
  EXPECT_EQ(std::system(cmd.c_str()), 0) << cmd;
  std::vector<std::vector<bool>> verdicts;
  std::ifstream f(out);
  if (f) verdicts = ordered_json::parse(f).get<std::vector<std::vector<bool>>>();
  std::filesystem::remove_all(dir);
  return verdicts;
}

TEST(JsonSchemaGrammar, InstancesAndSamplesAgreeWithJsonschema) {
  std::mt19937 rng(11);
  ordered_json batch = ordered_json::array();
  std::vector<std::vector<std::string>> expected;  // per text: "accept", "reject", ...
  int sampled = 0;
  for (const Case& c : cases()) {
    SCOPED_TRACE("schema: " + c.schema);
    const ordered_json schema = ordered_json::parse(c.schema);
    const std::string gbnf = json_schema_to_gbnf(schema);
    std::shared_ptr<const Grammar> grammar;
    try {
      grammar = Grammar::parse(gbnf);
    } catch (const std::exception& e) {
      ADD_FAILURE() << e.what() << "\n" << gbnf;
      continue;
    }
    ordered_json texts = ordered_json::array();
    std::vector<std::string> kinds;
    auto add = [&](const std::string& text, const char* kind, bool in_grammar) {
      EXPECT_EQ(grammar_matches(*grammar, text), in_grammar) << kind << ": " << text << "\n"
                                                             << gbnf;
      texts.push_back(text);
      kinds.push_back(kind);
    };
    for (const std::string& t : c.accept) add(t, "accept", true);
    for (const std::string& t : c.reject) add(t, "reject", false);
    for (const std::string& t : c.stricter) add(t, "stricter", false);
    for (int i = 0; i < 25; ++i) {
      const std::string t = random_sentence(grammar, &rng, 1500);
      if (t.empty()) continue;
      add(t, "sample", true);
      ++sampled;
    }
    batch.push_back({{"schema", schema}, {"instances", texts}});
    expected.push_back(kinds);
  }
  EXPECT_GT(sampled, 20 * static_cast<int>(cases().size()));
  const std::vector<std::vector<bool>> verdicts = python_verdicts(batch);
  ASSERT_EQ(verdicts.size(), expected.size()) << "the Python validator did not run";
  for (size_t i = 0; i < expected.size(); ++i) {
    for (size_t k = 0; k < expected[i].size(); ++k) {
      const bool want_valid = expected[i][k] != "reject";
      EXPECT_EQ(verdicts[i][k], want_valid)
          << expected[i][k] << " text " << batch[i]["instances"][k].get<std::string>()
          << "\nschema " << batch[i]["schema"].dump();
    }
  }
}

TEST(JsonSchemaGrammar, IntegerRangesMatchArithmetic) {
  std::mt19937 rng(5);
  struct Range {
    std::string keywords;
    int64_t lo, hi;  // the valid range, for the values tested
  };
  const std::vector<Range> ranges = {
      {R"("minimum": 0)", 0, INT64_MAX},
      {R"("exclusiveMinimum": -15, "maximum": 1234)", -14, 1234},
      {R"("minimum": -1000, "exclusiveMaximum": -7)", -1000, -8},
      {R"("maximum": 99)", INT64_MIN, 99},
      {R"("minimum": 1.5, "maximum": 19.5)", 2, 19},
      {R"("minimum": 100, "maximum": 100)", 100, 100},
      {R"("minimum": -3, "maximum": 3)", -3, 3},
      {R"("minimum": 7, "maximum": 700001)", 7, 700001},
      // zod's integer bounds, ±(2^53 - 1): beyond the grammar's range, clamped to it.
      {R"("minimum": -9007199254740991, "maximum": 9007199254740991)", INT64_MIN, INT64_MAX},
  };
  for (const Range& r : ranges) {
    const std::string schema = R"({"type": "integer", )" + r.keywords + "}";
    SCOPED_TRACE(schema);
    auto grammar = Grammar::parse(json_schema_to_gbnf(ordered_json::parse(schema)));
    std::vector<int64_t> values;
    for (int64_t v = -1100; v <= 1300; ++v) values.push_back(v);
    for (int i = 0; i < 3000; ++i) {
      values.push_back(static_cast<int64_t>(rng() % 2000000) - 1000000);
    }
    for (int64_t v : {700000, 700001, 700002, 999999, 1000000, -1000001}) values.push_back(v);
    for (int64_t v : values) {
      const bool want = v >= r.lo && v <= r.hi;
      ASSERT_EQ(grammar_matches(*grammar, std::to_string(v)), want) << v;
    }
    EXPECT_FALSE(grammar_matches(*grammar, "01"));
    EXPECT_FALSE(grammar_matches(*grammar, "-0"));
    // Never a value beyond 2^53 - 1, whatever the bounds.
    EXPECT_FALSE(grammar_matches(*grammar, "99999999999999999"));
  }
}

TEST(JsonSchemaGrammar, NumberRangesMatchArithmetic) {
  const std::vector<std::string> ranges = {
      R"("minimum": 0)",
      R"("exclusiveMinimum": 0)",
      R"("minimum": -3, "exclusiveMaximum": 2)",
      R"("exclusiveMinimum": -12, "maximum": 0)",
      R"("exclusiveMinimum": -1, "exclusiveMaximum": 1)",
      R"("maximum": -2)",
      R"("exclusiveMaximum": 0)",
      R"("minimum": 5, "maximum": 5)",
      R"("minimum": 2, "exclusiveMinimum": 2, "maximum": 11)",
  };
  // Texts: quarter steps written several ways, plus zeros and exponent forms.
  std::vector<std::string> texts = {"0",     "-0",  "0.0",  "-0.0", "0.000", "-0.001",
                                    "0.001", "1e1", "-1E0", "2.50", "-2.00", "11.0000000000000001"};
  for (int k = -80; k <= 80; ++k) {
    char buf[32];
    std::snprintf(buf, sizeof(buf), "%.2f", k / 4.0);
    texts.push_back(buf);
    if (k % 4 == 0) texts.push_back(std::to_string(k / 4));
    if (k % 2 != 0) texts.push_back(buf + std::string("0001"));
  }
  for (const std::string& keywords : ranges) {
    const std::string schema = R"({"type": "number", )" + keywords + "}";
    SCOPED_TRACE(schema);
    const ordered_json s = ordered_json::parse(schema);
    auto grammar = Grammar::parse(json_schema_to_gbnf(s));
    int accepted = 0;
    for (const std::string& t : texts) {
      // The reference: the value against the bounds, in exact decimal comparison via strtold
      // (bounds are integers; 80-bit precision separates 11.0000000000000001 from 11).
      const long double x = std::strtold(t.c_str(), nullptr);
      bool want = t.find_first_of("eE") == std::string::npos;  // bounded numbers: no exponent
      if (s.contains("minimum")) want = want && x >= s["minimum"].get<long double>();
      if (s.contains("exclusiveMinimum"))
        want = want && x > s["exclusiveMinimum"].get<long double>();
      if (s.contains("maximum")) want = want && x <= s["maximum"].get<long double>();
      if (s.contains("exclusiveMaximum"))
        want = want && x < s["exclusiveMaximum"].get<long double>();
      // Zero's negative spellings are not written.
      if (t[0] == '-' && x == 0) want = false;
      EXPECT_EQ(grammar_matches(*grammar, t), want) << t;
      accepted += want;
    }
    EXPECT_GT(accepted, 0);
  }
}

TEST(JsonSchemaGrammar, PatternsAgreeWithStdRegexSearch) {
  // A string validates when std::regex_search finds the pattern in its decoded value; the grammar
  // sees the JSON text (quotes and escapes as nlohmann::json writes them).
  const std::vector<std::string> patterns = {
      "a",       "^a",  "a$",     "^a+$",      "^(a|\\\\)*$", "\"b",        "^.{2}$",
      "^[^a]+$", "\\n", "^\\s*$", "a.b|^b\"$", "^\\x01?b",    "[\\t\"]{2}", "(?:ab)+",
  };
  const std::string alphabet = std::string("ab\"\\\n\t") + '\x01';
  std::mt19937 rng(3);
  std::vector<std::string> values = {""};
  for (int i = 0; i < 1500; ++i) {
    std::string v;
    for (size_t len = rng() % 7; len > 0; --len) v += alphabet[rng() % alphabet.size()];
    values.push_back(v);
  }
  for (const std::string& p : patterns) {
    SCOPED_TRACE("pattern " + p);
    ordered_json schema = {{"type", "string"}, {"pattern", p}};
    auto grammar = Grammar::parse(json_schema_to_gbnf(schema));
    const std::regex re(p, std::regex::ECMAScript);
    int found = 0;
    for (const std::string& v : values) {
      const bool want = std::regex_search(v, re);
      found += want;
      EXPECT_EQ(grammar_matches(*grammar, ordered_json(v).dump()), want) << ordered_json(v).dump();
    }
    EXPECT_GT(found, 0);
  }
}

TEST(JsonSchemaGrammar, PropertyOrderFollowsTheSchema) {
  const std::string text = R"({"type": "object", "properties": {"zeta": {"type": "integer"},
      "alpha": {"type": "integer"}}, "required": ["zeta", "alpha"]})";
  auto ordered = Grammar::parse(json_schema_to_gbnf(ordered_json::parse(text)));
  EXPECT_TRUE(grammar_matches(*ordered, R"({"zeta":1,"alpha":2})"));
  EXPECT_FALSE(grammar_matches(*ordered, R"({"alpha":2,"zeta":1})"));
  // nlohmann::json sorts keys: alphabetical order.
  auto sorted = Grammar::parse(json_schema_to_gbnf(nlohmann::json::parse(text)));
  EXPECT_TRUE(grammar_matches(*sorted, R"({"alpha":2,"zeta":1})"));
}

TEST(JsonSchemaGrammar, WhitespaceIsBounded) {
  auto grammar = Grammar::parse(json_schema_to_gbnf(ordered_json::parse("{}")));
  EXPECT_TRUE(grammar_matches(*grammar, "[\n" + std::string(20, ' ') + "1]"));
  EXPECT_FALSE(grammar_matches(*grammar, "[\n" + std::string(21, ' ') + "1]"));
  EXPECT_FALSE(grammar_matches(*grammar, "[  1]"));
  // The matcher refuses more whitespace once the bound is reached.
  GrammarMatcher m(grammar);
  EXPECT_TRUE(m.accept_bytes("{\n" + std::string(20, '\t')));
  EXPECT_FALSE(m.accepts(" "));
  EXPECT_FALSE(m.accepts("\n"));
}

TEST(JsonSchemaGrammar, UnsupportedKeywordsAreErrorsNamingKeywordAndPath) {
  using test::expect_error;
  const ErrorCode bad = ErrorCode::kInvalidArgument;
  auto convert = [](const char* text) { json_schema_to_gbnf(ordered_json::parse(text)); };
  expect_error([&] { convert(R"({"type": "string", "foo": 1})"); }, bad, {"'foo'", "/foo"});
  expect_error([&] { convert(R"({"properties": {"x": {"type": "array", "uniqueItems": true}}})"); },
               bad, {"uniqueItems", "/properties/x/uniqueItems"});
  expect_error([&] { convert(R"({"type": "number", "minimum": 0.5})"); }, bad,
               {"'minimum'", "whole number", "/minimum"});
  expect_error([&] { convert(R"({"type": "integer", "multipleOf": 2})"); }, bad,
               {"'multipleOf'", "/multipleOf"});
  expect_error([&] { convert(R"({"not": {"type": "null"}})"); }, bad, {"'not'", "/not"});
  expect_error([&] { convert(R"({"items": {"patternProperties": {"a": {}}}})"); }, bad,
               {"'patternProperties'", "/items/patternProperties"});
  expect_error([&] { convert(R"({"type": "string", "format": "email"})"); }, bad,
               {"\"email\"", "/format"});
  expect_error([&] { convert(R"({"properties": {"a/b": {"type": "string", "pattern": "a(b"}}})"); },
               bad, {"pattern at /properties/a~1b/pattern", "unbalanced", "offset 1"});
  expect_error([&] { convert(R"({"type": "string", "pattern": "a", "maxLength": 3})"); }, bad,
               {"'pattern'", "/pattern"});
  expect_error([&] { convert(R"({"$ref": "#/$defs/missing"})"); }, bad,
               {"#/$defs/missing", "points at nothing", "/$ref"});
  expect_error([&] { convert(R"({"$ref": "http://example.com/s.json"})"); }, bad,
               {"within the schema", "/$ref"});
  expect_error([&] { convert(R"({"$ref": "#/$defs/a", "type": "object"})"); }, bad,
               {"'type' next to '$ref'", "/type"});
  expect_error([&] { convert(R"({"anyOf": [{"type": "null"}], "minLength": 1})"); }, bad,
               {"'minLength' next to 'anyOf'", "/minLength"});
  expect_error(
      [&] { convert(R"({"type": "object", "properties": {"a": {}}, "required": ["b"]})"); }, bad,
      {"\"b\"", "/required"});
  expect_error([&] { convert(R"({"type": "integer", "minimum": 5, "maximum": 4})"); }, bad,
               {"no integer"});
  expect_error([&] { convert(R"({"type": "array", "minItems": 3, "maxItems": 2})"); }, bad,
               {"maxItems"});
  expect_error([&] { convert(R"({"allOf": [{"type": "string"}, {"type": "integer"}]})"); }, bad,
               {"'type'", "/allOf/1/type"});
  expect_error([&] { convert(R"({"type": "strin"})"); }, bad, {"\"strin\"", "/type"});
  expect_error(
      [&] {
        convert(R"({"$defs": {"N": {"type": "object", "properties": {
                      "c": {"allOf": [{"$ref": "#/$defs/N"}, {"required": ["c"]}]}}}},
                    "$ref": "#/$defs/N"})");
      },
      bad, {"recursive", "/properties/c"});
  expect_error([&] { convert(R"({"properties": {"a": false}, "required": ["a"]})"); }, bad,
               {"schema false", "/properties/a"});
}

}  // namespace
}  // namespace llmkit::infer
