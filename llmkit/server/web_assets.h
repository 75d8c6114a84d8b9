// The web chat page's files, embedded into the binary at build time (web/web_assets.cmake turns
// web/ and the npm packages it uses into a generated table; nothing is read from disk at run
// time). Immutable, thread-safe.
#pragma once
#include <span>
#include <string_view>

namespace llmkit::server {

struct WebAsset {
  std::string_view path;          // URL path, e.g. "/index.html", "/vendor/marked.js"
  std::string_view content_type;  // e.g. "text/html; charset=utf-8"
  std::string_view body;          // the file's bytes
};

// Every embedded file; "/index.html" is among them (the page served at "/").
std::span<const WebAsset> web_assets();

}  // namespace llmkit::server
