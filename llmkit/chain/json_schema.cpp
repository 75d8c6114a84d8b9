#include "llmkit/chain/json_schema.h"

#include <cmath>
#include <regex>
#include <set>

#include "llmkit/base/error.h"

namespace llmkit::chain {

using nlohmann::json;

std::string SchemaViolation::to_string() const {
  return (pointer.empty() ? std::string("/") : pointer) + ": " + message;
}

std::string describe_violations(const std::vector<SchemaViolation>& violations) {
  std::string out;
  for (const auto& v : violations) {
    if (!out.empty()) out += "; ";
    out += v.to_string();
  }
  return out;
}

std::string json_type_name(const json& value) {
  switch (value.type()) {
    case json::value_t::null:
      return "null";
    case json::value_t::boolean:
      return "boolean";
    case json::value_t::object:
      return "object";
    case json::value_t::array:
      return "array";
    case json::value_t::string:
      return "string";
    case json::value_t::number_integer:
    case json::value_t::number_unsigned:
      return "integer";
    default:
      return "number";
  }
}

namespace {

bool is_whole(const json& v) {
  if (v.is_number_integer()) return true;
  if (!v.is_number_float()) return false;
  double d = v.get<double>();
  return std::isfinite(d) && d == std::floor(d);
}

bool has_type(const json& value, const std::string& type) {
  if (type == "number") return value.is_number();
  if (type == "integer") return value.is_number() && is_whole(value);
  return json_type_name(value) == type;
}

// Code points of UTF-8 text: every byte that does not continue a sequence starts one.
size_t code_points(const std::string& s) {
  size_t n = 0;
  for (unsigned char c : s) n += (c & 0xC0) != 0x80;
  return n;
}

// Numbers compare by value: 1 == 1.0 (the standard's equality), recursively.
bool json_equal(const json& a, const json& b) {
  if (a.is_number() && b.is_number()) {
    if (a.is_number_float() || b.is_number_float()) return a.get<double>() == b.get<double>();
    return a == b;
  }
  if (a.type() != b.type()) return false;
  if (a.is_array()) {
    if (a.size() != b.size()) return false;
    for (size_t i = 0; i < a.size(); ++i) {
      if (!json_equal(a[i], b[i])) return false;
    }
    return true;
  }
  if (a.is_object()) {
    if (a.size() != b.size()) return false;
    for (auto it = a.begin(); it != a.end(); ++it) {
      auto other = b.find(it.key());
      if (other == b.end() || !json_equal(*it, *other)) return false;
    }
    return true;
  }
  return a == b;
}

std::string short_dump(const json& v) {
  std::string s = v.dump();
  if (s.size() > 60) s = s.substr(0, 57) + "...";
  return s;
}

class Validator {
 public:
  std::vector<SchemaViolation> out;

  void fail(const std::string& ptr, std::string msg) { out.push_back({ptr, std::move(msg)}); }

  [[noreturn]] static void bad_schema(const std::string& sptr, const std::string& what) {
    throw_error(ErrorCode::kInvalidArgument,
                str_cat("invalid JSON schema at ", sptr.empty() ? "/" : sptr, ": ", what,
                        "; fix the tool's parameter schema"));
  }

  static double number_kw(const json& schema, const char* key, const std::string& sptr) {
    const json& v = schema.at(key);
    if (!v.is_number()) bad_schema(json_pointer_append(sptr, key), "must be a number");
    return v.get<double>();
  }
  static size_t count_kw(const json& schema, const char* key, const std::string& sptr) {
    const json& v = schema.at(key);
    if (!v.is_number() || !is_whole(v) || v.get<double>() < 0) {
      bad_schema(json_pointer_append(sptr, key), "must be a non-negative integer");
    }
    return static_cast<size_t>(v.get<double>());
  }

