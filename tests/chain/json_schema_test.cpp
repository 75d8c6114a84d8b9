// JSON-schema validation (llmkit/chain/json_schema.h): validity agrees with Python's jsonschema
// package (an independent implementation) on hand-written and random cases; error pointers and
// schema errors are checked against what the JSON Schema and JSON Pointer standards prescribe.
#include "llmkit/chain/json_schema.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <random>
#include <sstream>

#include "llmkit/base/error.h"

namespace llmkit::chain {
namespace {

using nlohmann::json;

bool python_available() {
  static const bool ok =
      std::system("/usr/bin/python3 -c 'import jsonschema' >/dev/null 2>&1") == 0;
  return ok;
}

// Validity of each (schema, instance) by the Python reference.
std::vector<bool> reference_validity(const json& cases) {
  const std::string base = ::testing::TempDir() + "schema_ref_" + std::to_string(::getpid());
  std::ofstream(base + ".in.json") << cases.dump();
  const std::string cmd = "/usr/bin/python3 " LLMKIT_SOURCE_DIR
                          "/tests/chain/json_schema_reference.py < " +
                          base + ".in.json > " + base + ".out.json";
  EXPECT_EQ(std::system(cmd.c_str()), 0) << cmd;
  std::ifstream in(base + ".out.json");
  std::stringstream s;
  s << in.rdbuf();
  std::remove((base + ".in.json").c_str());
  std::remove((base + ".out.json").c_str());
  std::vector<bool> valid;
  for (const auto& r : json::parse(s.str())) valid.push_back(r["valid"].get<bool>());
  return valid;
}

const json kPerson = json::parse(R"({
  "type": "object",
  "properties": {
    "name": {"type": "string", "minLength": 2, "maxLength": 5, "pattern": "^[A-Z]"},
    "age": {"type": "integer", "minimum": 0, "maximum": 150},
    "score": {"type": ["number", "null"], "exclusiveMinimum": 0},
    "role": {"enum": ["user", "admin", 3]},
    "kind": {"const": "person"},
    "tags": {"type": "array", "items": {"type": "string"}, "minItems": 1, "maxItems": 3,
             "uniqueItems": true},
    "address": {"type": "object", "properties": {"zip": {"type": "string", "pattern": "^[0-9]{5}$"}},
                "required": ["zip"], "additionalProperties": false},
    "id": {"anyOf": [{"type": "integer"}, {"type": "string", "maxLength": 3}]},
    "flag": {"oneOf": [{"type": "boolean"}, {"const": 1}], "not": {"const": false}}
  },
  "required": ["name", "age"],
  "additionalProperties": {"type": "number"}
})");

TEST(JsonSchema, HandWrittenCasesAgreeWithPythonJsonschema) {
  if (!python_available()) GTEST_SKIP() << "python3-jsonschema is not installed";
  const std::vector<json> instances = {
      json::parse(R"({"name": "Ann", "age": 30})"),
      json::parse(R"({"name": "Ann", "age": 30.0})"),
      json::parse(R"({"name": "Ann", "age": 30.5})"),
      json::parse(R"({"name": "ann", "age": 3})"),
      json::parse(R"({"name": "A", "age": 3})"),
      json::parse(R"({"name": "Annabel", "age": 3})"),
      json::parse(R"({"name": "Ünë", "age": 3})"),
      json::parse(R"({"name": "Ann"})"),
      json::parse(R"({"name": "Ann", "age": -1})"),
      json::parse(R"({"name": "Ann", "age": 151})"),
      json::parse(R"({"name": "Ann", "age": 1, "score": null})"),
      json::parse(R"({"name": "Ann", "age": 1, "score": 0})"),
      json::parse(R"({"name": "Ann", "age": 1, "score": 0.1})"),
      json::parse(R"({"name": "Ann", "age": 1, "role": "admin"})"),
      json::parse(R"({"name": "Ann", "age": 1, "role": 3.0})"),
      json::parse(R"({"name": "Ann", "age": 1, "role": "root"})"),
      json::parse(R"({"name": "Ann", "age": 1, "kind": "person"})"),
      json::parse(R"({"name": "Ann", "age": 1, "kind": "robot"})"),
      json::parse(R"({"name": "Ann", "age": 1, "tags": []})"),
      json::parse(R"({"name": "Ann", "age": 1, "tags": ["a", "b"]})"),
      json::parse(R"({"name": "Ann", "age": 1, "tags": ["a", "a"]})"),
      json::parse(R"({"name": "Ann", "age": 1, "tags": ["a", "b", "c", "d"]})"),
      json::parse(R"({"name": "Ann", "age": 1, "tags": ["a", 2]})"),
      json::parse(R"({"name": "Ann", "age": 1, "address": {"zip": "12345"}})"),
      json::parse(R"({"name": "Ann", "age": 1, "address": {"zip": "1234"}})"),
      json::parse(R"({"name": "Ann", "age": 1, "address": {}})"),
      json::parse(R"({"name": "Ann", "age": 1, "address": {"zip": "12345", "x": 1}})"),
      json::parse(R"({"name": "Ann", "age": 1, "extra": 2.5})"),
      json::parse(R"({"name": "Ann", "age": 1, "extra": "no"})"),
      json::parse(R"({"name": "Ann", "age": 1, "id": 7})"),
      json::parse(R"({"name": "Ann", "age": 1, "id": "abc"})"),
      json::parse(R"({"name": "Ann", "age": 1, "id": "abcd"})"),
      json::parse(R"({"name": "Ann", "age": 1, "flag": true})"),
      json::parse(R"({"name": "Ann", "age": 1, "flag": false})"),
      json::parse(R"({"name": "Ann", "age": 1, "flag": 1})"),
      json::parse(R"({"name": "Ann", "age": 1, "flag": 2})"),
      json::parse(R"([1, 2])"),
      json::parse(R"("Ann")"),
      json::parse(R"(null)"),
  };
  json cases = json::array();
  for (const auto& i : instances) cases.push_back({{"schema", kPerson}, {"instance", i}});
  const auto expected = reference_validity(cases);
  ASSERT_EQ(expected.size(), instances.size());
  for (size_t i = 0; i < instances.size(); ++i) {
    const auto violations = validate_json(kPerson, instances[i]);
    EXPECT_EQ(violations.empty(), expected[i])
        << instances[i].dump() << " -> " << describe_violations(violations);
  }
}

// Random values built from the pieces the schema talks about, so that both outcomes are common.
json random_value(std::mt19937& rng, int depth) {
  auto pick = [&](int n) { return static_cast<int>(rng() % n); };
  switch (pick(depth > 1 ? 7 : 9)) {
    case 0:
      return nullptr;
    case 1:
      return pick(2) == 0;
    case 2:
      return pick(300) - 100;
    case 3:
      return (pick(2000) - 500) / 8.0;
    case 4: {
      static const std::vector<std::string> words = {"Ann",   "a",     "Bo",     "Annabel", "user",
                                                     "admin", "12345", "person", "abc",     ""};
      return words[pick(static_cast<int>(words.size()))];
    }
    case 5:
      return pick(2) ? json("abcd") : json(1);
    case 6:
      return 3;
    case 7: {
      json a = json::array();
      for (int i = pick(5); i > 0; --i) a.push_back(random_value(rng, depth + 1));
      return a;
    }
    default: {
      static const std::vector<std::string> keys = {
          "name", "age", "score", "role", "kind", "tags", "address", "id", "flag", "zip", "x"};
      json o = json::object();
      for (int i = pick(depth == 0 ? 3 : 6); i > 0; --i) {
        o[keys[pick(static_cast<int>(keys.size()))]] = random_value(rng, depth + 1);
      }
      if (depth == 0 && pick(3) > 0) {
        o["name"] = "Ann";
        o["age"] = pick(180) - 10;
      }
      return o;
    }
  }
}

TEST(JsonSchema, RandomInstancesAgreeWithPythonJsonschema) {
  if (!python_available()) GTEST_SKIP() << "python3-jsonschema is not installed";
  std::mt19937 rng(1234);
  json cases = json::array();
  std::vector<json> instances;
  for (int i = 0; i < 1500; ++i) {
    instances.push_back(random_value(rng, 0));
    cases.push_back({{"schema", kPerson}, {"instance", instances.back()}});
  }
  const auto expected = reference_validity(cases);
  ASSERT_EQ(expected.size(), instances.size());
  int n_valid = 0;
  for (size_t i = 0; i < instances.size(); ++i) {
    const auto violations = validate_json(kPerson, instances[i]);
    n_valid += expected[i];
    EXPECT_EQ(violations.empty(), expected[i])
        << instances[i].dump() << " -> " << describe_violations(violations);
  }
  EXPECT_GT(n_valid, 20);  // both outcomes exercised
  EXPECT_LT(n_valid, 1475);
}

bool has_pointer(const std::vector<SchemaViolation>& v, const std::string& pointer) {
  for (const auto& x : v) {
    if (x.pointer == pointer) return true;
  }
  return false;
}

TEST(JsonSchema, ViolationsNameTheJsonPointerOfTheValue) {
  const json schema = json::parse(R"({
    "type": "object",
    "properties": {
      "items": {"type": "array", "items": {"type": "object",
                "properties": {"name": {"type": "string"}}, "required": ["name"]}},
      "a/b": {"type": "integer"},
      "m~n": {"type": "integer"}
    }
  })");
  const json value = json::parse(R"({"items": [{"name": "x"}, {"name": 5}, {}], "a/b": "s",
                                      "m~n": true})");
  const auto v = validate_json(schema, value);
  ASSERT_EQ(v.size(), 4u) << describe_violations(v);
  EXPECT_TRUE(has_pointer(v, "/items/1/name"));
  EXPECT_TRUE(has_pointer(v, "/items/2/name"));  // the missing required property
  EXPECT_TRUE(has_pointer(v, "/a~1b"));          // RFC 6901 escapes
  EXPECT_TRUE(has_pointer(v, "/m~0n"));
  for (const auto& x : v) {
    if (x.pointer == "/items/1/name") {
      EXPECT_NE(x.message.find("expected string, got integer"), std::string::npos) << x.message;
    }
  }
  EXPECT_NE(describe_violations(v).find("/items/1/name: expected string"), std::string::npos);
  const auto root = validate_json(json{{"type", "object"}}, json::array());
  ASSERT_EQ(root.size(), 1u);
  EXPECT_EQ(root[0].to_string(), "/: expected object, got array");
}

