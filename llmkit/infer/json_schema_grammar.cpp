#include "llmkit/infer/json_schema_grammar.h"

#include <algorithm>
#include <cmath>
#include <sstream>

#include "llmkit/base/error.h"
#include "llmkit/infer/gbnf_emit.h"
#include "llmkit/infer/json_schema_converter.h"
#include "llmkit/infer/json_schema_terms.h"

namespace llmkit::infer {

std::string json_pointer_append(const std::string& pointer, const std::string& token) {
  std::string out = pointer + "/";
  for (char c : token) {
    if (c == '~') {
      out += "~0";
    } else if (c == '/') {
      out += "~1";
    } else {
      out += c;
    }
  }
  return out;
}

namespace json_schema_detail {
namespace {

std::string shown(const std::string& path) {
  return path.empty() ? "/ (the root)" : path;
}

// Rule names: letters, digits and dashes.
std::string sanitize(const std::string& s) {
  std::string out;
  for (char c : s) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
    out += ok ? c : '-';
  }
  return out.empty() ? "x" : out;
}

}  // namespace

std::string child(const std::string& path, const std::string& key) {
  return json_pointer_append(path, key);
}

void fail(const std::string& path, const std::string& what) {
  throw_error(ErrorCode::kInvalidArgument,
              str_cat("json_schema_to_gbnf: ", what, " at ", shown(path)));
}

bool constrains(const std::string& key) {
  return kAnnotations.count(key) == 0;
}

std::string Converter::run() {
  const std::string expr = visit(root_, "", "schema", /*is_root=*/true);
  std::ostringstream out;
  out << "root ::= " << expr << "\n";
  for (const auto& [name, body] : rules_) out << name << " ::= " << body << "\n";
  return out.str();
}

// Reserves a unique rule name derived from hint.
std::string Converter::reserve(const std::string& hint) {
  std::string base = sanitize(hint), name = base;
  for (int i = 2; taken_.count(name); ++i) name = str_cat(base, "-", i);
  taken_.insert(name);
  return name;
}

std::string Converter::define(const std::string& hint, const std::string& body) {
  std::string name = reserve(hint);
  rules_.emplace_back(name, body);
  return name;
}

// A generic rule (json_schema_terms.h) by name, defined on first use with its dependencies.
std::string Converter::generic(const std::string& name) {
  if (generic_done_.insert(name).second) {
    const json_terms::GenericRule r = json_terms::generic_rule(name);
    taken_.insert(name);
    rules_.emplace_back(name, r.body);
    std::istringstream deps(r.requires_rules);
    for (std::string d; deps >> d;) generic(d);
  }
  return name;
}

const json& Converter::resolve(const std::string& ref, const std::string& path) {
  if (ref.empty() || ref[0] != '#') {
    fail(path, str_cat("$ref '", ref, "' is not a reference within the schema (use #/...)"));
  }
  try {
    return root_.at(json::json_pointer(ref.substr(1)));
  } catch (const json::exception&) {
    fail(path, str_cat("$ref '", ref, "' points at nothing in the schema"));
  }
}

std::string Converter::visit_ref(const std::string& ref, const std::string& path) {
  auto it = ref_rules_.find(ref);
  if (it != ref_rules_.end()) return it->second;
  const json& target = resolve(ref, path);
  const std::string hint = ref == "#" ? "root-ref" : "ref" + ref.substr(ref.rfind('/'));
  const std::string name = reserve(hint);
  ref_rules_[ref] = name;  // before visiting: recursive references find it
  const size_t slot = rules_.size();
  rules_.emplace_back(name, "");
  const std::string body = visit(target, ref.substr(1), name, false);
  rules_[slot].second = body;
  return name;
}

// A GBNF expression (a rule name or an atom) for the JSON values valid under `schema`.
std::string Converter::visit(const json& schema, const std::string& path, const std::string& hint,
                             bool is_root) {
  if (schema.is_boolean()) {
    if (schema.get<bool>()) return generic("value");
    fail(path, "schema false (no value is valid) cannot be produced here");
  }
  if (!schema.is_object()) fail(path, "a schema must be a JSON object or a boolean");
  for (const auto& [key, value] : schema.items()) {
    const bool known = kAnnotations.count(key) || kObjectKeys.count(key) || kArrayKeys.count(key) ||
                       kStringKeys.count(key) || kNumberKeys.count(key) || kOtherKeys.count(key);
    if (!known) fail(child(path, key), str_cat("unsupported keyword '", key, "'"));
    if (key == "$id" && !is_root) fail(child(path, key), "'$id' is supported only at the root");
  }
  if (schema.contains("$ref")) {
    only_with(schema, path, "$ref", {});
    const json& ref = schema["$ref"];
    if (!ref.is_string()) fail(child(path, "$ref"), "'$ref' must be a string");
    return visit_ref(ref.get<std::string>(), child(path, "$ref"));
  }
  if (schema.contains("allOf")) {
    const json& parts = schema["allOf"];
    bool alone = parts.is_array() && parts.size() == 1;
    for (const auto& [key, value] : schema.items())
      alone = alone && (key == "allOf" || !constrains(key));
    // A lone part (pydantic's {"allOf": [{"$ref": ...}], "default": ...}) is visited as itself,
    // so a $ref in it keeps its shared, possibly recursive rule.
    if (alone) return visit(parts[0], child(child(path, "allOf"), "0"), hint, false);
    // Merging copies $ref targets: a recursive $ref inside allOf would merge forever.
    if (++merge_depth_ > kMaxMergeDepth) {
      fail(path,
           "allOf nested or recursive too deeply (a recursive $ref inside allOf with other parts "
           "is not supported)");
    }
    std::string expr = visit(merge_all_of(schema, path), path, hint, is_root);
    --merge_depth_;
    return expr;
  }
  for (const char* key : {"anyOf", "oneOf"}) {
    if (!schema.contains(key)) continue;
    only_with(schema, path, key, {});
    const json& branches = schema[key];
    if (!branches.is_array() || branches.empty()) {
      fail(child(path, key), str_cat("'", key, "' must be a non-empty array"));
    }
    std::vector<std::string> alts;
    for (size_t i = 0; i < branches.size(); ++i) {
      alts.push_back(visit(branches[i], child(child(path, key), std::to_string(i)),
                           str_cat(hint, "-", i), false));
    }
    return define(hint, join_alts(alts));
  }
  const std::vector<std::string> types = types_of(schema, path);
  if (schema.contains("enum") || schema.contains("const")) return visit_enum(schema, path, hint);
  if (types.empty()) return generic("value");
  std::vector<std::string> alts;
  for (const std::string& t : types) alts.push_back(visit_type(schema, path, hint, t));
  if (alts.size() == 1) return alts[0];
  return define(hint, join_alts(alts));
}

std::string Converter::join_alts(const std::vector<std::string>& alts) {
  std::string out;
  for (size_t i = 0; i < alts.size(); ++i) out += (i ? " | " : "") + alts[i];
  return out;
}

// Fails unless every key other than `key` and `allowed` is an annotation.
void Converter::only_with(const json& schema, const std::string& path, const std::string& key,
                          const std::set<std::string>& allowed) {
  for (const auto& [k, v] : schema.items()) {
    if (k != key && constrains(k) && !allowed.count(k) && k != "$id") {
      fail(child(path, k), str_cat("keyword '", k, "' next to '", key,
                                   "' is not supported (move it into the '", key, "' schema)"));
    }
  }
}

// The types the schema allows: "type" (one or a list), or those whose keywords appear; empty
// means any value.
std::vector<std::string> Converter::types_of(const json& schema, const std::string& path) {
  static const std::set<std::string> kTypes = {"object",  "array",   "string", "number",
                                               "integer", "boolean", "null"};
  std::vector<std::string> types;
  if (schema.contains("type")) {
    const json& t = schema["type"];
    const json list = t.is_array() ? t : json::array({t});
    for (const json& name : list) {
      if (!name.is_string() || !kTypes.count(name.get<std::string>())) {
        fail(child(path, "type"), str_cat("unknown type ", name.dump()));
      }
      types.push_back(name.get<std::string>());
    }
    if (types.empty()) fail(child(path, "type"), "'type' is an empty list");
    return types;
  }
  auto any_of = [&](const std::set<std::string>& keys) {
    for (const std::string& k : keys) {
      if (schema.contains(k)) return true;
    }
    return false;
  };
  if (any_of(kObjectKeys)) types.push_back("object");
  if (any_of(kArrayKeys)) types.push_back("array");
  if (any_of(kStringKeys)) types.push_back("string");
  if (any_of(kNumberKeys)) types.push_back("number");
  return types;
}

std::string Converter::visit_enum(const json& schema, const std::string& path,
                                  const std::string& hint) {
  only_with(schema, path, schema.contains("enum") ? "enum" : "const", {"type", "enum", "const"});
  json values = json::array();
  if (schema.contains("const")) values.push_back(schema["const"]);
  if (schema.contains("enum")) {
    if (!schema["enum"].is_array()) fail(child(path, "enum"), "'enum' must be an array");
    for (const json& v : schema["enum"]) {
      // With both, a value must be in the enum and equal the const.
      if (!schema.contains("const") || v == schema["const"]) values.push_back(v);
    }
    if (schema.contains("const")) values.erase(values.begin());
  }
  std::vector<std::string> types;
  if (schema.contains("type")) types = types_of(schema, path);
  std::vector<std::string> alts;
  for (const json& v : values) {
    if (!types.empty() && !has_type(v, types)) continue;
    alts.push_back(gbnf::literal(v.dump()));
  }
  if (alts.empty()) fail(path, "no value of 'enum' / 'const' satisfies the schema");
  return define(hint, join_alts(alts));
}

bool Converter::has_type(const json& v, const std::vector<std::string>& types) {
  for (const std::string& t : types) {
    if ((t == "object" && v.is_object()) || (t == "array" && v.is_array()) ||
        (t == "string" && v.is_string()) || (t == "number" && v.is_number()) ||
        (t == "boolean" && v.is_boolean()) || (t == "null" && v.is_null()) ||
        (t == "integer" && v.is_number() && v.get<double>() == std::floor(v.get<double>()))) {
      return true;
    }
  }
  return false;
}

std::string Converter::visit_type(const json& schema, const std::string& path,
                                  const std::string& hint, const std::string& type) {
  if (type == "object") return visit_object(schema, path, hint);
  if (type == "array") return visit_array(schema, path, hint);
  if (type == "string") return visit_string(schema, path, hint);
  if (type == "integer") return visit_integer(schema, path, hint);
  if (type == "number") return visit_number(schema, path, hint);
  return generic(type);  // boolean, null
}

// One schema equivalent to the schema's allOf parts and its other keywords, when they combine
// without conflict: keywords are taken from whichever part has them, `properties` and `required`
// are united, and a keyword present in two parts must have the same value.
json Converter::merge_all_of(const json& schema, const std::string& path) {
  const std::string all_path = child(path, "allOf");
  const json& parts = schema["allOf"];
  if (!parts.is_array() || parts.empty()) fail(all_path, "'allOf' must be a non-empty array");
  json merged = schema;
  merged.erase("allOf");
  int with_properties = merged.contains("properties") ? 1 : 0;
  bool additional = merged.contains("additionalProperties");
  for (size_t i = 0; i < parts.size(); ++i) {
    const std::string part_path = child(all_path, std::to_string(i));
    json part = parts[i];
    for (int depth = 0; part.is_object() && part.contains("$ref"); ++depth) {
      only_with(part, part_path, "$ref", {});
      if (depth > 32) fail(part_path, "$ref chain too long");
      part = resolve(part["$ref"].get<std::string>(), part_path);
    }
    if (part.is_boolean()) {
      if (part.get<bool>()) continue;
      fail(part_path, "schema false in allOf: no value is valid");
    }
    if (!part.is_object()) fail(part_path, "a schema must be a JSON object or a boolean");
    if (part.contains("allOf")) part = merge_all_of(part, part_path);
    with_properties += part.contains("properties") ? 1 : 0;
    additional = additional || part.contains("additionalProperties");
    for (const auto& [key, value] : part.items()) {
      if (!constrains(key)) continue;
      if (key == "properties" && merged.contains(key)) {
        for (const auto& [name, sub] : value.items()) {
          if (merged[key].contains(name) && merged[key][name] != sub) {
            fail(child(child(part_path, key), name), "property conflicts with another allOf part");
          }
          merged[key][name] = sub;
        }
      } else if (key == "required" && merged.contains(key)) {
        for (const json& name : value) {
          if (std::find(merged[key].begin(), merged[key].end(), name) == merged[key].end()) {
            merged[key].push_back(name);
          }
        }
      } else if (!merged.contains(key)) {
        merged[key] = value;
      } else if (merged[key] != value) {
        fail(child(part_path, key),
             str_cat("keyword '", key, "' conflicts with another allOf part"));
      }
    }
  }
  if (additional && with_properties > 1) {
    fail(all_path,
         "'additionalProperties' with 'properties' from several allOf parts is not supported");
  }
  return merged;
}

}  // namespace json_schema_detail

std::string json_schema_to_gbnf(const nlohmann::ordered_json& schema) {
  return json_schema_detail::Converter(schema).run();
}

std::string json_schema_to_gbnf(const nlohmann::json& schema) {
  // nlohmann::json keeps object keys sorted: the property order is alphabetical.
  return json_schema_to_gbnf(nlohmann::ordered_json::parse(schema.dump()));
}

}  // namespace llmkit::infer
