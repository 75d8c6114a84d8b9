// Validation of JSON values against a JSON Schema (the subset tool arguments use).
//
// Keywords understood: type (a name or a list of names: "null", "boolean", "object", "array",
// "number", "integer", "string"; an integer is any number with no fractional part), properties,
// required, additionalProperties (bool or schema), enum, const, items (one schema for every
// element), minItems/maxItems, uniqueItems, minimum/maximum, exclusiveMinimum/exclusiveMaximum
// (numbers), multipleOf, minLength/maxLength (counted in Unicode code points), pattern (ECMAScript
// regex via std::regex, matched anywhere in the string as the standard says), allOf, anyOf, oneOf,
// not. Other keywords (title, description, default, examples, $schema, format, ...) are ignored.
//
// Errors name the JSON pointer (RFC 6901) of the offending value: "/items/0/name: expected string,
// got number". An invalid schema (a keyword with a value of the wrong kind, a bad regex) throws
// llmkit::Error(kInvalidArgument) naming the keyword's pointer inside the schema.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "llmkit/infer/json_schema_grammar.h"

namespace llmkit::chain {

struct SchemaViolation {
  std::string pointer;  // JSON pointer of the value in the instance ("" = the whole value)
  std::string message;  // what is wrong, e.g. "expected integer, got string"

  // "pointer: message" ("/" for the root value).
  std::string to_string() const;
};

// Every violation of schema by value, in document order (empty = valid). Stops descending into a
// value whose type is wrong. Throws Error for an invalid schema.
std::vector<SchemaViolation> validate_json(const nlohmann::json& schema,
                                           const nlohmann::json& value);

// The violations joined by "; ", or "" when valid.
std::string describe_violations(const std::vector<SchemaViolation>& violations);

// Appends one escaped reference token to a JSON pointer (the grammar compiler's, shared).
using infer::json_pointer_append;

// The JSON type name of value as the schema's "type" keyword writes it ("integer" for whole
// numbers stored as integers, "number" otherwise).
std::string json_type_name(const nlohmann::json& value);

}  // namespace llmkit::chain
