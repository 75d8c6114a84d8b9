// JSON Schema → GBNF grammar (llama.cpp's grammar format): text produced under the grammar is
// valid JSON that validates against the schema (draft 2020-12 semantics, with the draft-7
// spellings `definitions` and array-valued `items` accepted too).
//
// Supported keywords:
//   type (one name or a list; absent: inferred from the type-specific keywords present, any JSON
//   value when there are none); enum and const (next to `type` only); anyOf; oneOf (as anyOf:
//   exact when the branches are disjoint); allOf (merged into one schema when the parts do not
//   conflict; a lone part is used as is); $ref to "#" or "#/..." pointers within the schema
//   (#/$defs/X, #/definitions/X, ...; recursion allowed);
//   object: properties, required (names listed in properties), additionalProperties (false /
//   true / a schema);
//   array: items, prefixItems (or draft-7 array-valued `items`), minItems, maxItems,
//   uniqueItems false;
//   string: minLength, maxLength, pattern (an ECMAScript-like subset, regex_grammar.h; matched
//   as a search unless anchored), format (date, time, date-time, uuid) — one of the three kinds;
//   integer: minimum, maximum, exclusiveMinimum, exclusiveMaximum (|bound| < 10^15);
//   number: the same four with whole-number bounds (the number is then written without an
//   exponent);
//   boolean schemas true / false (false only where it can be honoured: a property that must not
//   appear, `items: false`, `additionalProperties: false`).
// Ignored annotations: title, description, default, examples, $comment, $schema, $id (root only),
//   $defs and definitions (containers), deprecated, readOnly, writeOnly; `format` on non-strings.
// Anything else — and any supported keyword used where it cannot be honoured (pattern together
// with minLength, anyOf next to other constraints, an unknown format, ...) — throws
// Error(kInvalidArgument) naming the keyword and its JSON pointer path in the schema. Nothing that
// constrains values is ignored.
//
// The grammar is stricter than the schema in ways that keep every produced text valid:
//   - object keys appear in the schema's `properties` order; optional properties may be left
//     out; extra keys (allowed by `additionalProperties` true or a schema) come after them, are
//     written without escapes until they differ from every listed name, and never repeat a
//     listed name;
//   - `additionalProperties` absent is treated as false when `properties` lists names (no extra
//     keys), and as true when it does not (a bare {"type": "object"} is any object);
//   - tuples (prefixItems without items, draft-7 array `items`) have no items beyond the prefix;
//   - whitespace: none before or after the top-level value; between tokens nothing, one space or
//     tab, or one newline ("\n" or "\r\n") then up to 20 spaces or tabs, so sampling cannot loop
//     on whitespace;
//   - numbers: at most 16 integer digits, 16 fraction digits and 2 exponent digits;
//   - string escapes \uXXXX exclude surrogates, so each escape is one character and
//     minLength/maxLength count exactly; non-BMP characters are written raw (UTF-8);
//   - formats: date never writes February 29 (every date written exists); time and date-time
//     need a Z or numeric offset and seconds 00-59;
//   - enum and const values are written compactly (no whitespace inside object or array values),
//     as nlohmann::json::dump() writes them.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

namespace llmkit::infer {

// Appends one reference token to a JSON pointer, escaped as RFC 6901 says ('~' -> "~0", '/' ->
// "~1"): ("/a", "b/c") -> "/a/b~1c".
std::string json_pointer_append(const std::string& pointer, const std::string& token);

// A complete grammar whose `root` rule matches the JSON texts described above. Throws
// Error(kInvalidArgument) for unsupported or unsatisfiable schemas (see above).
std::string json_schema_to_gbnf(const nlohmann::ordered_json& schema);
// The same; nlohmann::json keeps object keys sorted, so properties come in alphabetical order.
// Parse schema files as ordered_json to keep the schema's own order.
std::string json_schema_to_gbnf(const nlohmann::json& schema);

}  // namespace llmkit::infer
