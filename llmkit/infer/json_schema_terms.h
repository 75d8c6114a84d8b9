// GBNF pieces for json_schema_grammar: the generic JSON value rules, integer ranges and string
// formats. Internal to the converter; expressions reference the rule names defined by
// generic_json_rules().
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace llmkit::infer::json_terms {

// Bounds on the number of digits the grammar lets a number have (keeps sampling finite).
constexpr int kMaxIntDigits = 16;
constexpr int kMaxFracDigits = 16;
constexpr int kMaxExpDigits = 2;
// Largest |bound| accepted for integer minimum / maximum.
constexpr int64_t kMaxIntBound = 999'999'999'999'999;

// The GBNF definition of one generic rule, by name: "ws", "char", "string", "number",
// "integer", "boolean", "null", "value", "object", "array". Each body uses only rules of this
// set; `requires` lists the names the body references.
struct GenericRule {
  std::string body;
  std::string requires_rules;  // space-separated names
};
GenericRule generic_rule(std::string_view name);

// A GBNF expression (no rules) for the integers in [lo, hi] written as JSON writes them (no
// leading zeros, no "-0"); an absent bound is unbounded (within kMaxIntDigits digits). lo <= hi
// when both are present.
std::string integer_range(std::optional<int64_t> lo, std::optional<int64_t> hi);

// One bound of a number range: an integer value, inclusive or exclusive.
struct NumberBound {
  int64_t value = 0;
  bool exclusive = false;
};

// A GBNF expression for the JSON numbers x with lo <= x (lo < x when exclusive) and x <= hi
// (x < hi), absent bounds unbounded: written without an exponent, with at most kMaxIntDigits
// integer and kMaxFracDigits fraction digits (31 when a non-zero fraction is forced). "-0" and
// "-0.0" are written only as zero's non-negative spelling. The range must not be empty.
std::string number_range(std::optional<NumberBound> lo, std::optional<NumberBound> hi);

// A GBNF expression for the body (between the quotes) of a string in `format`, or nullopt when
// the format is not supported. Supported: date (months' day counts respected; February 29
// excluded so every date exists), time and date-time (RFC 3339 with a Z or numeric offset,
// seconds 00-59), uuid.
std::optional<std::string> format_body(std::string_view format);

}  // namespace llmkit::infer::json_terms
