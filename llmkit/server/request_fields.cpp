#include "llmkit/server/request_fields.h"

#include <cmath>
#include <limits>
#include <sstream>

#include "llmkit/base/error.h"
#include "llmkit/base/utf8.h"
#include "llmkit/server/openai_response.h"

namespace llmkit::server::fields {
namespace {

// A short rendering of a value for messages (at most ~60 bytes, valid UTF-8).
std::string shown(const json& v) {
  std::string s = v.dump(-1, ' ', false, json::error_handler_t::replace);
  if (s.size() > 60) s = valid_utf8(std::string_view(s).substr(0, 57)) + "...";
  return s;
}

std::string format_bound(double x) {
  std::ostringstream out;
  out << x;
  return out.str();
}

}  // namespace

void invalid(const std::string& param, const std::string& message, const std::string& code) {
  throw ApiError(400, "invalid_request_error", code, param, message);
}

void too_large(const std::string& param, const std::string& message) {
  throw ApiError(413, "invalid_request_error", "request_too_large", param, message);
}

void unsupported(const std::string& param, const std::string& message) {
  throw ApiError(400, "invalid_request_error", "unsupported_parameter", param, message);
}

void wrong_type(const std::string& param, const std::string& expected, const json& v) {
  invalid(
      param,
      str_cat("Invalid type for '", param, "': expected ", expected, ", but got ", kind_of(v), "."),
      "invalid_type");
}

void missing(const std::string& param) {
  invalid(param, str_cat("Missing required parameter: '", param, "'."),
          "missing_required_parameter");
}

std::string kind_of(const json& v) {
  switch (v.type()) {
    case json::value_t::null:
      return "null";
    case json::value_t::boolean:
      return "a boolean";
    case json::value_t::string:
      return "a string";
    case json::value_t::number_integer:
    case json::value_t::number_unsigned:
      return "an integer";
    case json::value_t::number_float:
      return "a number";
    case json::value_t::array:
      return "an array";
    case json::value_t::object:
      return "an object";
    default:
      return "a binary value";
  }
}

const json* get(const json& obj, const std::string& key) {
  const auto it = obj.find(key);
  if (it == obj.end() || it->is_null()) return nullptr;
  return &*it;
}

const json& require(const json& obj, const std::string& key, const std::string& param) {
  const json* v = get(obj, key);
  if (v == nullptr) missing(param);
  return *v;
}

void check_size(size_t bytes, const std::string& param, const RequestLimits& limits) {
  if (static_cast<int64_t>(bytes) > limits.max_string_bytes) {
    too_large(param,
              str_cat("'", param, "' is ", bytes, " bytes long; this server accepts at most ",
                      limits.max_string_bytes, " bytes per string."));
  }
}

std::string string_value(const json& v, const std::string& param, const RequestLimits& limits) {
  if (!v.is_string()) wrong_type(param, "a string", v);
  const std::string& s = v.get_ref<const std::string&>();
  check_size(s.size(), param, limits);
  return s;
}

bool bool_value(const json& v, const std::string& param) {
  if (!v.is_boolean()) wrong_type(param, "a boolean", v);
  return v.get<bool>();
}

int64_t int_value(const json& v, const std::string& param, int64_t lo, int64_t hi) {
  const auto out_of_range = [&]() {
    invalid(
        param,
        str_cat("Invalid value for '", param, "': ", shown(v), " is not in [", lo, ", ", hi, "]."),
        "invalid_value");
  };
  if (v.is_number_integer() && !v.is_number_unsigned()) {
    const int64_t x = v.get<int64_t>();
    if (x < lo || x > hi) out_of_range();
    return x;
  }
  if (v.is_number_unsigned()) {
    const uint64_t x = v.get<uint64_t>();
    if (x > static_cast<uint64_t>(std::numeric_limits<int64_t>::max()) ||
        static_cast<int64_t>(x) < lo || static_cast<int64_t>(x) > hi) {
      out_of_range();
    }
    return static_cast<int64_t>(x);
  }
  if (v.is_number_float()) {
    const double x = v.get<double>();
    if (!std::isfinite(x) || std::floor(x) != x) wrong_type(param, "an integer", v);
    if (x < static_cast<double>(lo) || x > static_cast<double>(hi) || x >= 9.2e18 || x <= -9.2e18) {
      out_of_range();
    }
    return static_cast<int64_t>(x);
  }
  wrong_type(param, "an integer", v);
}

double number_value(const json& v, const std::string& param, double lo, double hi, bool lo_open) {
  if (!v.is_number()) wrong_type(param, "a number", v);
  const double x = v.get<double>();
  if (!std::isfinite(x) || x > hi || (lo_open ? x <= lo : x < lo)) {
    invalid(param,
            str_cat("Invalid value for '", param, "': ", shown(v), " is not in ",
                    lo_open ? "(" : "[", format_bound(lo), ", ", format_bound(hi), "]."),
            "invalid_value");
  }
  return x;
}

const json& object_value(const json& v, const std::string& param) {
  if (!v.is_object()) wrong_type(param, "an object", v);
  return v;
}

const json& array_value(const json& v, const std::string& param) {
  if (!v.is_array()) wrong_type(param, "an array", v);
  return v;
}

std::string excerpt(const std::string& s) {
  if (s.size() <= 40) return s;
  return s.substr(0, utf8_prefix_length(s, 37)) + "...";
}

bool valid_name(const std::string& name) {
  if (name.empty() || name.size() > 64) return false;
  for (char c : name) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '_' || c == '-';
    if (!ok) return false;
  }
  return true;
}

}  // namespace llmkit::server::fields
