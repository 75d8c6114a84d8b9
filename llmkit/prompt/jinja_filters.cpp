// The filters of jinja2 that templates use (and Hugging Face's tojson).
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <map>

#include "llmkit/prompt/jinja_builtins.h"

namespace llmkit::prompt::jinja {
namespace {

using FilterFn = Value (*)(const Value&, const CallArgs&);

[[noreturn]] void fail(const std::string& what) {
  throw JinjaFailure(what);
}

// Follows a dotted attribute path ("a.b", "items.0") as jinja2's make_attrgetter does.
Value attribute_path(const Value& v, const Value& path) {
  if (!path.is_string()) return get_item(v, path);
  Value cur = v;
  size_t start = 0;
  const std::string& p = path.str();
  while (true) {
    size_t dot = p.find('.', start);
    std::string part = p.substr(start, dot == std::string::npos ? std::string::npos : dot - start);
    const bool digits =
        !part.empty() && part.size() < 19 && std::all_of(part.begin(), part.end(), ::isdigit);
    cur = get_item(cur, digits ? Value::integer(std::stoll(part)) : Value::string(part));
    if (dot == std::string::npos) return cur;
    start = dot + 1;
  }
}

CallArgs rest_args(const CallArgs& a, size_t from) {
  CallArgs out;
  if (from < a.args.size()) out.args.assign(a.args.begin() + static_cast<long>(from), a.args.end());
  out.kwargs = a.kwargs;
  return out;
}

// Sort key for sort / dictsort / unique / min / max: lower-cased strings unless case-sensitive.
Value sort_key(const Value& v, bool case_sensitive) {
  return v.is_string() && !case_sensitive ? Value::string(py_lower(v.str())) : v;
}

Value f_default(const Value& v, const CallArgs& a) {
  const bool boolean = truthy(arg(a, 1, "boolean", Value::boolean(false)));
  if (v.is_undefined() || (boolean && !truthy(v)))
    return arg(a, 0, "default_value", Value::string(""));
  return v;
}

Value f_length(const Value& v, const CallArgs&) {
  switch (v.kind()) {
    case Value::Kind::kUndefined:
      return Value::integer(0);
    case Value::Kind::kString:
      return Value::integer(static_cast<int64_t>(code_point_count(v.str())));
    case Value::Kind::kList:
    case Value::Kind::kTuple:
      return Value::integer(static_cast<int64_t>(v.items().size()));
    case Value::Kind::kDict:
      return Value::integer(static_cast<int64_t>(v.dict().items.size()));
    default:
      fail("object of type '" + type_name(v) + "' has no len()");
  }
}

// Hugging Face's tojson(x, ensure_ascii=False, indent=None, separators=None, sort_keys=False).
Value f_tojson(const Value& v, const CallArgs& a) {
  const Value indent_v = arg(a, 1, "indent", Value::none());
  std::optional<std::string> indent;
  if (indent_v.is_string()) indent = indent_v.str();
  if (indent_v.is_int()) {
    indent = std::string(static_cast<size_t>(std::max<int64_t>(0, indent_v.as_int())), ' ');
  }
  std::string item_sep = indent ? "," : ", ", key_sep = ": ";
  const Value seps = arg(a, 2, "separators", Value::none());
  if (seps.is_sequence()) {
    if (seps.items().size() != 2 || !seps.items()[0].is_string() || !seps.items()[1].is_string()) {
      fail("tojson separators must be a pair of strings");
    }
    item_sep = seps.items()[0].str();
    key_sep = seps.items()[1].str();
  }
  return Value::string(to_json(v, indent, item_sep, key_sep,
                               truthy(arg(a, 3, "sort_keys", Value())),
                               truthy(arg(a, 0, "ensure_ascii", Value()))));
}

Value f_trim(const Value& v, const CallArgs& a) {
  return Value::string(py_strip(to_str(v), arg(a, 0, "chars", Value::none()), true, true));
}
Value f_upper(const Value& v, const CallArgs&) {
  return Value::string(py_upper(to_str(v)));
}
Value f_lower(const Value& v, const CallArgs&) {
  return Value::string(py_lower(to_str(v)));
}
Value f_string(const Value& v, const CallArgs&) {
  return Value::string(to_str(v));
}
Value f_safe(const Value& v, const CallArgs&) {
  return v;
}

Value f_capitalize(const Value& v, const CallArgs&) {
  return Value::string(py_capitalize(to_str(v)));
}

// jinja2's title: each run after '-', whitespace, '(', '{', '[' or '<' is capitalized.
Value f_title(const Value& v, const CallArgs&) {
  const std::string s = to_str(v);
  std::string out, word;
  auto flush = [&] {
    out += py_capitalize(word);
    word.clear();
  };
  for (char c : s) {
    const bool sep = c == '-' || c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' ||
                     c == '\v' || c == '(' || c == '{' || c == '[' || c == '<';
    if (sep) {
      flush();
      out += c;
    } else {
      word += c;
    }
  }
  flush();
  return Value::string(out);
}

Value f_replace(const Value& v, const CallArgs& a) {
  CallArgs m;
  m.args = {arg(a, 0, "old", Value()), arg(a, 1, "new", Value()),
            arg(a, 2, "count", Value::integer(-1))};
  if (!m.args[0].is_string() || !m.args[1].is_string()) fail("replace arguments must be strings");
  return get_attr(Value::string(to_str(v)), "replace").callable().fn(m);
}

Value f_join(const Value& v, const CallArgs& a) {
  const std::string sep = to_str(arg(a, 0, "d", Value::string("")));
  const Value attr = arg(a, 1, "attribute", Value::none());
  std::string out;
  bool first = true;
  for (const Value& e : iterate(v)) {
    if (!first) out += sep;
    first = false;
    out += to_str(attr.is_none() ? e : attribute_path(e, attr));
  }
  return Value::string(out);
}

Value f_first(const Value& v, const CallArgs&) {
  List items = iterate(v);
  return items.empty() ? Value::undefined("No first item, sequence was empty.") : items.front();
}

Value f_last(const Value& v, const CallArgs&) {
  List items = iterate(v);
  return items.empty() ? Value::undefined("No last item, sequence was empty.") : items.back();
}

Value f_list(const Value& v, const CallArgs&) {
  return Value::list(iterate(v));
}

Value f_reverse(const Value& v, const CallArgs&) {
  if (v.is_string()) {
    std::vector<std::string> cps = code_points(v.str());
    std::string out;
    for (auto it = cps.rbegin(); it != cps.rend(); ++it) out += *it;
    return Value::string(out);
  }
  List items = iterate(v);
  std::reverse(items.begin(), items.end());
  return Value::list(std::move(items));
}

Value f_items(const Value& v, const CallArgs&) {
  if (v.is_undefined()) return Value::list({});
  if (!v.is_mapping()) fail("can only get item pairs from a mapping, not " + type_name(v));
  List out;
  for (const auto& [k, e] : v.dict().items) out.push_back(Value::list({k, e}, true));
  return Value::list(std::move(out));
}

Value f_int(const Value& v, const CallArgs& a) {
  const Value fallback = arg(a, 0, "default", Value::integer(0));
  if (v.is_int() || v.is_bool()) return Value::integer(v.as_int());
  if (v.is_float()) {
    const double d = std::trunc(v.as_float());
    if (!(d >= -9.2e18 && d <= 9.2e18)) fail("int(): value out of the 64-bit range");
    return Value::integer(static_cast<int64_t>(d));
  }
  if (v.is_string()) {
    const std::string s = py_strip(v.str(), Value::none(), true, true);
    try {
      size_t used = 0;
      int64_t i =
          std::stoll(s, &used, static_cast<int>(arg(a, 1, "base", Value::integer(10)).as_int()));
      if (used == s.size()) return Value::integer(i);
      double d = std::stod(s, &used);
      if (used == s.size()) return Value::integer(static_cast<int64_t>(d));
    } catch (const std::exception&) {
    }
  }
  return fallback;
}

Value f_float(const Value& v, const CallArgs& a) {
  if (v.is_number()) return Value::floating(v.as_float());
  if (v.is_string()) {
    const std::string s = py_strip(v.str(), Value::none(), true, true);
    try {
      size_t used = 0;
      double d = std::stod(s, &used);
      if (used == s.size()) return Value::floating(d);
    } catch (const std::exception&) {
    }
  }
  return arg(a, 0, "default", Value::floating(0.0));
}

Value f_abs(const Value& v, const CallArgs&) {
  if (v.is_float()) return Value::floating(std::fabs(v.as_float()));
  if (v.is_int() || v.is_bool()) return Value::integer(std::llabs(v.as_int()));
  fail("bad operand type for abs(): '" + type_name(v) + "'");
}

Value f_round(const Value& v, const CallArgs& a) {
  require_defined(v);
  if (!v.is_number()) fail("round() requires a number, not " + type_name(v));
  const int64_t precision = arg(a, 0, "precision", Value::integer(0)).as_int();
  const std::string method = to_str(arg(a, 1, "method", Value::string("common")));
  const double scale = std::pow(10.0, static_cast<double>(precision));
  const double x = v.as_float() * scale;
  double r;
  if (method == "common") {
    if (!v.is_float()) return Value::integer(v.as_int());
    if (precision >= 0 && precision < 300 && std::isfinite(v.as_float())) {
      // Python's round() rounds the exact binary value half-to-even, as printf does.
      char buf[512];
      std::snprintf(buf, sizeof buf, "%.*f", static_cast<int>(precision), v.as_float());
      return Value::floating(std::strtod(buf, nullptr));
    }
    r = std::nearbyint(x);  // Python's round(): half to even
  } else if (method == "ceil") {
    r = std::ceil(x);
  } else if (method == "floor") {
    r = std::floor(x);
  } else {
    fail("method must be common, ceil or floor");
  }
  return Value::floating(r / scale);
}

List sorted(List items, bool reverse, bool case_sensitive, const Value& attr) {
  auto key = [&](const Value& e) {
    return sort_key(attr.is_none() ? e : attribute_path(e, attr), case_sensitive);
  };
  std::stable_sort(items.begin(), items.end(), [&](const Value& x, const Value& y) {
    return reverse ? compare(key(y), key(x), "<") < 0 : compare(key(x), key(y), "<") < 0;
  });
  return items;
}

Value f_sort(const Value& v, const CallArgs& a) {
  return Value::list(sorted(iterate(v), truthy(arg(a, 0, "reverse", Value())),
                            truthy(arg(a, 1, "case_sensitive", Value())),
                            arg(a, 2, "attribute", Value::none())));
}

Value f_dictsort(const Value& v, const CallArgs& a) {
  List pairs = f_items(v, {}).items();
  const bool by_value = to_str(arg(a, 1, "by", Value::string("key"))) == "value";
  return Value::list(sorted(std::move(pairs), truthy(arg(a, 2, "reverse", Value())),
                            truthy(arg(a, 0, "case_sensitive", Value())),
                            Value::integer(by_value ? 1 : 0)));
}

Value f_unique(const Value& v, const CallArgs& a) {
  const bool cs = truthy(arg(a, 0, "case_sensitive", Value()));
  const Value attr = arg(a, 1, "attribute", Value::none());
  List out, seen;
  for (const Value& e : iterate(v)) {
    Value k = sort_key(attr.is_none() ? e : attribute_path(e, attr), cs);
    if (std::any_of(seen.begin(), seen.end(), [&](const Value& s) { return equals(s, k); }))
      continue;
    seen.push_back(k);
    out.push_back(e);
  }
  return Value::list(std::move(out));
}

Value min_max(const Value& v, const CallArgs& a, bool want_max) {
  const bool cs = truthy(arg(a, 0, "case_sensitive", Value()));
  const Value attr = arg(a, 1, "attribute", Value::none());
  List items = iterate(v);
  if (items.empty()) return Value::undefined("No aggregated item, sequence was empty.");
  const Value* best = &items[0];
  for (const Value& e : items) {
    Value ke = sort_key(attr.is_none() ? e : attribute_path(e, attr), cs);
    Value kb = sort_key(attr.is_none() ? *best : attribute_path(*best, attr), cs);
    if (compare(ke, kb, want_max ? ">" : "<") == (want_max ? 1 : -1)) best = &e;
  }
  return *best;
}
Value f_max(const Value& v, const CallArgs& a) {
  return min_max(v, a, true);
}
Value f_min(const Value& v, const CallArgs& a) {
  return min_max(v, a, false);
}

Value f_sum(const Value& v, const CallArgs& a) {
  const Value attr = arg(a, 0, "attribute", Value::none());
  Value total = arg(a, 1, "start", Value::integer(0));
  for (const Value& e : iterate(v))
    total = binary_op("+", total, attr.is_none() ? e : attribute_path(e, attr));
  return total;
}

Value f_map(const Value& v, const CallArgs& a) {
  List out;
  const Value attr = arg(a, 99, "attribute", Value());
  for (const Value& e : iterate(v)) {
    if (!attr.is_undefined()) {
      Value r = attribute_path(e, attr);
      out.push_back(r.is_undefined() ? arg(a, 99, "default", r) : r);
    } else {
      if (a.args.empty() || !a.args[0].is_string()) fail("map needs a filter name or attribute=");
      out.push_back(apply_filter(a.args[0].str(), e, rest_args(a, 1)));
    }
  }
  return Value::list(std::move(out));
}

Value select_impl(const Value& v, const CallArgs& a, bool by_attr, bool keep) {
  List out;
  const size_t test_at = by_attr ? 1 : 0;
  for (const Value& e : iterate(v)) {
    Value x = by_attr ? attribute_path(e, a.args.empty() ? Value() : a.args[0]) : e;
    bool ok = a.args.size() > test_at
                  ? apply_test(to_str(a.args[test_at]), x, rest_args(a, test_at + 1))
                  : truthy(x);
    if (ok == keep) out.push_back(e);
  }
  return Value::list(std::move(out));
}
Value f_select(const Value& v, const CallArgs& a) {
  return select_impl(v, a, false, true);
}
Value f_reject(const Value& v, const CallArgs& a) {
  return select_impl(v, a, false, false);
}
Value f_selectattr(const Value& v, const CallArgs& a) {
  return select_impl(v, a, true, true);
}
Value f_rejectattr(const Value& v, const CallArgs& a) {
  return select_impl(v, a, true, false);
}

// Python getattr only: a dict's keys are not attributes.
Value f_attr(const Value& v, const CallArgs& a) {
  const std::string name = to_str(arg(a, 0, "name", Value()));
  if (v.kind() == Value::Kind::kDict && v.dict().find(Value::string(name)) != nullptr) {
    return Value::undefined("'dict object' has no attribute '" + name + "'");
  }
  return get_attr(v, name);
}

Value f_escape(const Value& v, const CallArgs&) {
  std::string out;
  for (char c : to_str(v)) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&#34;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out += c;
    }
  }
  return Value::string(out);
}

