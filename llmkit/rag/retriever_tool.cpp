#include "llmkit/rag/retriever_tool.h"

#include "llmkit/base/error.h"
#include "llmkit/base/utf8.h"

namespace llmkit::rag {

std::string format_passages(const std::vector<SearchHit>& hits, std::size_t max_passage_bytes) {
  if (hits.empty()) return "No passage found.";
  std::string out;
  for (std::size_t i = 0; i < hits.size(); ++i) {
    const SearchHit& h = hits[i];
    std::string text = h.chunk.text;
    if (text.size() > max_passage_bytes) {
      text = text.substr(0, utf8_prefix_length(text, max_passage_bytes)) + "...";
    }
    if (i) out += "\n\n";
    out += str_cat("[", i + 1, "] ", h.chunk.source, ":", h.chunk.begin, "-", h.chunk.end);
    if (!h.title.empty()) out += " (" + h.title + ")";
    out += "\n" + text;
  }
  return out;
}

chain::ToolPtr make_retriever_tool(RetrieverPtr retriever, RetrieverToolOptions options) {
  LLMKIT_CHECK_CODE(retriever != nullptr, ErrorCode::kInvalidArgument,
                    "make_retriever_tool: no retriever given");
  const nlohmann::json schema = {
      {"type", "object"},
      {"properties",
       {{"query", {{"type", "string"}, {"description", "What to search for"}, {"minLength", 1}}}}},
      {"required", {"query"}},
      {"additionalProperties", false}};
  const std::size_t max_bytes = options.max_passage_bytes;
  return chain::make_tool(options.name, options.description, schema,
                          [retriever, max_bytes](const nlohmann::json& args) {
                            return format_passages(
                                retriever->invoke(args.at("query").get<std::string>()), max_bytes);
                          });
}

}  // namespace llmkit::rag