  // Returns true when value satisfies schema (violations are appended to out).
  bool check(const json& schema, const std::string& sptr, const json& value,
             const std::string& ptr) {
    if (schema.is_boolean()) {
      if (!schema.get<bool>()) fail(ptr, "no value is allowed here");
      return schema.get<bool>();
    }
    if (!schema.is_object()) bad_schema(sptr, "a schema must be an object or a boolean");
    const size_t before = out.size();

    if (auto it = schema.find("type"); it != schema.end()) {
      std::vector<std::string> types;
      if (it->is_string()) {
        types.push_back(it->get<std::string>());
      } else if (it->is_array()) {
        for (const auto& t : *it) {
          if (!t.is_string()) bad_schema(json_pointer_append(sptr, "type"), "must list strings");
          types.push_back(t.get<std::string>());
        }
      } else {
        bad_schema(json_pointer_append(sptr, "type"), "must be a string or a list of strings");
      }
      static const std::set<std::string> known = {"null",   "boolean", "object", "array",
                                                  "number", "integer", "string"};
      bool ok = false;
      std::string names;
      for (const auto& t : types) {
        if (!known.count(t))
          bad_schema(json_pointer_append(sptr, "type"), "unknown type '" + t + "'");
        ok = ok || has_type(value, t);
        names += (names.empty() ? "" : " or ") + t;
      }
      if (!ok) {
        fail(ptr, "expected " + names + ", got " + json_type_name(value));
        return false;  // the other keywords would only repeat the type error
      }
    }
    if (auto it = schema.find("enum"); it != schema.end()) {
      if (!it->is_array()) bad_schema(json_pointer_append(sptr, "enum"), "must be an array");
      bool found = false;
      for (const auto& e : *it) found = found || json_equal(e, value);
      if (!found) fail(ptr, short_dump(value) + " is not one of " + short_dump(*it));
    }
    if (auto it = schema.find("const"); it != schema.end()) {
      if (!json_equal(*it, value)) fail(ptr, "must be " + short_dump(*it));
    }
    if (value.is_number()) check_number(schema, sptr, value, ptr);
    if (value.is_string()) check_string(schema, sptr, value.get_ref<const std::string&>(), ptr);
    if (value.is_array()) check_array(schema, sptr, value, ptr);
    if (value.is_object()) check_object(schema, sptr, value, ptr);
    check_combinators(schema, sptr, value, ptr);
    return out.size() == before;
  }

 private:
  void check_number(const json& schema, const std::string& sptr, const json& value,
                    const std::string& ptr) {
    const double x = value.get<double>();
    const std::string shown = value.dump();
    if (schema.contains("minimum") && x < number_kw(schema, "minimum", sptr)) {
      fail(ptr, shown + " is less than the minimum " + schema["minimum"].dump());
    }
    if (schema.contains("maximum") && x > number_kw(schema, "maximum", sptr)) {
      fail(ptr, shown + " is greater than the maximum " + schema["maximum"].dump());
    }
    if (schema.contains("exclusiveMinimum") && x <= number_kw(schema, "exclusiveMinimum", sptr)) {
      fail(ptr, shown + " must be greater than " + schema["exclusiveMinimum"].dump());
    }
    if (schema.contains("exclusiveMaximum") && x >= number_kw(schema, "exclusiveMaximum", sptr)) {
      fail(ptr, shown + " must be less than " + schema["exclusiveMaximum"].dump());
    }
    if (schema.contains("multipleOf")) {
      const double m = number_kw(schema, "multipleOf", sptr);
      if (m <= 0) bad_schema(json_pointer_append(sptr, "multipleOf"), "must be positive");
      const double q = x / m;
      if (std::fabs(q - std::round(q)) > 1e-9 * std::max(1.0, std::fabs(q))) {
        fail(ptr, shown + " is not a multiple of " + schema["multipleOf"].dump());
      }
    }
  }

  void check_string(const json& schema, const std::string& sptr, const std::string& s,
                    const std::string& ptr) {
    const size_t n = code_points(s);
    if (schema.contains("minLength") && n < count_kw(schema, "minLength", sptr)) {
      fail(ptr, "string of " + std::to_string(n) + " characters is shorter than minLength " +
                    schema["minLength"].dump());
    }
    if (schema.contains("maxLength") && n > count_kw(schema, "maxLength", sptr)) {
      fail(ptr, "string of " + std::to_string(n) + " characters is longer than maxLength " +
                    schema["maxLength"].dump());
    }
    if (auto it = schema.find("pattern"); it != schema.end()) {
      if (!it->is_string()) bad_schema(json_pointer_append(sptr, "pattern"), "must be a string");
      std::regex re;
      try {
        re = std::regex(it->get<std::string>(), std::regex::ECMAScript);
      } catch (const std::regex_error& e) {
        bad_schema(json_pointer_append(sptr, "pattern"),
                   "invalid regular expression " + it->dump() + " (" + e.what() + ")");
      }
      if (!std::regex_search(s, re)) {
        fail(ptr, short_dump(json(s)) + " does not match the pattern " + it->dump());
      }
    }
  }

