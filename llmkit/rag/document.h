// The units RAG works on: a Document (one loaded source, its text extracted as UTF-8) and the
// Chunks a splitter cuts from it. Every chunk keeps the byte range it covers in its document's
// text, so an answer can cite the exact passage.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace llmkit::rag {

// A page of a paged source (PDF) starts at byte `offset` of Document::text; pages are 1-based.
struct PageStart {
  std::size_t offset = 0;
  int page = 1;
};

// A heading (HTML h1..h6, Markdown # .. ######) whose line starts at byte `offset` of
// Document::text.
struct Heading {
  std::size_t offset = 0;
  int level = 1;  // 1..6
  std::string title;
};

struct Document {
  std::string source;        // where it came from: a file path as given, or a caller's name
  std::string title;         // HTML <title>, PDF Title, the first level-1 heading, else file stem
  std::string mime;          // "text/plain", "text/markdown", "text/html", "application/pdf"
  std::string text;          // the extracted text (UTF-8); chunk offsets index into it
  std::string content_hash;  // 32 lower-case hex digits: XXH3-128 of the raw source bytes
  std::vector<PageStart> pages;   // ascending offsets; empty for unpaged sources
  std::vector<Heading> headings;  // ascending offsets
  nlohmann::json metadata = nlohmann::json::object();  // loader and caller extras (e.g. mtime)
};

struct Chunk {
  std::string source;     // Document::source
  std::size_t begin = 0;  // byte range [begin, end) of Document::text
  std::size_t end = 0;
  std::string text;  // == document.text.substr(begin, end - begin)
  int index = 0;     // position among the chunks cut from its document, from 0
  // source, title, page (the page holding `begin`, when paged), headings (the enclosing headings'
  // titles, outermost first, as an array), plus the document's metadata.
  nlohmann::json metadata = nlohmann::json::object();
};

}  // namespace llmkit::rag