Value f_indent(const Value& v, const CallArgs& a) {
  const Value w = arg(a, 0, "width", Value::integer(4));
  const std::string ind =
      w.is_string() ? w.str() : std::string(static_cast<size_t>(w.as_int()), ' ');
  const bool first = truthy(arg(a, 1, "first", Value())),
             blank = truthy(arg(a, 2, "blank", Value()));
  std::string s = to_str(v) + "\n";
  std::vector<std::string> lines;
  size_t start = 0;
  for (size_t at; (at = s.find('\n', start)) != std::string::npos; start = at + 1) {
    lines.push_back(s.substr(start, at - start));
  }
  std::string out = lines.empty() ? "" : lines[0];
  for (size_t i = 1; i < lines.size(); ++i) {
    out += "\n" + ((blank || !lines[i].empty()) ? ind + lines[i] : lines[i]);
  }
  return Value::string(first ? ind + out : out);
}

Value f_center(const Value& v, const CallArgs& a) {
  const std::string s = to_str(v);
  const int64_t width = arg(a, 0, "width", Value::integer(80)).as_int();
  const int64_t n = static_cast<int64_t>(code_point_count(s));
  if (width <= n) return Value::string(s);
  const int64_t pad = width - n, left = pad / 2 + (pad & width & 1);
  return Value::string(std::string(static_cast<size_t>(left), ' ') + s +
                       std::string(static_cast<size_t>(pad - left), ' '));
}

