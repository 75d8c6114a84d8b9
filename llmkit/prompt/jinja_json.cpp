// Python json.dumps for template values (the tojson filter).
#include <algorithm>
#include <cmath>
#include <cstdio>

#include "llmkit/prompt/jinja_value.h"

namespace llmkit::prompt::jinja {
namespace {

// Appends \uXXXX (a surrogate pair above U+FFFF) for code point cp.
void json_escape_code_point(uint32_t cp, std::string& out) {
  char buf[16];
  if (cp >= 0x10000) {
    cp -= 0x10000;
    std::snprintf(buf, sizeof buf, "\\u%04x\\u%04x", 0xD800 + (cp >> 10), 0xDC00 + (cp & 0x3FF));
  } else {
    std::snprintf(buf, sizeof buf, "\\u%04x", cp);
  }
  out += buf;
}

void json_string(const std::string& s, bool ensure_ascii, std::string& out) {
  out += '"';
  for (size_t i = 0; i < s.size(); ++i) {
    const unsigned char c = static_cast<unsigned char>(s[i]);
    if (ensure_ascii && c >= 0x80) {
      size_t n = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : 2;
      uint32_t cp = c & (n == 4 ? 0x07 : n == 3 ? 0x0F : 0x1F);
      for (size_t k = 1; k < n && i + k < s.size(); ++k) cp = (cp << 6) | (s[i + k] & 0x3F);
      json_escape_code_point(cp, out);
      i += n - 1;
      continue;
    }
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      case '\b':
        out += "\\b";
        break;
      case '\f':
        out += "\\f";
        break;
      default:
        if (c < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", c);
          out += buf;
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  out += '"';
}

std::string json_float(double d) {
  if (std::isnan(d)) return "NaN";
  if (std::isinf(d)) return d > 0 ? "Infinity" : "-Infinity";
  return float_repr(d);
}

std::string json_key(const Value& k) {
  switch (k.kind()) {
    case Value::Kind::kString:
      return k.str();
    case Value::Kind::kNone:
      return "null";
    case Value::Kind::kBool:
      return k.as_bool() ? "true" : "false";
    case Value::Kind::kInt:
      return std::to_string(k.as_int());
    case Value::Kind::kFloat:
      return json_float(k.as_float());
    default:
      throw JinjaFailure("keys must be str, int, float, bool or None, not " + type_name(k));
  }
}

struct JsonWriter {
  const std::optional<std::string>& indent;
  const std::string& item_sep;
  const std::string& key_sep;
  bool sort_keys;
  bool ensure_ascii;
  std::string out;

  void newline(int level) {
    if (!indent) return;
    out += '\n';
    for (int i = 0; i < level; ++i) out += *indent;
  }

  void write(const Value& v, int level) {
    switch (v.kind()) {
      case Value::Kind::kNone:
        out += "null";
        return;
      case Value::Kind::kBool:
        out += v.as_bool() ? "true" : "false";
        return;
      case Value::Kind::kInt:
        out += std::to_string(v.as_int());
        return;
      case Value::Kind::kFloat:
        out += json_float(v.as_float());
        return;
      case Value::Kind::kString:
        json_string(v.str(), ensure_ascii, out);
        return;
      case Value::Kind::kList:
      case Value::Kind::kTuple: {
        if (v.items().empty()) {
          out += "[]";
          return;
        }
        out += '[';
        for (size_t i = 0; i < v.items().size(); ++i) {
          if (i) out += item_sep;
          newline(level + 1);
          write(v.items()[i], level + 1);
        }
        newline(level);
        out += ']';
        return;
      }
      case Value::Kind::kDict: {
        if (v.dict().items.empty()) {
          out += "{}";
          return;
        }
        std::vector<std::pair<std::string, const Value*>> entries;
        for (const auto& [k, e] : v.dict().items) entries.emplace_back(json_key(k), &e);
        if (sort_keys) {
          std::stable_sort(entries.begin(), entries.end(),
                           [](const auto& a, const auto& b) { return a.first < b.first; });
        }
        out += '{';
        for (size_t i = 0; i < entries.size(); ++i) {
          if (i) out += item_sep;
          newline(level + 1);
          json_string(entries[i].first, ensure_ascii, out);
          out += key_sep;
          write(*entries[i].second, level + 1);
        }
        newline(level);
        out += '}';
        return;
      }
      default:
        throw JinjaFailure("Object of type " + type_name(v) + " is not JSON serializable");
    }
  }
};
}  // namespace

std::string to_json(const Value& v, const std::optional<std::string>& indent,
                    const std::string& item_sep, const std::string& key_sep, bool sort_keys,
                    bool ensure_ascii) {
  JsonWriter w{indent, item_sep, key_sep, sort_keys, ensure_ascii, {}};
  w.write(v, 0);
  return std::move(w.out);
}

}  // namespace llmkit::prompt::jinja
