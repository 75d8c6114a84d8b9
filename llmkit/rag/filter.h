// Metadata filters for store searches, and their translation to an SQL condition.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <variant>
#include <vector>

#include <nlohmann/json.hpp>

namespace llmkit::rag {

// A chunk passes when every set field matches (an empty Filter passes everything):
//   metadata     each key's value in the chunk metadata equals the given JSON scalar (string,
//                number, bool; null means "key absent or null")
//   source_glob  the document source matches an SQLite GLOB pattern (* and ? match any character
//                including '/', [abc] sets; case-sensitive)
//   mime         the document mime type equals this
struct Filter {
  std::map<std::string, nlohmann::json> metadata;
  std::string source_glob;
  std::string mime;
  bool empty() const { return metadata.empty() && source_glob.empty() && mime.empty(); }
};

using SqlValue = std::variant<int64_t, double, std::string>;

// The filter as an SQL boolean expression over the aliases `c` (chunks) and `d` (documents),
// with `?` parameters in order; "1" for an empty filter. Throws Error(kInvalidArgument) for a
// metadata value that is an array or object.
struct SqlCondition {
  std::string sql;
  std::vector<SqlValue> params;
};
SqlCondition filter_to_sql(const Filter& filter);

}  // namespace llmkit::rag
