// Document loaders: read one source file and extract its text as UTF-8 into a Document
// (llmkit/rag/document.h) with title, mime type, page starts, headings and the XXH3-128 hash of
// the raw file bytes (content_hash.h).
//
// Formats and what they keep:
//   text/plain     the bytes as they are (offsets are file offsets when the file is valid UTF-8)
//   text/markdown  the bytes as they are, plus ATX ("# Title") and setext ("Title\n====")
//                  headings outside fenced code blocks; title = first level-1 heading
//   text/html      the visible text (gumbo): no <head>, <script>, <style>, <template>,
//                  <noscript>; whitespace collapsed as a browser does (except in <pre>); block
//                  elements and <br> start new lines; h1..h6 become headings; title = <title>,
//                  else the first h1
//   application/pdf  the text of each page (poppler), pages joined with kPageSeparator, one
//                  PageStart per page; title = the PDF's Info /Title; metadata "page_count"
// When no title is found, the title is the file stem ("notes" for "a/notes.txt").
//
// Text sources (plain, markdown, html) are checked for binary content: a NUL byte, or more than
// 10% of the bytes outside valid UTF-8 sequences, throws Error(kInvalidArgument) naming the file.
// Fewer invalid bytes are each replaced by U+FFFD (then offsets no longer match the file's).
// Missing files throw Error(kNotFound), unreadable ones Error(kIo); a PDF poppler cannot open or
// that is encrypted throws Error(kCorruptData). All messages name the file.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "llmkit/rag/document.h"

namespace llmkit::rag {

// Between the texts of consecutive PDF pages.
inline constexpr std::string_view kPageSeparator = "\n\f\n";

Document load_text(const std::string& path);
Document load_markdown(const std::string& path);
Document load_html(const std::string& path);
Document load_pdf(const std::string& path);

// Chooses the loader by extension (.txt .text .md .markdown .mdown .mkd .html .htm .xhtml .pdf;
// case-insensitive), else by sniffing the bytes: "%PDF-" -> pdf, "<!doctype html" or "<html" at
// the start (case-insensitive, after whitespace) -> html, otherwise plain text (with the binary
// check). A file that starts with "%PDF-" is read as a PDF whatever its extension.
Document load_file(const std::string& path);

// The same extraction from bytes in memory; `source` names them (and its extension guides the
// choice when mime is empty); mime: one of the four types above, or "" to choose like load_file.
Document load_bytes(std::string_view bytes, const std::string& source,
                    const std::string& mime = "");

// The mime type load_file would choose for these bytes at this path.
std::string detect_mime(const std::string& path, std::string_view bytes);

// Markdown headings of text with their byte offsets (ATX lines "#".."######" followed by a space
// or the line end, up to 3 spaces of indent, closing #s dropped; setext underlines "===" -> 1,
// "---" -> 2 under a non-blank paragraph line), skipping fenced code blocks (``` or ~~~).
std::vector<Heading> markdown_headings(std::string_view text);

// Reads a whole file; throws Error(kNotFound / kIo) naming it.
std::string read_file_bytes(const std::string& path);

}  // namespace llmkit::rag
