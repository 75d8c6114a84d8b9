// A retriever as an agent tool: the model calls it with {"query": "..."} and reads the passages
// found, numbered, each with its source and byte range, so an agent can search the user's
// documents and cite them.
#pragma once

#include <cstddef>
#include <string>

#include "llmkit/chain/tool.h"
#include "llmkit/rag/retriever.h"

namespace llmkit::rag {

struct RetrieverToolOptions {
  std::string name = "search_documents";
  std::string description =
      "Search the user's documents. Returns the most relevant passages with their sources.";
  std::size_t max_passage_bytes = 500;  // longer passage texts are cut (at a UTF-8 boundary)
};

// Observation for hits: "[1] source:begin-end (title)\ntext\n\n[2] ..." or "No passage found.".
std::string format_passages(const std::vector<SearchHit>& hits, std::size_t max_passage_bytes);

// Throws Error(kInvalidArgument) for a null retriever (and make_tool's errors for a bad name).
chain::ToolPtr make_retriever_tool(RetrieverPtr retriever, RetrieverToolOptions options = {});

}  // namespace llmkit::rag
