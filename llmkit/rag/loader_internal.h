// Helpers shared by the loader .cpp files (not part of the public API).
#pragma once

#include <string>
#include <string_view>

#include "llmkit/rag/document.h"

namespace llmkit::rag::detail {

// bytes with each byte outside a valid UTF-8 sequence replaced by U+FFFD; *invalid (when given)
// receives the number of replaced bytes.
std::string valid_utf8(std::string_view bytes, size_t* invalid = nullptr);

// bytes as UTF-8 text: throws Error(kInvalidArgument) naming source when they look binary (a NUL
// byte or > 10% of bytes invalid), else returns them with each invalid byte replaced by U+FFFD.
// *invalid (when given) receives the number of replaced bytes.
std::string checked_utf8(std::string_view bytes, const std::string& source,
                         size_t* invalid = nullptr);

// "a/b/notes.txt" -> "notes".
std::string file_stem(const std::string& source);

// A Document with source, mime and content_hash of bytes filled in.
Document new_document(std::string_view bytes, const std::string& source, const char* mime);

// Per-format extraction from raw bytes.
Document parse_text(std::string_view bytes, const std::string& source);
Document parse_markdown(std::string_view bytes, const std::string& source);
Document parse_html(std::string_view bytes, const std::string& source);
Document parse_pdf(std::string_view bytes, const std::string& source);

}  // namespace llmkit::rag::detail
