// Python str methods (s.strip(), s.split(), ...) and "%" formatting for the Jinja evaluator.
#include <algorithm>
#include <cstdio>

#include "llmkit/prompt/jinja_builtins.h"

namespace llmkit::prompt::jinja {
namespace {

[[noreturn]] void type_error(const std::string& what) {
  throw JinjaFailure(what);
}

uint32_t decode(const std::string& cp) {
  const auto b = [&](size_t i) { return static_cast<uint32_t>(static_cast<unsigned char>(cp[i])); };
  if (cp.size() == 1) return b(0);
  if (cp.size() == 2) return ((b(0) & 0x1F) << 6) | (b(1) & 0x3F);
  if (cp.size() == 3) return ((b(0) & 0x0F) << 12) | ((b(1) & 0x3F) << 6) | (b(2) & 0x3F);
  return ((b(0) & 0x07) << 18) | ((b(1) & 0x3F) << 12) | ((b(2) & 0x3F) << 6) | (b(3) & 0x3F);
}

// Python str.isspace() for one code point.
bool py_space(uint32_t c) {
  return (c >= 9 && c <= 13) || (c >= 28 && c <= 32) || c == 0x85 || c == 0xA0 || c == 0x1680 ||
         (c >= 0x2000 && c <= 0x200A) || c == 0x2028 || c == 0x2029 || c == 0x202F || c == 0x205F ||
         c == 0x3000;
}

Value method(const std::string& name, std::function<Value(CallArgs&)> fn) {
  return Value::callable(name, std::move(fn));
}

Value make_str_list(const std::vector<std::string>& parts) {
  List out;
  for (const auto& p : parts) out.push_back(Value::string(p));
  return Value::list(std::move(out));
}

std::vector<std::string> split_str(const std::string& s, const Value& sep_v, int64_t maxsplit) {
  std::vector<std::string> out;
  if (sep_v.is_none() || sep_v.is_undefined()) {
    const std::vector<std::string> cps = code_points(s);
    size_t i = 0;
    while (true) {
      while (i < cps.size() && py_space(decode(cps[i]))) ++i;
      if (i >= cps.size()) break;
      if (maxsplit >= 0 && static_cast<int64_t>(out.size()) == maxsplit) {
        std::string rest;
        for (; i < cps.size(); ++i) rest += cps[i];
        out.push_back(rest);
        break;
      }
      std::string word;
      while (i < cps.size() && !py_space(decode(cps[i]))) word += cps[i++];
      out.push_back(word);
    }
    return out;
  }
  const std::string sep = require_str(sep_v, "split separator");
  if (sep.empty()) type_error("empty separator");
  size_t start = 0;
  while (true) {
    size_t at = s.find(sep, start);
    if (at == std::string::npos ||
        (maxsplit >= 0 && static_cast<int64_t>(out.size()) == maxsplit)) {
      out.push_back(s.substr(start));
      return out;
    }
    out.push_back(s.substr(start, at - start));
    start = at + sep.size();
  }
}

std::string replace_str(const std::string& s, const std::string& old, const std::string& with,
                        int64_t count) {
  std::string out;
  if (old.empty()) {
    std::vector<std::string> cps = code_points(s);
    int64_t n = 0;
    for (size_t i = 0; i <= cps.size(); ++i) {
      if (count < 0 || n < count) {
        out += with;
        ++n;
      }
      if (i < cps.size()) out += cps[i];
    }
    return out;
  }
  size_t start = 0;
  int64_t n = 0;
  while (count < 0 || n < count) {
    size_t at = s.find(old, start);
    if (at == std::string::npos) break;
    out += s.substr(start, at - start) + with;
    start = at + old.size();
    ++n;
  }
  return out + s.substr(start);
}

// Python str.format with positional ({}, {0}) and keyword ({name}) fields; specs are ignored.
std::string format_str(const std::string& f, const CallArgs& a) {
  std::string out;
  size_t auto_index = 0;
  for (size_t i = 0; i < f.size(); ++i) {
    if (f[i] == '{' && i + 1 < f.size() && f[i + 1] == '{') {
      out += '{';
      ++i;
    } else if (f[i] == '}' && i + 1 < f.size() && f[i + 1] == '}') {
      out += '}';
      ++i;
    } else if (f[i] == '{') {
      size_t end = f.find('}', i);
      if (end == std::string::npos) type_error("single '{' encountered in format string");
      std::string field = f.substr(i + 1, end - i - 1);
      field = field.substr(0, field.find(':'));
      const Value* v = nullptr;
      if (field.empty()) {
        if (auto_index < a.args.size()) v = &a.args[auto_index++];
      } else if (std::all_of(field.begin(), field.end(), ::isdigit)) {
        size_t k = std::stoul(field);
        if (k < a.args.size()) v = &a.args[k];
      } else {
        for (const auto& [k, kv] : a.kwargs) {
          if (k == field) v = &kv;
        }
      }
      if (v == nullptr) type_error("format string field '{" + field + "}' has no argument");
      out += to_str(*v);
      i = end;
    } else {
      out += f[i];
    }
  }
  return out;
}

// Python "fmt % args" for %s %r %d %i %f %%.
}  // namespace

// Python "fmt % args": conversions %[flags][width][.precision]type with flags "-+ 0#" and types
// s r d i f F e E g G x X o c, and %%. A dict argument (%(name)s) is not supported.
std::string percent_format(const std::string& f, const Value& args) {
  const List values = args.kind() == Value::Kind::kTuple ? args.items() : List{args};
  std::string out;
  size_t next = 0;
  for (size_t i = 0; i < f.size(); ++i) {
    if (f[i] != '%') {
      out += f[i];
      continue;
    }
    size_t j = i + 1;
    std::string flags;
    while (j < f.size() && std::string("-+ 0#").find(f[j]) != std::string::npos) flags += f[j++];
    std::string width, precision;
    while (j < f.size() && std::isdigit(static_cast<unsigned char>(f[j]))) width += f[j++];
    const bool has_precision = j < f.size() && f[j] == '.';
    if (has_precision) {
      ++j;
      while (j < f.size() && std::isdigit(static_cast<unsigned char>(f[j]))) precision += f[j++];
    }
    if (width.size() > 6 || precision.size() > 6) type_error("format width or precision too big");
    if (j >= f.size()) type_error("incomplete format");
    const char c = f[j];
    i = j;
    if (c == '%') {
      out += '%';
      continue;
    }
    if (next >= values.size()) type_error("not enough arguments for format string");
    const Value& v = values[next++];
    const std::string spec = "%" + flags + width + (has_precision ? "." + precision : "");
    char buf[512];
    if (c == 's' || c == 'r') {
      std::vector<std::string> cps = code_points(c == 's' ? to_str(v) : repr(v));
      if (has_precision && !precision.empty())
        cps.resize(std::min(cps.size(), std::stoul(precision)));
      std::string text;
      for (const auto& cp : cps) text += cp;
      const size_t w = width.empty() ? 0 : std::stoul(width);
      const std::string pad(w > cps.size() ? w - cps.size() : 0, ' ');
      out += flags.find('-') != std::string::npos ? text + pad : pad + text;
    } else if (c == 'd' || c == 'i' || c == 'x' || c == 'X' || c == 'o' || c == 'c') {
      if (!v.is_number())
        type_error(std::string("%") + c + " format: a number is required, not " + type_name(v));
      const long long n = v.is_float() ? static_cast<long long>(v.as_float()) : v.as_int();
      std::snprintf(buf, sizeof buf, (spec + "ll" + (c == 'i' || c == 'c' ? 'd' : c)).c_str(), n);
      if (c == 'c') {
        out += static_cast<char>(n);
        continue;
      }
      out += buf;
    } else if (std::string("fFeEgG").find(c) != std::string::npos) {
      if (!v.is_number()) type_error(std::string("must be real number, not ") + type_name(v));
      std::snprintf(buf, sizeof buf, (spec + c).c_str(), v.as_float());
      out += buf;
    } else {
      type_error(std::string("unsupported format character '") + c + "'");
    }
  }
  if (next < values.size()) type_error("not all arguments converted during string formatting");
  return out;
}

Value str_method(const std::string& s, const std::string& name) {
  const std::string full = "str." + name;
  if (name == "strip" || name == "lstrip" || name == "rstrip") {
    return method(full, [s, name](CallArgs& a) {
      return Value::string(
          py_strip(s, arg(a, 0, "chars", Value::none()), name != "rstrip", name != "lstrip"));
    });
  }
  if (name == "upper") return method(full, [s](CallArgs&) { return Value::string(py_upper(s)); });
  if (name == "lower") return method(full, [s](CallArgs&) { return Value::string(py_lower(s)); });
  if (name == "title") return method(full, [s](CallArgs&) { return Value::string(py_title(s)); });
  if (name == "capitalize") {
    return method(full, [s](CallArgs&) { return Value::string(py_capitalize(s)); });
  }
  if (name == "startswith" || name == "endswith") {
    return method(full, [s, name](CallArgs& a) {
      const Value p = arg(a, 0, "prefix", Value());
      List options = p.kind() == Value::Kind::kTuple ? p.items() : List{p};
      for (const Value& o : options) {
        const std::string x = require_str(o, (name + " argument").c_str());
        if (x.size() > s.size()) continue;
        if (name == "startswith" ? s.compare(0, x.size(), x) == 0
                                 : s.compare(s.size() - x.size(), x.size(), x) == 0) {
          return Value::boolean(true);
        }
      }
      return Value::boolean(false);
    });
  }
  if (name == "split") {
    return method(full, [s](CallArgs& a) {
      return make_str_list(
          split_str(s, arg(a, 0, "sep", Value::none()),
                    require_int(arg(a, 1, "maxsplit", Value::integer(-1)), "maxsplit")));
    });
  }
  if (name == "splitlines") {
    return method(full, [s](CallArgs&) {
      std::vector<std::string> lines = split_str(s, Value::string("\n"), -1);
      if (!lines.empty() && lines.back().empty()) lines.pop_back();
      return make_str_list(lines);
    });
  }
  if (name == "replace") {
    return method(full, [s](CallArgs& a) {
      return Value::string(
          replace_str(s, require_str(arg(a, 0, "old", Value()), "old"),
                      require_str(arg(a, 1, "new", Value()), "new"),
                      require_int(arg(a, 2, "count", Value::integer(-1)), "count")));
    });
  }
  if (name == "find" || name == "rfind" || name == "count") {
    return method(full, [s, name](CallArgs& a) {
      const std::string x = require_str(arg(a, 0, "sub", Value()), "substring");
      if (name == "count") {
        if (x.empty()) return Value::integer(static_cast<int64_t>(code_point_count(s)) + 1);
        int64_t n = 0;
        for (size_t at = s.find(x); at != std::string::npos; at = s.find(x, at + x.size())) ++n;
        return Value::integer(n);
      }
      size_t at = name == "find" ? s.find(x) : s.rfind(x);
      if (at == std::string::npos) return Value::integer(-1);
      return Value::integer(static_cast<int64_t>(code_point_count(s.substr(0, at))));
    });
  }
  if (name == "join") {
    return method(full, [s](CallArgs& a) {
      std::string out;
      bool first = true;
      for (const Value& v : iterate(arg(a, 0, "iterable", Value()))) {
        if (!first) out += s;
        first = false;
        out += require_str(v, "join item");
      }
      return Value::string(out);
    });
  }
  if (name == "format") {
    return method(full, [s](CallArgs& a) { return Value::string(format_str(s, a)); });
  }
  if (name == "isdigit" || name == "isalpha" || name == "isalnum" || name == "isspace" ||
      name == "isupper" || name == "islower") {
    return method(full, [s, name](CallArgs&) {
      if (s.empty()) return Value::boolean(false);
      bool cased = false;
      for (unsigned char c : s) {
        const bool up = c >= 'A' && c <= 'Z', low = c >= 'a' && c <= 'z',
                   dig = c >= '0' && c <= '9';
        cased = cased || up || low;
        if (name == "isdigit" && !dig) return Value::boolean(false);
        if (name == "isalpha" && !(up || low)) return Value::boolean(false);
        if (name == "isalnum" && !(up || low || dig)) return Value::boolean(false);
        if (name == "isspace" && !py_space(c)) return Value::boolean(false);
        if (name == "isupper" && low) return Value::boolean(false);
        if (name == "islower" && up) return Value::boolean(false);
      }
      return Value::boolean(
          name.rfind("is", 0) == 0 && (name == "isupper" || name == "islower") ? cased : true);
    });
  }
  return Value();
}

std::string py_strip(const std::string& s, const Value& chars, bool left, bool right) {
  const std::vector<std::string> cps = code_points(s);
  std::vector<std::string> set;
  const bool whitespace = chars.is_none() || chars.is_undefined();
  if (!whitespace) set = code_points(require_str(chars, "strip characters"));
  auto strip = [&](const std::string& cp) {
    return whitespace ? py_space(decode(cp)) : std::find(set.begin(), set.end(), cp) != set.end();
  };
  size_t b = 0, e = cps.size();
  while (left && b < e && strip(cps[b])) ++b;
  while (right && e > b && strip(cps[e - 1])) --e;
  std::string out;
  for (size_t i = b; i < e; ++i) out += cps[i];
  return out;
}

}  // namespace llmkit::prompt::jinja
