// Objects, arrays, strings and numbers for the JSON Schema converter (json_schema_converter.h).
#include <algorithm>
#include <cmath>
#include <optional>

#include "llmkit/base/error.h"
#include "llmkit/infer/gbnf_emit.h"
#include "llmkit/infer/json_schema_converter.h"
#include "llmkit/infer/json_schema_terms.h"
#include "llmkit/infer/regex_grammar.h"

namespace llmkit::infer::json_schema_detail {
namespace {

std::string concat(const std::vector<std::string>& parts) {
  std::string out;
  for (const std::string& p : parts) {
    if (p.empty()) continue;
    out += (out.empty() ? "" : " ") + p;
  }
  return out;
}

// A non-negative integer keyword (minItems, maxLength, ...), or `fallback` when absent.
int64_t count_keyword(const json& schema, const std::string& path, const char* key,
                      int64_t fallback) {
  if (!schema.contains(key)) return fallback;
  const json& v = schema[key];
  if (!v.is_number_integer() || v.get<int64_t>() < 0) {
    fail(child(path, key), str_cat("'", key, "' must be a non-negative integer"));
  }
  return v.get<int64_t>();
}

}  // namespace

std::string Converter::visit_object(const json& schema, const std::string& path,
                                    const std::string& hint) {
  const json empty = json::object();
  const json& props = schema.contains("properties") ? schema["properties"] : empty;
  if (!props.is_object()) fail(child(path, "properties"), "'properties' must be an object");
  std::set<std::string> required;
  if (schema.contains("required")) {
    const json& req = schema["required"];
    if (!req.is_array()) fail(child(path, "required"), "'required' must be an array of names");
    for (const json& name : req) {
      if (!name.is_string() || !props.contains(name.get<std::string>())) {
        fail(child(path, "required"),
             str_cat("required property ", name.dump(), " is not listed in 'properties'"));
      }
      required.insert(name.get<std::string>());
    }
  }
  const std::string ws = generic("ws");
  // Extra keys: additionalProperties true / a schema, or absent with no listed properties.
  std::string extra_kv;
  std::vector<std::string> names;
  for (const auto& [name, sub] : props.items()) names.push_back(name);
  const json* additional = schema.contains("additionalProperties")
                               ? &schema["additionalProperties"]
                               : (props.empty() ? nullptr : &kFalse);
  if (additional == nullptr || *additional != kFalse) {
    const std::string value =
        additional == nullptr
            ? generic("value")
            : visit(*additional, child(path, "additionalProperties"), hint + "-additional", false);
    extra_kv = define(hint + "-extra-kv",
                      str_cat(extra_key(names, hint), " ", ws, " \":\" ", ws, " ", value, " ", ws));
  }
  struct Member {
    std::string kv;
    bool required;
  };
  std::vector<Member> members;
  for (const auto& [name, sub] : props.items()) {
    const std::string sub_path = child(child(path, "properties"), name);
    if (sub.is_boolean() && !sub.get<bool>()) {
      if (required.count(name)) fail(sub_path, "a required property has schema false");
      continue;  // must not appear: never written
    }
    const std::string value = visit(sub, sub_path, hint + "-" + name, false);
    const std::string kv = define(
        hint + "-" + name + "-kv",
        str_cat(gbnf::literal(json(name).dump()), " ", ws, " \":\" ", ws, " ", value, " ", ws));
    members.push_back({kv, required.count(name) > 0});
  }
  // tails[i]: members i.. each after a comma (optional ones may be left out), then extra keys.
  const size_t n = members.size();
  std::vector<std::string> tails(n + 1);
  tails[n] = extra_kv.empty() ? "" : "(\",\" " + ws + " " + extra_kv + ")*";
  for (size_t i = n; i-- > 1;) {
    std::string piece = "\",\" " + ws + " " + members[i].kv;
    if (!members[i].required) piece = "(" + piece + ")?";
    tails[i] = define(str_cat(hint, "-tail-", i), concat({piece, tails[i + 1]}));
  }
  // The first member written is member k: every member before it is optional and left out.
  std::vector<std::string> firsts;
  bool nullable = true;
  for (size_t k = 0; k < n; ++k) {
    firsts.push_back(concat({members[k].kv, tails[k + 1]}));
    if (members[k].required) {
      nullable = false;
      break;
    }
  }
  if (nullable && !extra_kv.empty()) firsts.push_back(concat({extra_kv, tails[n]}));
  std::string body;
  if (!firsts.empty()) body = "(" + join_alts(firsts) + ")" + (nullable ? "?" : "");
  return define(hint, concat({"\"{\"", ws, body, "\"}\""}));
}

// The key of an extra property: a JSON string whose text differs from every listed name. It is
// written without escapes until it leaves the trie of the names, so no escape can spell a name.
std::string Converter::extra_key(const std::vector<std::string>& names, const std::string& hint) {
  if (names.empty()) return generic("string");
  const std::string chr = generic("char");
  gbnf::CodepointSet raw = gbnf::CodepointSet::all().minus([] {
    gbnf::CodepointSet s = gbnf::CodepointSet::range(0, 0x1F);
    s.add('"', '"');
    s.add('\\', '\\');
    return s;
  }());
  // Trie over code points; node 0 is the empty prefix.
  struct TrieNode {
    std::map<uint32_t, size_t> next;
    bool terminal = false;
  };
  std::vector<TrieNode> trie(1);
  for (const std::string& name : names) {
    size_t node = 0, pos = 0;
    uint32_t c = 0;
    while (pos < name.size()) {
      if (!gbnf::decode_utf8(name, &pos, &c)) fail("", "a property name is not valid UTF-8");
      auto it = trie[node].next.find(c);
      if (it == trie[node].next.end()) {
        trie.emplace_back();
        it = trie[node].next.emplace(c, trie.size() - 1).first;
      }
      node = it->second;
    }
    trie[node].terminal = true;
  }
  std::vector<std::string> rule_names(trie.size());
  for (size_t i = 0; i < trie.size(); ++i) rule_names[i] = reserve(str_cat(hint, "-key-", i));
  for (size_t i = 0; i < trie.size(); ++i) {
    std::vector<std::string> alts;
    if (!trie[i].terminal) alts.push_back("\"\\\"\"");
    gbnf::CodepointSet leave = raw;
    for (const auto& [c, next] : trie[i].next) {
      if (!raw.contains(c)) continue;  // needs an escape: never followed
      leave = leave.minus(gbnf::CodepointSet::single(c));
      std::string text;
      gbnf::append_utf8(&text, c);
      alts.push_back(gbnf::literal(text) + " " + rule_names[next]);
    }
    alts.push_back(gbnf::one_of(leave) + " " + chr + "* \"\\\"\"");
    rules_.emplace_back(rule_names[i], join_alts(alts));
  }
  return "\"\\\"\" " + rule_names[0];
}

std::string Converter::visit_array(const json& schema, const std::string& path,
                                   const std::string& hint) {
  if (schema.contains("uniqueItems") && schema["uniqueItems"] != json(false)) {
    fail(child(path, "uniqueItems"), "'uniqueItems' true is not supported");
  }
  const int64_t min_items = count_keyword(schema, path, "minItems", 0);
  const int64_t max_items = count_keyword(schema, path, "maxItems", -1);
  if (max_items >= 0 && max_items < min_items) fail(path, "'maxItems' is less than 'minItems'");
  const std::string ws = generic("ws");
  std::vector<std::string> prefix;
  const json* rest = nullptr;  // schema of the items after the prefix; null: none allowed
  const bool tuple =
      schema.contains("prefixItems") || (schema.contains("items") && schema["items"].is_array());
  const char* prefix_key = schema.contains("prefixItems") ? "prefixItems" : "items";
  if (tuple) {
    const json& list = schema[prefix_key];
    if (!list.is_array()) fail(child(path, prefix_key), "'prefixItems' must be an array");
    for (size_t i = 0; i < list.size(); ++i) {
      prefix.push_back(visit(list[i], child(child(path, prefix_key), std::to_string(i)),
                             str_cat(hint, "-", i), false));
    }
    if (schema.contains("prefixItems") && schema.contains("items")) rest = &schema["items"];
  } else {
    rest = schema.contains("items") ? &schema["items"] : &kTrue;
  }
  if (rest != nullptr && *rest == kFalse) rest = nullptr;
  const int64_t k = static_cast<int64_t>(prefix.size());
  if (rest == nullptr && min_items > k) {
    fail(path, "'minItems' asks for more items than the schema allows");
  }
  std::string rest_expr;
  if (rest != nullptr) rest_expr = visit(*rest, child(path, "items"), hint + "-item", false);
  // after(i): items i.. each after a comma, given that item i-1 was written.
  auto after = [&](auto&& self, int64_t i) -> std::string {
    if (max_items >= 0 && i >= max_items) return "";
    if (i < k) {
      const std::string piece = concat({"\",\"", ws, prefix[i], ws, self(self, i + 1)});
      return i < min_items ? piece : "(" + piece + ")?";
    }
    if (rest == nullptr) return "";
    const int64_t lo = std::max<int64_t>(0, min_items - i);
    const int64_t hi = max_items < 0 ? -1 : max_items - i;
    return gbnf::repeat("(\",\" " + ws + " " + rest_expr + " " + ws + ")", lo, hi);
  };
  std::string body;
  if (max_items != 0 && (k > 0 || rest != nullptr)) {
    const std::string first = k > 0 ? prefix[0] : rest_expr;
    body = concat({first, ws, after(after, 1)});
    if (min_items == 0) body = "(" + body + ")?";
  }
  return define(hint, concat({"\"[\"", ws, body, "\"]\""}));
}

std::string Converter::visit_string(const json& schema, const std::string& path,
                                    const std::string& hint) {
  const bool has_length = schema.contains("minLength") || schema.contains("maxLength");
  std::string body;
  if (schema.contains("format")) {
    const json& f = schema["format"];
    if (has_length || schema.contains("pattern")) {
      fail(child(path, "format"), "'format' together with a length or 'pattern' is not supported");
    }
    std::optional<std::string> fb;
    if (f.is_string()) fb = json_terms::format_body(f.get<std::string>());
    if (!fb) {
      fail(child(path, "format"),
           str_cat("format ", f.dump(),
                   " is not supported (supported: date, time, date-time, uuid; or use 'pattern')"));
    }
    body = *fb;
  } else if (schema.contains("pattern")) {
    if (has_length) {
      fail(child(path, "pattern"), "'pattern' together with minLength/maxLength is not supported");
    }
    if (!schema["pattern"].is_string()) fail(child(path, "pattern"), "'pattern' must be a string");
    body = detail::regex_expression(schema["pattern"].get<std::string>(), /*search=*/true,
                                    detail::RegexChars::kJsonString,
                                    "pattern at " + child(path, "pattern"));
  } else if (has_length) {
    const int64_t lo = count_keyword(schema, path, "minLength", 0);
    const int64_t hi = count_keyword(schema, path, "maxLength", -1);
    if (hi >= 0 && hi < lo) fail(path, "'maxLength' is less than 'minLength'");
    body = gbnf::repeat(generic("char"), lo, hi);
  } else {
    return generic("string");
  }
  return define(hint, concat({"\"\\\"\"", body, "\"\\\"\""}));
}

std::string Converter::visit_integer(const json& schema, const std::string& path,
                                     const std::string& hint) {
  std::optional<int64_t> lo, hi;
  for (const std::string& key : kNumberKeys) {
    if (!schema.contains(key)) continue;
    const json& v = schema[key];
    if (!v.is_number()) fail(child(path, key), str_cat("'", key, "' must be a number"));
    // A bound beyond the grammar's integers (e.g. zod's ±(2^53 - 1)) is clamped to them: every
    // integer the grammar allows then still satisfies the schema.
    const double limit = static_cast<double>(json_terms::kMaxIntBound);
    const double raw = v.get<double>();
    if (std::isnan(raw)) fail(child(path, key), str_cat("'", key, "' must be a number"));
    const double x = std::clamp(raw, -limit, limit);
    if (key == "minimum" || key == "exclusiveMinimum") {
      const auto b = static_cast<int64_t>(key == "minimum" ? std::ceil(x) : std::floor(x) + 1);
      lo = lo ? std::max(*lo, b) : b;
    } else {
      const auto b = static_cast<int64_t>(key == "maximum" ? std::floor(x) : std::ceil(x) - 1);
      hi = hi ? std::min(*hi, b) : b;
    }
  }
  if (!lo && !hi) return generic("integer");
  if (lo && hi && *lo > *hi) fail(path, "no integer satisfies the minimum and maximum");
  return define(hint, json_terms::integer_range(lo, hi));
}

std::string Converter::visit_number(const json& schema, const std::string& path,
                                    const std::string& hint) {
  using json_terms::NumberBound;
  std::optional<NumberBound> lo, hi;
  for (const std::string& key : kNumberKeys) {
    if (!schema.contains(key)) continue;
    const json& v = schema[key];
    if (!v.is_number()) fail(child(path, key), str_cat("'", key, "' must be a number"));
    const double limit = static_cast<double>(json_terms::kMaxIntBound);
    const double raw = v.get<double>();
    // Bounds beyond the grammar's range are clamped to it (the allowed values stay valid).
    const double x = std::isnan(raw) ? raw : std::clamp(raw, -limit, limit);
    if (x != std::floor(x)) {
      fail(child(path, key),
           str_cat("'", key, "' on type number must be a whole number within ±",
                   json_terms::kMaxIntBound, " (other bounds are not supported)"));
    }
    const NumberBound b{static_cast<int64_t>(x), key.rfind("exclusive", 0) == 0};
    // Keep the tighter bound; at equal values the exclusive one.
    if (key == "minimum" || key == "exclusiveMinimum") {
      if (!lo || b.value > lo->value || (b.value == lo->value && b.exclusive)) lo = b;
    } else if (!hi || b.value < hi->value || (b.value == hi->value && b.exclusive)) {
      hi = b;
    }
  }
  if (!lo && !hi) return generic("number");
  if (lo && hi &&
      (lo->value > hi->value || (lo->value == hi->value && (lo->exclusive || hi->exclusive)))) {
    fail(path, "no number satisfies the minimum and maximum");
  }
  return define(hint, json_terms::number_range(lo, hi));
}

}  // namespace llmkit::infer::json_schema_detail
