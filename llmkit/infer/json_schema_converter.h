// The converter behind json_schema_to_gbnf (json_schema_grammar.h), shared by its two source
// files: json_schema_grammar.cpp (dispatch, $ref, enum, anyOf, allOf) and json_schema_values.cpp
// (objects, arrays, strings, numbers). Internal to llmkit/infer.
#pragma once

#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <utility>
#include <vector>

namespace llmkit::infer::json_schema_detail {

using json = nlohmann::ordered_json;

// Keywords by the type they constrain (the sets the converter knows).
inline const std::set<std::string> kAnnotations = {
    "title", "description", "default",    "examples", "$comment", "$schema",
    "$defs", "definitions", "deprecated", "readOnly", "writeOnly"};
inline const std::set<std::string> kObjectKeys = {"properties", "required", "additionalProperties"};
inline const std::set<std::string> kArrayKeys = {"items", "prefixItems", "minItems", "maxItems",
                                                 "uniqueItems"};
inline const std::set<std::string> kStringKeys = {"minLength", "maxLength", "pattern", "format"};
inline const std::set<std::string> kNumberKeys = {"minimum", "maximum", "exclusiveMinimum",
                                                  "exclusiveMaximum"};
inline const std::set<std::string> kOtherKeys = {"type",  "enum",  "const", "anyOf",
                                                 "oneOf", "allOf", "$ref",  "$id"};
inline const json kTrue = true;
inline const json kFalse = false;

// The JSON pointer of `key` inside the schema at `path` ("" is the root).
std::string child(const std::string& path, const std::string& key);
// Throws Error(kInvalidArgument) "json_schema_to_gbnf: <what> at <path>".
[[noreturn]] void fail(const std::string& path, const std::string& what);
// False for annotation keywords (they never constrain values).
bool constrains(const std::string& key);

// Builds the grammar: rules are named after the schema path they come from ("schema-address",
// "ref-node"); generic JSON rules (json_schema_terms.h) are added on first use.
class Converter {
 public:
  explicit Converter(const json& root) : root_(root) {}
  // The complete grammar text, `root` first.
  std::string run();

 private:
  std::string reserve(const std::string& hint);
  std::string define(const std::string& hint, const std::string& body);
  std::string generic(const std::string& name);
  const json& resolve(const std::string& ref, const std::string& path);
  std::string visit_ref(const std::string& ref, const std::string& path);
  // A GBNF expression (a rule name or an atom) for the JSON values valid under `schema`.
  std::string visit(const json& schema, const std::string& path, const std::string& hint,
                    bool is_root);
  static std::string join_alts(const std::vector<std::string>& alts);
  void only_with(const json& schema, const std::string& path, const std::string& key,
                 const std::set<std::string>& allowed);
  std::vector<std::string> types_of(const json& schema, const std::string& path);
  std::string visit_enum(const json& schema, const std::string& path, const std::string& hint);
  static bool has_type(const json& v, const std::vector<std::string>& types);
  std::string visit_type(const json& schema, const std::string& path, const std::string& hint,
                         const std::string& type);
  json merge_all_of(const json& schema, const std::string& path);
  // json_schema_values.cpp
  std::string visit_object(const json& schema, const std::string& path, const std::string& hint);
  std::string extra_key(const std::vector<std::string>& names, const std::string& hint);
  std::string visit_array(const json& schema, const std::string& path, const std::string& hint);
  std::string visit_string(const json& schema, const std::string& path, const std::string& hint);
  std::string visit_integer(const json& schema, const std::string& path, const std::string& hint);
  std::string visit_number(const json& schema, const std::string& path, const std::string& hint);

  const json& root_;
  std::vector<std::pair<std::string, std::string>> rules_;  // name, body; in definition order
  std::set<std::string> taken_ = {"root"};
  std::set<std::string> generic_done_;
  std::map<std::string, std::string> ref_rules_;  // $ref text -> rule name
  static constexpr int kMaxMergeDepth = 64;
  int merge_depth_ = 0;  // allOf merges being visited
};

}  // namespace llmkit::infer::json_schema_detail
