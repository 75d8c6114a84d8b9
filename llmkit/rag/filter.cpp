#include "llmkit/rag/filter.h"

#include "llmkit/base/error.h"

namespace llmkit::rag {

namespace {
// A JSON path selecting one top-level key, quoted so any key text is literal.
std::string json_path(const std::string& key) {
  std::string path = "$.\"";
  for (char ch : key) {
    if (ch == '"' || ch == '\\') path += '\\';
    path += ch;
  }
  return path + "\"";
}
}  // namespace

SqlCondition filter_to_sql(const Filter& filter) {
  SqlCondition out;
  std::vector<std::string> parts;
  for (const auto& [key, value] : filter.metadata) {
    out.params.emplace_back(json_path(key));
    if (value.is_null()) {
      parts.push_back("json_extract(c.metadata, ?) IS NULL");
      continue;
    }
    parts.push_back("json_extract(c.metadata, ?) = ?");
    if (value.is_string()) {
      out.params.emplace_back(value.get<std::string>());
    } else if (value.is_boolean()) {
      out.params.emplace_back(static_cast<int64_t>(value.get<bool>() ? 1 : 0));
    } else if (value.is_number_integer()) {
      out.params.emplace_back(value.get<int64_t>());
    } else if (value.is_number()) {
      out.params.emplace_back(value.get<double>());
    } else {
      throw_error(ErrorCode::kInvalidArgument,
                  str_cat("filter on metadata key '", key, "': value ", value.dump(),
                          " is not a string, number, bool or null"));
    }
  }
  if (!filter.source_glob.empty()) {
    parts.push_back("d.source GLOB ?");
    out.params.emplace_back(filter.source_glob);
  }
  if (!filter.mime.empty()) {
    parts.push_back("d.mime = ?");
    out.params.emplace_back(filter.mime);
  }
  if (parts.empty()) {
    out.sql = "1";
    return out;
  }
  for (size_t i = 0; i < parts.size(); ++i) out.sql += (i ? " AND " : "") + parts[i];
  return out;
}

}  // namespace llmkit::rag
