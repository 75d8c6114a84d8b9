// The web page embedded at build time (web/web_assets.cmake): each asset's bytes equal the file
// on disk it came from (read here with std::ifstream, a path independent of the CMake
// conversion), content types follow the file kind, and every URL the page itself references
// (src/href in index.html, module imports in app.js) is an embedded asset, so the page loads
// nothing from elsewhere.
#include "llmkit/server/web_assets.h"

#include <gtest/gtest.h>

#include <fstream>
#include <iterator>
#include <regex>
#include <set>
#include <string>

namespace llmkit::server {
namespace {

const std::string kWeb = std::string(LLMKIT_SOURCE_DIR) + "/web/";

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  EXPECT_TRUE(in.good()) << "cannot read " << path;
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

const WebAsset* find(std::string_view path) {
  for (const WebAsset& a : web_assets()) {
    if (a.path == path) return &a;
  }
  return nullptr;
}

TEST(WebAssets, BodiesAreTheFilesBytes) {
  const std::pair<const char*, std::string> expected[] = {
      {"/index.html", kWeb + "index.html"},
      {"/app.js", kWeb + "app.js"},
      {"/style.css", kWeb + "style.css"},
      {"/vendor/marked.js", kWeb + "node_modules/marked/lib/marked.esm.js"},
      {"/vendor/purify.js", kWeb + "node_modules/dompurify/dist/purify.es.mjs"},
  };
  EXPECT_EQ(web_assets().size(), std::size(expected));
  for (const auto& [url, file] : expected) {
    const WebAsset* a = find(url);
    ASSERT_NE(a, nullptr) << url << " is not embedded";
    const std::string bytes = read_file(file);
    ASSERT_FALSE(bytes.empty()) << file;
    EXPECT_EQ(a->body.size(), bytes.size()) << url;
    EXPECT_TRUE(a->body == bytes) << url << " differs from " << file;
  }
}

TEST(WebAssets, ContentTypesFollowTheFileKind) {
  std::set<std::string_view> paths;
  for (const WebAsset& a : web_assets()) {
    EXPECT_TRUE(paths.insert(a.path).second) << "duplicate path " << a.path;
    ASSERT_TRUE(a.path.starts_with("/")) << a.path;
    std::string_view want;
    if (a.path.ends_with(".html")) want = "text/html; charset=utf-8";
    if (a.path.ends_with(".js")) want = "text/javascript; charset=utf-8";
    if (a.path.ends_with(".css")) want = "text/css; charset=utf-8";
    EXPECT_EQ(a.content_type, want) << a.path;
  }
}

// Every src="..."/href="..." in index.html and every `import ... from "..."` in app.js names an
// embedded asset by an absolute local path (no scheme, no host), or is an inline data: URL.
TEST(WebAssets, ThePageReferencesOnlyEmbeddedAssets) {
  const WebAsset* html = find("/index.html");
  const WebAsset* app = find("/app.js");
  ASSERT_NE(html, nullptr);
  ASSERT_NE(app, nullptr);
  const std::string page(html->body), script(app->body);
  std::vector<std::string> refs;  // fetched URLs (inline data: URLs are fetched from nowhere)
  auto collect = [&refs](const std::string& text, const std::regex& re) {
    for (std::sregex_iterator it(text.begin(), text.end(), re), end; it != end; ++it) {
      if (!(*it)[2].str().starts_with("data:")) refs.push_back((*it)[2]);
    }
  };
  collect(page, std::regex(R"re(\b(?:src|href)\s*=\s*(["'])(.*?)\1)re"));
  collect(script, std::regex(R"re(\bimport\b[^;]*?\bfrom\s*(["'])(.*?)\1)re"));
  EXPECT_EQ(refs.size(), 4u) << "expected the stylesheet, app.js and two imports";
  for (const std::string& ref : refs) {
    EXPECT_NE(find(ref), nullptr) << "the page references " << ref << ", which is not embedded";
  }
}

}  // namespace
}  // namespace llmkit::server
