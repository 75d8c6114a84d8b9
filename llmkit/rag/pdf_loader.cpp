// PDF: the text of every page through poppler-cpp, in reading order as poppler reports it.
#include <poppler/cpp/poppler-document.h>
#include <poppler/cpp/poppler-global.h>
#include <poppler/cpp/poppler-page.h>

#include <memory>
#include <mutex>
#include <string>

#include "llmkit/base/error.h"
#include "llmkit/rag/loader_internal.h"
#include "llmkit/rag/loaders.h"

namespace llmkit::rag {
namespace {

std::string utf8_of(const poppler::ustring& s) {
  poppler::byte_array bytes = s.to_utf8();
  return std::string(bytes.begin(), bytes.end());
}

// Silences poppler's messages on stderr about malformed files (errors reach the caller as
// exceptions instead).
void quiet_poppler() {
  static std::once_flag once;
  std::call_once(
      once, [] { poppler::set_debug_error_function([](const std::string&, void*) {}, nullptr); });
}

}  // namespace

namespace detail {

Document parse_pdf(std::string_view bytes, const std::string& source) {
  quiet_poppler();
  Document doc = new_document(bytes, source, "application/pdf");
  LLMKIT_CHECK_CODE(bytes.size() < (1u << 31), ErrorCode::kUnsupported, "'", source,
                    "' is too large for the PDF reader (2 GiB at most)");
  // poppler reads the bytes in place (no copy); they outlive `pdf`.
  std::unique_ptr<poppler::document> pdf(
      poppler::document::load_from_raw_data(bytes.data(), static_cast<int>(bytes.size())));
  LLMKIT_CHECK_CODE(pdf != nullptr, ErrorCode::kCorruptData, "cannot read '", source,
                    "' as a PDF: the file is damaged or not a PDF");
  LLMKIT_CHECK_CODE(!pdf->is_locked(), ErrorCode::kCorruptData, "cannot read '", source,
                    "': the PDF is encrypted (remove its password first)");
  int pages = pdf->pages();
  for (int i = 0; i < pages; ++i) {
    if (i > 0) doc.text += kPageSeparator;
    doc.pages.push_back({doc.text.size(), i + 1});
    std::unique_ptr<poppler::page> page(pdf->create_page(i));
    if (page == nullptr) continue;
    std::string text = utf8_of(page->text());
    // poppler ends lines with "\n" and may put form feeds between text blocks; pages are
    // delimited by kPageSeparator only, so form feeds inside a page become newlines.
    for (char& c : text) {
      if (c == '\f') c = '\n';
    }
    while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
    // poppler gives UTF-8; this only guards the Document contract (no NULs, valid UTF-8).
    std::erase(text, '\0');
    doc.text += valid_utf8(text);
  }
  doc.metadata["page_count"] = pages;
  doc.title = utf8_of(pdf->info_key("Title"));
  if (doc.title.empty()) doc.title = file_stem(source);
  return doc;
}

}  // namespace detail

Document load_pdf(const std::string& path) {
  return detail::parse_pdf(read_file_bytes(path), path);
}

}  // namespace llmkit::rag
