#include "llmkit/prompt/jinja_builtins.h"

#include <algorithm>
#include <cmath>
#include <ctime>
#include <limits>

namespace llmkit::prompt::jinja {
namespace {

[[noreturn]] void type_error(const std::string& what) {
  throw JinjaFailure(what);
}

Value method(const std::string& name, std::function<Value(CallArgs&)> fn) {
  return Value::callable(name, std::move(fn));
}

Value unsafe(const std::string& name, const Value& obj) {
  return Value::undefined("access to attribute '" + name + "' of '" + type_name(obj) +
                          "' object is unsafe.");
}

Value dict_method(const Value& d, const std::string& name) {
  const std::string full = "dict." + name;
  if (name == "items") {
    return method(full, [d](CallArgs&) {
      List out;
      for (const auto& [k, v] : d.dict().items) out.push_back(Value::list({k, v}, true));
      return Value::list(std::move(out));
    });
  }
  if (name == "keys" || name == "values") {
    return method(full, [d, name](CallArgs&) {
      List out;
      for (const auto& [k, v] : d.dict().items) out.push_back(name == "keys" ? k : v);
      return Value::list(std::move(out));
    });
  }
  if (name == "get") {
    return method(full, [d](CallArgs& a) {
      const Value* v = d.dict().find(arg(a, 0, "key", Value()));
      return v ? *v : arg(a, 1, "default", Value::none());
    });
  }
  if (name == "copy") return method(full, [d](CallArgs&) { return Value::dict(d.dict()); });
  if (name == "update" || name == "pop" || name == "popitem" || name == "setdefault" ||
      name == "clear") {
    return unsafe(name, d);
  }
  return Value();
}

Value list_method(const Value& l, const std::string& name) {
  if (name == "index" || name == "count") {
    return method(type_name(l) + "." + name, [l, name](CallArgs& a) {
      const Value x = arg(a, 0, "value", Value());
      int64_t n = 0;
      for (size_t i = 0; i < l.items().size(); ++i) {
        if (!equals(l.items()[i], x)) continue;
        if (name == "index") return Value::integer(static_cast<int64_t>(i));
        ++n;
      }
      if (name == "index") type_error(repr(x) + " is not in list");
      return Value::integer(n);
    });
  }
  // jinja2's sandbox lets pop and clear through (they are not in its list of mutating methods).
  if (l.kind() == Value::Kind::kList && name == "pop") {
    return method("list.pop", [l](CallArgs& a) {
      List& items = l.mutable_items();
      const int64_t n = static_cast<int64_t>(items.size());
      int64_t i = require_int(arg(a, 0, "index", Value::integer(-1)), "pop index");
      if (i < 0) i += n;
      if (i < 0 || i >= n) type_error(n == 0 ? "pop from empty list" : "pop index out of range");
      Value v = items[static_cast<size_t>(i)];
      items.erase(items.begin() + i);
      return v;
    });
  }
  if (l.kind() == Value::Kind::kList && name == "clear") {
    return method("list.clear", [l](CallArgs&) {
      l.mutable_items().clear();
      return Value::none();
    });
  }
  if (name == "append" || name == "extend" || name == "insert" || name == "remove" ||
      name == "reverse" || name == "sort") {
    return unsafe(name, l);
  }
  return Value();
}

Value no_attribute(const Value& obj, const Value& name) {
  if (name.is_string()) {
    return Value::undefined(object_name(obj) + " has no attribute " + repr(name));
  }
  return Value::undefined(object_name(obj) + " has no element " + repr(name));
}

int64_t floor_div(int64_t a, int64_t b) {
  int64_t q = a / b;
  if ((a % b != 0) && ((a < 0) != (b < 0))) --q;
  return q;
}

Value repeat(const Value& seq, int64_t n) {
  const size_t unit = seq.is_string() ? seq.str().size() : seq.items().size();
  if (n > 0 && unit > 0 && static_cast<uint64_t>(n) > (uint64_t{1} << 28) / unit) {
    type_error("repetition result too large (the limit is 256 Mi elements)");
  }
  if (seq.is_string()) {
    std::string out;
    for (int64_t i = 0; i < n; ++i) out += seq.str();
    return Value::string(out);
  }
  List out;
  for (int64_t i = 0; i < n; ++i) out.insert(out.end(), seq.items().begin(), seq.items().end());
  return Value::list(std::move(out), seq.kind() == Value::Kind::kTuple);
}

}  // namespace

Value arg(const CallArgs& a, size_t i, const char* name, const Value& fallback) {
  for (const auto& [k, v] : a.kwargs) {
    if (k == name) return v;
  }
  return i < a.args.size() ? a.args[i] : fallback;
}

std::string require_str(const Value& v, const char* what) {
  if (!v.is_string()) type_error(std::string(what) + " must be a string, not " + type_name(v));
  return v.str();
}

int64_t require_int(const Value& v, const char* what) {
  require_defined(v);
  if (!v.is_int() && !v.is_bool()) {
    type_error(std::string(what) + " must be an integer, not " + type_name(v));
  }
  return v.as_int();
}

Value get_attr(const Value& obj, const std::string& name) {
  require_defined(obj);
  const Value key = Value::string(name);
  if (!name.empty() && name[0] == '_') return no_attribute(obj, key);
  switch (obj.kind()) {
    case Value::Kind::kString: {
      Value m = str_method(obj.str(), name);
      return m.is_undefined() && m.str().empty() ? no_attribute(obj, key) : m;
    }
    case Value::Kind::kDict: {
      Value m = dict_method(obj, name);
      if (!m.is_undefined() || !m.str().empty()) return m;
      const Value* v = obj.dict().find(key);
      return v ? *v : no_attribute(obj, key);
    }
    case Value::Kind::kNamespace: {
      const Value* v = obj.dict().find(key);
      return v ? *v : no_attribute(obj, key);
    }
    case Value::Kind::kList:
    case Value::Kind::kTuple: {
      Value m = list_method(obj, name);
      return m.is_undefined() && m.str().empty() ? no_attribute(obj, key) : m;
    }
    default:
      return no_attribute(obj, key);
  }
}

Value get_item(const Value& obj, const Value& key) {
  require_defined(obj);
  switch (obj.kind()) {
    case Value::Kind::kDict: {
      const Value* v = obj.dict().find(key);
      if (v) return *v;
      break;
    }
    case Value::Kind::kList:
    case Value::Kind::kTuple:
    case Value::Kind::kString:
      if (key.is_int() || key.is_bool()) {
        const bool str = obj.is_string();
        std::vector<std::string> cps;
        if (str) cps = code_points(obj.str());
        const int64_t n = static_cast<int64_t>(str ? cps.size() : obj.items().size());
        int64_t i = key.as_int();
        if (i < 0) i += n;
        if (i >= 0 && i < n) {
          return str ? Value::string(cps[static_cast<size_t>(i)])
                     : obj.items()[static_cast<size_t>(i)];
        }
        return no_attribute(obj, key);
      }
      break;
    default:
      break;
  }
  if (key.is_string()) return get_attr(obj, key.str());
  return no_attribute(obj, key);
}

Value slice(const Value& obj, const Value& start_v, const Value& stop_v, const Value& step_v) {
  require_defined(obj);
  const bool str = obj.is_string();
  if (!str && !obj.is_sequence())
    return Value::undefined(object_name(obj) + " has no element slice");
  std::vector<std::string> cps;
  if (str) cps = code_points(obj.str());
  const int64_t n = static_cast<int64_t>(str ? cps.size() : obj.items().size());
  auto given = [](const Value& v) { return !v.is_none() && !v.is_undefined(); };
  const int64_t step = given(step_v) ? require_int(step_v, "slice step") : 1;
  if (step == 0) type_error("slice step cannot be zero");
  auto bound = [&](const Value& v, int64_t fallback, int64_t lo, int64_t hi) {
    if (!given(v)) return fallback;
    int64_t i = require_int(v, "slice index");
    if (i < 0) i += n;
    return std::clamp(i, lo, hi);
  };
  int64_t start, stop;
  if (step > 0) {
    start = bound(start_v, 0, 0, n);
    stop = bound(stop_v, n, 0, n);
  } else {
    start = bound(start_v, n - 1, -1, n - 1);
    stop = bound(stop_v, -1, -1, n - 1);
  }
  std::string s;
  List out;
  for (int64_t i = start; step > 0 ? i < stop : i > stop; i += step) {
    if (str) {
      s += cps[static_cast<size_t>(i)];
    } else {
      out.push_back(obj.items()[static_cast<size_t>(i)]);
    }
  }
  return str ? Value::string(s) : Value::list(std::move(out), obj.kind() == Value::Kind::kTuple);
}

Value negate(const Value& v, bool minus) {
  require_defined(v);
  if (!v.is_number()) {
    type_error(std::string("bad operand type for unary ") + (minus ? "-" : "+") + ": '" +
               type_name(v) + "'");
  }
  if (v.is_float()) return Value::floating(minus ? -v.as_float() : v.as_float());
  return Value::integer(minus ? -v.as_int() : v.as_int());
}

Value binary_op(const std::string& op, const Value& a, const Value& b) {
  if (op == "~") return Value::string(to_str(a) + to_str(b));
  require_defined(a);
  require_defined(b);
  const auto unsupported = [&]() -> Value {
    if (op == "+" && a.is_string()) {
      type_error("can only concatenate str (not \"" + type_name(b) + "\") to str");
    }
    type_error("unsupported operand type(s) for " + op + ": '" + type_name(a) + "' and '" +
               type_name(b) + "'");
  };
  if (a.is_number() && b.is_number()) {
    const bool fl = a.is_float() || b.is_float();
    const double x = a.as_float(), y = b.as_float();
    const int64_t i = a.as_int(), j = b.as_int();
    int64_t r = 0;
    const auto checked = [&](bool overflow) {
      if (overflow) type_error("integer overflow: template integers are 64-bit");
      return Value::integer(r);
    };
    if (op == "+") return fl ? Value::floating(x + y) : checked(__builtin_add_overflow(i, j, &r));
    if (op == "-") return fl ? Value::floating(x - y) : checked(__builtin_sub_overflow(i, j, &r));
    if (op == "*") return fl ? Value::floating(x * y) : checked(__builtin_mul_overflow(i, j, &r));
    if (op == "**") {
      if (!fl && j >= 0) {
        r = 1;
        for (int64_t k = 0; k < j; ++k) {
          if (__builtin_mul_overflow(r, i, &r)) checked(true);
        }
        return Value::integer(r);
      }
      return Value::floating(std::pow(x, y));
    }
    if ((fl ? y == 0 : j == 0)) {
      type_error(op == "/"    ? "division by zero"
                 : op == "//" ? "integer division or modulo by zero"
                              : "modulo by zero");
    }
    if (op == "/") return Value::floating(x / y);
    if (op == "//")
      return fl ? Value::floating(std::floor(x / y)) : Value::integer(floor_div(i, j));
    if (op == "%") {
      if (!fl) return Value::integer(i - floor_div(i, j) * j);
      double r = std::fmod(x, y);
      if (r != 0 && ((r < 0) != (y < 0))) r += y;
      return Value::floating(r);
    }
    return unsupported();
  }
  if (op == "+") {
    if (a.is_string() && b.is_string()) return Value::string(a.str() + b.str());
    if (a.is_sequence() && a.kind() == b.kind()) {
      List out = a.items();
      out.insert(out.end(), b.items().begin(), b.items().end());
      return Value::list(std::move(out), a.kind() == Value::Kind::kTuple);
    }
  }
  if (op == "*") {
    if ((a.is_string() || a.is_sequence()) && (b.is_int() || b.is_bool()))
      return repeat(a, b.as_int());
    if ((b.is_string() || b.is_sequence()) && (a.is_int() || a.is_bool()))
      return repeat(b, a.as_int());
  }
  if (op == "%" && a.is_string()) return Value::string(percent_format(a.str(), b));
  return unsupported();
}

Dict make_globals(std::function<std::chrono::system_clock::time_point()> now) {
  Dict g;
  auto add = [&](const char* name, std::function<Value(CallArgs&)> fn) {
    g.set(Value::string(name), Value::callable(name, std::move(fn)));
  };
  add("range", [](CallArgs& a) {
    if (a.args.empty() || a.args.size() > 3) type_error("range expected 1 to 3 arguments");
    int64_t start = 0, stop, step = 1;
    if (a.args.size() == 1) {
      stop = require_int(a.args[0], "range argument");
    } else {
      start = require_int(a.args[0], "range argument");
      stop = require_int(a.args[1], "range argument");
      if (a.args.size() == 3) step = require_int(a.args[2], "range argument");
    }
    if (step == 0) type_error("range() arg 3 must not be zero");
    List out;
    for (int64_t i = start; step > 0 ? i < stop : i > stop; i += step) {
      if (out.size() >= 100000) {
        type_error("Range too big. The sandbox blocks ranges larger than MAX_RANGE (100000).");
      }
      out.push_back(Value::integer(i));
    }
    return Value::list(std::move(out));
  });
  for (const char* name : {"dict", "namespace"}) {
    const bool ns = std::string(name) == "namespace";
    add(name, [ns](CallArgs& a) {
      Dict d;
      for (const Value& init : a.args) {
        if (!init.is_mapping()) type_error("dict() / namespace() take a mapping argument");
        for (const auto& [k, v] : init.dict().items) d.set(k, v);
      }
      for (const auto& [k, v] : a.kwargs) d.set(Value::string(k), v);
      return Value::dict(std::move(d), ns);
    });
  }
  add("raise_exception", [](CallArgs& a) -> Value {
    throw JinjaFailure(to_str(arg(a, 0, "message", Value::string(""))));
  });
  add("strftime_now", [now](CallArgs& a) {
    const std::string fmt = require_str(arg(a, 0, "format", Value()), "strftime_now format");
    const std::time_t t =
        std::chrono::system_clock::to_time_t(now ? now() : std::chrono::system_clock::now());
    std::tm tm{};
    localtime_r(&t, &tm);
    std::string buf(256 + fmt.size() * 8, '\0');
    size_t n = std::strftime(buf.data(), buf.size(), fmt.c_str(), &tm);
    buf.resize(n);
    return Value::string(buf);
  });
  return g;
}

}  // namespace llmkit::prompt::jinja