  void check_array(const json& schema, const std::string& sptr, const json& value,
                   const std::string& ptr) {
    if (schema.contains("minItems") && value.size() < count_kw(schema, "minItems", sptr)) {
      fail(ptr, "array of " + std::to_string(value.size()) + " items has fewer than minItems " +
                    schema["minItems"].dump());
    }
    if (schema.contains("maxItems") && value.size() > count_kw(schema, "maxItems", sptr)) {
      fail(ptr, "array of " + std::to_string(value.size()) + " items has more than maxItems " +
                    schema["maxItems"].dump());
    }
    if (auto u = schema.find("uniqueItems"); u != schema.end() && !u->is_boolean()) {
      bad_schema(json_pointer_append(sptr, "uniqueItems"), "must be a boolean");
    }
    if (schema.contains("uniqueItems") && schema["uniqueItems"].get<bool>()) {
      for (size_t i = 0; i < value.size(); ++i) {
        for (size_t j = 0; j < i; ++j) {
          if (json_equal(value[i], value[j])) {
            fail(json_pointer_append(ptr, std::to_string(i)),
                 "duplicates item " + std::to_string(j) + " (uniqueItems)");
          }
        }
      }
    }
    if (auto it = schema.find("items"); it != schema.end()) {
      const std::string item_sptr = json_pointer_append(sptr, "items");
      for (size_t i = 0; i < value.size(); ++i) {
        check(*it, item_sptr, value[i], json_pointer_append(ptr, std::to_string(i)));
      }
    }
  }

  void check_object(const json& schema, const std::string& sptr, const json& value,
                    const std::string& ptr) {
    const json empty = json::object();
    const json& props = schema.contains("properties") ? schema["properties"] : empty;
    if (!props.is_object())
      bad_schema(json_pointer_append(sptr, "properties"), "must be an object");
    if (auto it = schema.find("required"); it != schema.end()) {
      if (!it->is_array()) bad_schema(json_pointer_append(sptr, "required"), "must be an array");
      for (const auto& key : *it) {
        if (!key.is_string())
          bad_schema(json_pointer_append(sptr, "required"), "must list strings");
        if (!value.contains(key.get<std::string>())) {
          fail(json_pointer_append(ptr, key.get<std::string>()), "required property is missing");
        }
      }
    }
    const std::string props_sptr = json_pointer_append(sptr, "properties");
    for (auto it = value.begin(); it != value.end(); ++it) {
      const std::string child = json_pointer_append(ptr, it.key());
      if (auto p = props.find(it.key()); p != props.end()) {
        check(*p, json_pointer_append(props_sptr, it.key()), *it, child);
      } else if (auto extra = schema.find("additionalProperties"); extra != schema.end()) {
        if (extra->is_boolean()) {
          if (!extra->get<bool>()) fail(child, "unknown property (additionalProperties is false)");
        } else {
          check(*extra, json_pointer_append(sptr, "additionalProperties"), *it, child);
        }
      }
    }
  }

  // A sub-check whose violations are collected separately (for anyOf/oneOf/not).
  bool probe(const json& schema, const std::string& sptr, const json& value, const std::string& ptr,
             std::vector<SchemaViolation>* found = nullptr) {
    Validator inner;
    bool ok = inner.check(schema, sptr, value, ptr);
    if (found) *found = std::move(inner.out);
    return ok;
  }

  void check_combinators(const json& schema, const std::string& sptr, const json& value,
                         const std::string& ptr) {
    for (const char* key : {"allOf", "anyOf", "oneOf"}) {
      auto it = schema.find(key);
      if (it == schema.end()) continue;
      if (!it->is_array() || it->empty()) {
        bad_schema(json_pointer_append(sptr, key), "must be a non-empty array of schemas");
      }
      const std::string base = json_pointer_append(sptr, key);
      if (std::string(key) == "allOf") {
        for (size_t i = 0; i < it->size(); ++i) {
          check((*it)[i], json_pointer_append(base, std::to_string(i)), value, ptr);
        }
        continue;
      }
      size_t matched = 0;
      std::string reasons;
      for (size_t i = 0; i < it->size(); ++i) {
        std::vector<SchemaViolation> found;
        if (probe((*it)[i], json_pointer_append(base, std::to_string(i)), value, ptr, &found)) {
          ++matched;
        } else if (reasons.size() < 300) {
          reasons += (reasons.empty() ? "" : " | ") + describe_violations(found);
        }
      }
      if (std::string(key) == "anyOf" && matched == 0) {
        fail(ptr, "matches none of the anyOf alternatives (" + reasons + ")");
      }
      if (std::string(key) == "oneOf" && matched != 1) {
        fail(ptr, matched == 0 ? "matches none of the oneOf alternatives (" + reasons + ")"
                               : "matches " + std::to_string(matched) +
                                     " oneOf alternatives, exactly one is allowed");
      }
    }
    if (auto it = schema.find("not"); it != schema.end()) {
      if (probe(*it, json_pointer_append(sptr, "not"), value, ptr)) {
        fail(ptr, "must not match the schema " + short_dump(*it));
      }
    }
  }
};

}  // namespace

std::vector<SchemaViolation> validate_json(const json& schema, const json& value) {
  Validator v;
  v.check(schema, "", value, "");
  return std::move(v.out);
}

}  // namespace llmkit::chain