Value f_wordcount(const Value& v, const CallArgs&) {
  int64_t n = 0;
  bool in_word = false;
  for (unsigned char c : to_str(v)) {
    const bool w = std::isalnum(c) || c == '_' || c >= 0x80;
    if (w && !in_word) ++n;
    in_word = w;
  }
  return Value::integer(n);
}

Value f_format(const Value& v, const CallArgs& a) {
  return binary_op("%", Value::string(to_str(v)), Value::list(a.args, true));
}

const std::map<std::string, FilterFn>& filters() {
  static const std::map<std::string, FilterFn> table = {
      {"abs", f_abs},
      {"attr", f_attr},
      {"capitalize", f_capitalize},
      {"center", f_center},
      {"count", f_length},
      {"d", f_default},
      {"default", f_default},
      {"dictsort", f_dictsort},
      {"e", f_escape},
      {"escape", f_escape},
      {"first", f_first},
      {"float", f_float},
      {"format", f_format},
      {"indent", f_indent},
      {"int", f_int},
      {"items", f_items},
      {"join", f_join},
      {"last", f_last},
      {"length", f_length},
      {"list", f_list},
      {"lower", f_lower},
      {"map", f_map},
      {"max", f_max},
      {"min", f_min},
      {"reject", f_reject},
      {"rejectattr", f_rejectattr},
      {"replace", f_replace},
      {"reverse", f_reverse},
      {"round", f_round},
      {"safe", f_safe},
      {"select", f_select},
      {"selectattr", f_selectattr},
      {"sort", f_sort},
      {"string", f_string},
      {"sum", f_sum},
      {"title", f_title},
      {"tojson", f_tojson},
      {"trim", f_trim},
      {"unique", f_unique},
      {"upper", f_upper},
      {"wordcount", f_wordcount},
  };
  return table;
}

}  // namespace

bool has_filter(const std::string& name) {
  return filters().count(name) != 0;
}

Value apply_filter(const std::string& name, const Value& v, const CallArgs& args) {
  auto it = filters().find(name);
  if (it == filters().end()) fail("no filter named '" + name + "'");
  return it->second(v, args);
}

}  // namespace llmkit::prompt::jinja
