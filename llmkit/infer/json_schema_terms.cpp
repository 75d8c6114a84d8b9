#include "llmkit/infer/json_schema_terms.h"

#include <string>
#include <vector>

#include "llmkit/base/error.h"
#include "llmkit/infer/gbnf_emit.h"

namespace llmkit::infer::json_terms {

GenericRule generic_rule(std::string_view name) {
  if (name == "ws") return {"([ \\t] | \"\\r\"? \"\\n\" [ \\t]{0,20})?", ""};
  if (name == "char") return {gbnf::json_any_char(), ""};
  if (name == "string") return {"\"\\\"\" char* \"\\\"\"", "char"};
  if (name == "integer") {
    return {str_cat("\"-\"? (\"0\" | [1-9] [0-9]{0,", kMaxIntDigits - 1, "})"), ""};
  }
  if (name == "number") {
    return {str_cat("integer (\".\" [0-9]{1,", kMaxFracDigits, "})? ([eE] [-+]? [0-9]{1,",
                    kMaxExpDigits, "})?"),
            "integer"};
  }
  if (name == "boolean") return {"\"true\" | \"false\"", ""};
  if (name == "null") return {"\"null\"", ""};
  if (name == "value") {
    return {"object | array | string | number | boolean | null",
            "object array string number boolean null"};
  }
  if (name == "object") {
    return {"\"{\" ws (string ws \":\" ws value ws (\",\" ws string ws \":\" ws value ws)*)? \"}\"",
            "ws string value"};
  }
  if (name == "array") return {"\"[\" ws (value ws (\",\" ws value ws)*)? \"]\"", "ws value"};
  throw_error(ErrorCode::kInternal, str_cat("no generic JSON rule named ", name));
}

namespace {

std::string alternatives(const std::vector<std::string>& alts) {
  if (alts.size() == 1) return alts[0];
  std::string out = "(";
  for (size_t i = 0; i < alts.size(); ++i) out += (i ? " | " : "") + alts[i];
  return out + ")";
}

std::string digit_class(char lo, char hi) {
  if (lo == hi) return std::string("\"") + lo + "\"";
  return std::string("[") + lo + "-" + hi + "]";
}

std::string any_digits(size_t n) {
  if (n == 0) return "";
  return n == 1 ? "[0-9]" : str_cat("[0-9]{", n, "}");
}

// Digit strings of equal length between lo and hi (inclusive, lo <= hi as numbers).
std::string same_length(const std::string& lo, const std::string& hi) {
  const size_t n = lo.size();
  if (n == 1) return digit_class(lo[0], hi[0]);
  const std::string lo_rest = lo.substr(1), hi_rest = hi.substr(1);
  if (lo[0] == hi[0]) return digit_class(lo[0], lo[0]) + " " + same_length(lo_rest, hi_rest);
  const bool lo_full = lo_rest == std::string(n - 1, '0');
  const bool hi_full = hi_rest == std::string(n - 1, '9');
  std::vector<std::string> alts;
  if (!lo_full) {
    alts.push_back(digit_class(lo[0], lo[0]) + " " + same_length(lo_rest, std::string(n - 1, '9')));
  }
  const char mid_lo = lo_full ? lo[0] : static_cast<char>(lo[0] + 1);
  const char mid_hi = hi_full ? hi[0] : static_cast<char>(hi[0] - 1);
  if (mid_lo <= mid_hi) alts.push_back(digit_class(mid_lo, mid_hi) + " " + any_digits(n - 1));
  if (!hi_full) {
    alts.push_back(digit_class(hi[0], hi[0]) + " " + same_length(std::string(n - 1, '0'), hi_rest));
  }
  return alternatives(alts);
}

// Non-negative integers in [lo, hi] (hi absent: up to kMaxIntDigits digits), no leading zeros.
std::string magnitudes(int64_t lo, std::optional<int64_t> hi) {
  const std::string lo_s = std::to_string(lo);
  const size_t max_len = hi ? std::to_string(*hi).size() : lo_s.size();
  std::vector<std::string> alts;
  for (size_t len = lo_s.size(); len <= max_len; ++len) {
    const std::string from = len == lo_s.size() ? lo_s : "1" + std::string(len - 1, '0');
    const std::string to = hi && len == max_len ? std::to_string(*hi) : std::string(len, '9');
    alts.push_back(same_length(from, to));
  }
  if (!hi && lo_s.size() < static_cast<size_t>(kMaxIntDigits)) {
    alts.push_back(str_cat("[1-9] [0-9]{", lo_s.size(), ",", kMaxIntDigits - 1, "}"));
  }
  return alternatives(alts);
}

}  // namespace

std::string integer_range(std::optional<int64_t> lo, std::optional<int64_t> hi) {
  std::vector<std::string> alts;
  // Negative values: "-" then a magnitude in [max(1, -hi), -lo].
  if (!lo || *lo < 0) {
    const int64_t mag_lo = hi && *hi < 0 ? -*hi : 1;
    std::optional<int64_t> mag_hi;
    if (lo) mag_hi = -*lo;
    alts.push_back("\"-\" " + magnitudes(mag_lo, mag_hi));
  }
  if (!hi || *hi >= 0) alts.push_back(magnitudes(lo && *lo > 0 ? *lo : 0, hi));
  return alternatives(alts);
}

namespace {

// Non-negative numbers (no sign, no exponent) within the bounds; lo->value >= 0. "" when none.
std::string non_negative_range(NumberBound lo, std::optional<NumberBound> hi) {
  const std::string any_frac = str_cat("(\".\" [0-9]{1,", kMaxFracDigits, "})?");
  const std::string zero_frac = str_cat("(\".\" \"0\"{1,", kMaxFracDigits, "})?");
  const std::string nonzero_frac =
      str_cat("\".\" \"0\"{0,", kMaxFracDigits - 1, "} [1-9] [0-9]{0,", kMaxFracDigits - 1, "}");
  std::vector<std::string> alts;
  // x = I + f with integer part I and fraction f in [0, 1):
  //   x >= L <=> I >= L;  x > L <=> I > L, or I = L and f > 0;
  //   x <= H <=> I < H, or I = H and f = 0;  x < H <=> I < H.
  const int64_t from = lo.exclusive ? lo.value + 1 : lo.value;
  if (!hi || from <= hi->value - 1) {
    std::optional<int64_t> to;
    if (hi) to = hi->value - 1;
    alts.push_back(magnitudes(from, to) + " " + any_frac);
  }
  if (lo.exclusive && (!hi || lo.value <= hi->value - 1)) {
    alts.push_back(gbnf::literal(std::to_string(lo.value)) + " " + nonzero_frac);
  }
  if (hi && !hi->exclusive && (lo.exclusive ? hi->value > lo.value : hi->value >= lo.value)) {
    alts.push_back(gbnf::literal(std::to_string(hi->value)) + " " + zero_frac);
  }
  return alts.empty() ? "" : alternatives(alts);
}

}  // namespace

std::string number_range(std::optional<NumberBound> lo, std::optional<NumberBound> hi) {
  std::vector<std::string> alts;
  // Negative x, written "-" m with m = -x > 0: x >= L <=> m <= -L, x <= H <=> m >= -H.
  if (!lo || lo->value < 0) {
    NumberBound m_lo{0, true};
    if (hi && -hi->value > 0) m_lo = NumberBound{-hi->value, hi->exclusive};
    std::optional<NumberBound> m_hi;
    if (lo) m_hi = NumberBound{-lo->value, lo->exclusive};
    const std::string neg = non_negative_range(m_lo, m_hi);
    if (!neg.empty()) alts.push_back("\"-\" " + neg);
  }
  // Non-negative x.
  if (!hi || hi->value > 0 || (hi->value == 0 && !hi->exclusive)) {
    NumberBound nn_lo{0, false};
    if (lo && lo->value >= 0) nn_lo = *lo;
    const std::string pos = non_negative_range(nn_lo, hi);
    if (!pos.empty()) alts.push_back(pos);
  }
  LLMKIT_CHECK_CODE(!alts.empty(), ErrorCode::kInternal, "number_range: empty range");
  return alternatives(alts);
}

std::optional<std::string> format_body(std::string_view format) {
  const std::string date =
      "[0-9]{4} \"-\" ((\"0\" [13578] | \"1\" [02]) \"-\" (\"0\" [1-9] | [12] [0-9] | \"3\" [01]) "
      "| "
      "(\"0\" [469] | \"11\") \"-\" (\"0\" [1-9] | [12] [0-9] | \"30\") | "
      "\"02-\" (\"0\" [1-9] | \"1\" [0-9] | \"2\" [0-8]))";
  const std::string time =
      "([01] [0-9] | \"2\" [0-3]) \":\" [0-5] [0-9] \":\" [0-5] [0-9] (\".\" [0-9]{1,9})? "
      "(\"Z\" | [-+] ([01] [0-9] | \"2\" [0-3]) \":\" [0-5] [0-9])";
  if (format == "date") return date;
  if (format == "time") return time;
  if (format == "date-time") return date + " \"T\" " + time;
  if (format == "uuid") {
    return "[0-9a-fA-F]{8} \"-\" [0-9a-fA-F]{4} \"-\" [0-9a-fA-F]{4} \"-\" [0-9a-fA-F]{4} \"-\" "
           "[0-9a-fA-F]{12}";
  }
  return std::nullopt;
}

}  // namespace llmkit::infer::json_terms
