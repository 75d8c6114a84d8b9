// Plain-text loading, the binary check, reading files and choosing a loader (load_file).
#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "llmkit/base/error.h"
#include "llmkit/rag/content_hash.h"
#include "llmkit/rag/loader_internal.h"
#include "llmkit/rag/loaders.h"

namespace llmkit::rag {
namespace detail {
namespace {

// Length of the valid UTF-8 sequence at s[i] (RFC 3629: no overlongs, no surrogates, at most
// U+10FFFF), or 0 when the bytes there are not one.
size_t utf8_sequence_length(std::string_view s, size_t i) {
  auto c = static_cast<unsigned char>(s[i]);
  if (c < 0x80) return 1;
  size_t n;
  uint32_t cp;
  if ((c >> 5) == 0x6) {
    n = 2, cp = c & 0x1F;
  } else if ((c >> 4) == 0xE) {
    n = 3, cp = c & 0x0F;
  } else if ((c >> 3) == 0x1E) {
    n = 4, cp = c & 0x07;
  } else {
    return 0;
  }
  if (i + n > s.size()) return 0;
  for (size_t k = 1; k < n; ++k) {
    auto d = static_cast<unsigned char>(s[i + k]);
    if ((d & 0xC0) != 0x80) return 0;
    cp = (cp << 6) | (d & 0x3F);
  }
  static const uint32_t kMin[5] = {0, 0, 0x80, 0x800, 0x10000};
  if (cp < kMin[n] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;
  return n;
}

}  // namespace

std::string valid_utf8(std::string_view bytes, size_t* invalid) {
  std::string out;
  out.reserve(bytes.size());
  size_t bad = 0;
  for (size_t i = 0; i < bytes.size();) {
    size_t n = utf8_sequence_length(bytes, i);
    if (n == 0) {
      out += "\xEF\xBF\xBD";
      ++bad;
      ++i;
    } else {
      out.append(bytes.data() + i, n);
      i += n;
    }
  }
  if (invalid) *invalid = bad;
  return out;
}

std::string checked_utf8(std::string_view bytes, const std::string& source, size_t* invalid) {
  LLMKIT_CHECK(bytes.find('\0') == std::string_view::npos, "'", source,
               "' looks like a binary file (it contains NUL bytes); only text, Markdown, HTML and "
               "PDF files can be loaded");
  size_t bad = 0;
  std::string out = valid_utf8(bytes, &bad);
  LLMKIT_CHECK(bad * 10 <= bytes.size(), "'", source, "' looks like a binary file (", bad, " of ",
               bytes.size(),
               " bytes are not valid UTF-8); only text, Markdown, HTML and PDF files can be "
               "loaded; convert the file to UTF-8 text first");
  if (invalid) *invalid = bad;
  return out;
}

std::string file_stem(const std::string& source) {
  return std::filesystem::path(source).stem().string();
}

Document new_document(std::string_view bytes, const std::string& source, const char* mime) {
  Document doc;
  doc.source = source;
  doc.mime = mime;
  doc.content_hash = content_hash(bytes);
  return doc;
}

Document parse_text(std::string_view bytes, const std::string& source) {
  Document doc = new_document(bytes, source, "text/plain");
  size_t invalid = 0;
  doc.text = checked_utf8(bytes, source, &invalid);
  if (invalid > 0) doc.metadata["invalid_utf8_bytes"] = invalid;
  doc.title = file_stem(source);
  return doc;
}

}  // namespace detail

std::string read_file_bytes(const std::string& path) {
  std::error_code ec;
  LLMKIT_CHECK_CODE(std::filesystem::exists(path, ec), ErrorCode::kNotFound, "file '", path,
                    "' does not exist");
  LLMKIT_CHECK_CODE(!std::filesystem::is_directory(path, ec), ErrorCode::kInvalidArgument, "'",
                    path, "' is a directory, not a file");
  std::ifstream in(path, std::ios::binary);
  LLMKIT_CHECK_CODE(in.good(), ErrorCode::kIo, "cannot open '", path,
                    "' for reading: ", std::strerror(errno));
  std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  LLMKIT_CHECK_CODE(!in.bad(), ErrorCode::kIo, "error while reading '", path, "'");
  return bytes;
}

namespace {

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

bool starts_with_ci(std::string_view s, std::string_view prefix) {
  if (s.size() < prefix.size()) return false;
  for (size_t i = 0; i < prefix.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(s[i])) != prefix[i]) return false;
  }
  return true;
}

}  // namespace

std::string detect_mime(const std::string& path, std::string_view bytes) {
  if (bytes.substr(0, 5) == "%PDF-") return "application/pdf";
  std::string ext = lower(std::filesystem::path(path).extension().string());
  if (ext == ".pdf") return "application/pdf";
  if (ext == ".md" || ext == ".markdown" || ext == ".mdown" || ext == ".mkd") {
    return "text/markdown";
  }
  if (ext == ".html" || ext == ".htm" || ext == ".xhtml") return "text/html";
  if (ext == ".txt" || ext == ".text") return "text/plain";
  std::string_view head = bytes.substr(0, 1024);
  if (head.substr(0, 3) == "\xEF\xBB\xBF") head.remove_prefix(3);  // UTF-8 byte order mark
  size_t start = 0;
  while (start < head.size() && std::isspace(static_cast<unsigned char>(head[start]))) ++start;
  head.remove_prefix(start);
  if (starts_with_ci(head, "<!doctype html") || starts_with_ci(head, "<html")) return "text/html";
  return "text/plain";
}

Document load_bytes(std::string_view bytes, const std::string& source, const std::string& mime) {
  std::string type = mime.empty() ? detect_mime(source, bytes) : mime;
  if (type == "text/plain") return detail::parse_text(bytes, source);
  if (type == "text/markdown") return detail::parse_markdown(bytes, source);
  if (type == "text/html") return detail::parse_html(bytes, source);
  if (type == "application/pdf") return detail::parse_pdf(bytes, source);
  throw_error(ErrorCode::kUnsupported,
              str_cat("cannot load '", source, "' as '", type,
                      "': supported types are text/plain, text/markdown, text/html and "
                      "application/pdf"));
}

Document load_text(const std::string& path) {
  return detail::parse_text(read_file_bytes(path), path);
}

Document load_file(const std::string& path) {
  std::string bytes = read_file_bytes(path);
  return load_bytes(bytes, path);
}

}  // namespace llmkit::rag