TEST(JsonSchema, InvalidSchemasThrowNamingTheKeyword) {
  auto message = [](const json& schema, const json& value) -> std::string {
    try {
      validate_json(schema, value);
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), ErrorCode::kInvalidArgument);
      return e.what();
    }
    return "";
  };
  EXPECT_NE(message(json{{"type", "strin"}}, 1).find("unknown type 'strin'"), std::string::npos);
  EXPECT_NE(message(json::parse(R"({"properties": {"p": {"pattern": "("}}})"), json{{"p", "x"}})
                .find("/properties/p/pattern"),
            std::string::npos);
  EXPECT_NE(message(json{{"minLength", -1}}, "x").find("/minLength"), std::string::npos);
  EXPECT_NE(message(json{{"required", "a"}}, json::object()).find("/required"), std::string::npos);
  EXPECT_NE(message(json(3), 1).find("must be an object or a boolean"), std::string::npos);
}

TEST(JsonSchema, LengthsCountCodePointsAndBooleanSchemasWork) {
  const json schema = {{"type", "string"}, {"maxLength", 3}};
  EXPECT_TRUE(validate_json(schema, "äöü").empty());  // 6 bytes, 3 characters
  EXPECT_FALSE(validate_json(schema, "äöüx").empty());
  EXPECT_TRUE(validate_json(json(true), 5).empty());
  EXPECT_EQ(validate_json(json(false), 5).size(), 1u);
  EXPECT_EQ(json_pointer_append("", "a/b~c"), "/a~1b~0c");
}

}  // namespace
}  // namespace llmkit::chain
