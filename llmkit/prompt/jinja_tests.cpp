// The tests of jinja2 (`x is defined`, `n is divisibleby 3`, ...).
#include <map>

#include "llmkit/prompt/jinja_builtins.h"

namespace llmkit::prompt::jinja {
namespace {

using TestFn = bool (*)(const Value&, const CallArgs&);

[[noreturn]] void fail(const std::string& what) {
  throw JinjaFailure(what);
}

int64_t int_operand(const Value& v) {
  require_defined(v);
  if (!v.is_int() && !v.is_bool()) fail("expected an integer, got " + type_name(v));
  return v.as_int();
}

bool t_defined(const Value& v, const CallArgs&) {
  return !v.is_undefined();
}
bool t_undefined(const Value& v, const CallArgs&) {
  return v.is_undefined();
}
bool t_none(const Value& v, const CallArgs&) {
  return v.is_none();
}
bool t_boolean(const Value& v, const CallArgs&) {
  return v.is_bool();
}
bool t_true(const Value& v, const CallArgs&) {
  return v.is_bool() && v.as_bool();
}
bool t_false(const Value& v, const CallArgs&) {
  return v.is_bool() && !v.as_bool();
}
bool t_integer(const Value& v, const CallArgs&) {
  return v.is_int();
}
bool t_float(const Value& v, const CallArgs&) {
  return v.is_float();
}
bool t_number(const Value& v, const CallArgs&) {
  return v.is_number();
}
bool t_string(const Value& v, const CallArgs&) {
  return v.is_string();
}
bool t_mapping(const Value& v, const CallArgs&) {
  return v.kind() == Value::Kind::kDict;
}
bool t_iterable(const Value& v, const CallArgs&) {
  return v.is_undefined() || v.is_string() || v.is_sequence() || v.kind() == Value::Kind::kDict;
}
bool t_callable(const Value& v, const CallArgs&) {
  return v.is_callable();
}
bool t_odd(const Value& v, const CallArgs&) {
  return (int_operand(v) % 2 + 2) % 2 == 1;
}
bool t_even(const Value& v, const CallArgs&) {
  return int_operand(v) % 2 == 0;
}
bool t_divisibleby(const Value& v, const CallArgs& a) {
  const int64_t d = int_operand(arg(a, 0, "num", Value()));
  if (d == 0) fail("integer division or modulo by zero");
  return int_operand(v) % d == 0;
}
bool t_eq(const Value& v, const CallArgs& a) {
  return equals(v, arg(a, 0, "other", Value()));
}
bool t_ne(const Value& v, const CallArgs& a) {
  return !equals(v, arg(a, 0, "other", Value()));
}
bool t_lt(const Value& v, const CallArgs& a) {
  return compare(v, arg(a, 0, "other", Value()), "<") < 0;
}
bool t_le(const Value& v, const CallArgs& a) {
  return compare(v, arg(a, 0, "other", Value()), "<=") <= 0;
}
bool t_gt(const Value& v, const CallArgs& a) {
  return compare(v, arg(a, 0, "other", Value()), ">") > 0;
}
bool t_ge(const Value& v, const CallArgs& a) {
  return compare(v, arg(a, 0, "other", Value()), ">=") >= 0;
}
bool t_in(const Value& v, const CallArgs& a) {
  return contains(arg(a, 0, "seq", Value()), v);
}
bool t_sameas(const Value& v, const CallArgs& a) {
  const Value o = arg(a, 0, "other", Value());
  if (v.kind() != o.kind()) return false;
  if (v.is_none() || v.is_undefined()) return true;
  if (v.is_bool()) return v.as_bool() == o.as_bool();
  return equals(v, o) && (v.is_number() || v.is_string());
}
bool t_lower(const Value& v, const CallArgs&) {
  const std::string s = to_str(v);
  return py_lower(s) == s && py_upper(s) != s;
}
bool t_upper(const Value& v, const CallArgs&) {
  const std::string s = to_str(v);
  return py_upper(s) == s && py_lower(s) != s;
}
bool t_sequence(const Value& v, const CallArgs&) {
  return v.is_undefined() || v.is_string() || v.is_sequence() || v.kind() == Value::Kind::kDict;
}
bool t_filter(const Value& v, const CallArgs&) {
  return v.is_string() && has_filter(v.str());
}
bool t_test(const Value& v, const CallArgs&) {
  return v.is_string() && has_test(v.str());
}

const std::map<std::string, TestFn>& tests() {
  static const std::map<std::string, TestFn> table = {
      {"defined", t_defined},
      {"undefined", t_undefined},
      {"none", t_none},
      {"boolean", t_boolean},
      {"true", t_true},
      {"false", t_false},
      {"integer", t_integer},
      {"float", t_float},
      {"number", t_number},
      {"string", t_string},
      {"mapping", t_mapping},
      {"iterable", t_iterable},
      {"sequence", t_sequence},
      {"callable", t_callable},
      {"odd", t_odd},
      {"even", t_even},
      {"divisibleby", t_divisibleby},
      {"eq", t_eq},
      {"equalto", t_eq},
      {"==", t_eq},
      {"ne", t_ne},
      {"!=", t_ne},
      {"lt", t_lt},
      {"lessthan", t_lt},
      {"<", t_lt},
      {"le", t_le},
      {"<=", t_le},
      {"gt", t_gt},
      {"greaterthan", t_gt},
      {">", t_gt},
      {"ge", t_ge},
      {">=", t_ge},
      {"in", t_in},
      {"sameas", t_sameas},
      {"lower", t_lower},
      {"upper", t_upper},
      {"escaped", t_false},
      {"filter", t_filter},
      {"test", t_test},
  };
  return table;
}

}  // namespace

bool has_test(const std::string& name) {
  return tests().count(name) != 0;
}

bool apply_test(const std::string& name, const Value& v, const CallArgs& args) {
  auto it = tests().find(name);
  if (it == tests().end()) fail("no test named '" + name + "'");
  return it->second(v, args);
}

}  // namespace llmkit::prompt::jinja
