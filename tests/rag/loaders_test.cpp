// Loaders: text, Markdown, HTML (gumbo) and PDF (poppler) files written by the test itself, the
// binary check, format detection and the content hash against published XXH3-128 vectors.
#include <gtest/gtest.h>

#include <random>

#include "llmkit/base/error.h"
#include "llmkit/rag/content_hash.h"
#include "llmkit/rag/loaders.h"
#include "tests/rag/loader_test_util.h"

namespace llmkit::rag {
namespace {

using testing::make_pdf;
using testing::TempDir;
using testing::write_file;

// Runs f, expecting Error with this code whose message contains `needle`.
template <typename F>
void expect_error(F f, ErrorCode code, const std::string& needle) {
  try {
    f();
    ADD_FAILURE() << "no error thrown; expected one mentioning " << needle;
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), code) << e.what();
    EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << e.what();
  }
}

TEST(ContentHash, MatchesPublishedXxh128Vectors) {
  // Canonical XXH3-128 digests (seed 0) as xxh128sum prints them.
  EXPECT_EQ(content_hash(""), "99aa06d3014798d86001c324468d497f");
  EXPECT_EQ(content_hash("abc"), "06b05ab6733a618578af5f94892f3950");
  std::string big(100000, 'x');
  EXPECT_EQ(content_hash(big).size(), 32u);
  std::string other = big;
  other[54321] = 'y';
  EXPECT_NE(content_hash(big), content_hash(other));
}

TEST(LoadText, KeepsBytesAndHashesRawFile) {
  TempDir dir;
  std::string path = dir.file("notes/Meeting Notes.txt");
  std::string text = "Line one.\r\nZürich café — 東京\n\nlast";
  write_file(path, text);
  Document doc = load_text(path);
  EXPECT_EQ(doc.text, text);
  EXPECT_EQ(doc.source, path);
  EXPECT_EQ(doc.title, "Meeting Notes");
  EXPECT_EQ(doc.mime, "text/plain");
  EXPECT_EQ(doc.content_hash, content_hash(text));
  EXPECT_TRUE(doc.pages.empty());
  EXPECT_TRUE(doc.headings.empty());
}

TEST(LoadText, RejectsBinaryFilesNamingThem) {
  TempDir dir;
  std::string nul = dir.file("image.txt");
  write_file(nul, std::string("GIF89a\0\0\x01\x02", 10));
  expect_error([&] { load_text(nul); }, ErrorCode::kInvalidArgument, nul);
  expect_error([&] { load_file(nul); }, ErrorCode::kInvalidArgument, "binary");

  // No NUL but mostly invalid UTF-8 (every byte >= 0x80 paired with ASCII).
  std::string noisy = dir.file("noise.dat");
  std::string bytes;
  for (int i = 0; i < 400; ++i) bytes += static_cast<char>(i % 2 ? 'a' : 0x80 + i % 64);
  write_file(noisy, bytes);
  expect_error([&] { load_file(noisy); }, ErrorCode::kInvalidArgument, noisy);
}

TEST(LoadText, FewInvalidBytesBecomeReplacementCharacters) {
  TempDir dir;
  std::string path = dir.file("latin1.txt");
  // "café au lait, naïve ..." in Latin-1: two invalid bytes in 51.
  write_file(path, "caf\xE9 au lait, na\xEFve reader, in a Latin-1 file.");
  Document doc = load_file(path);
  EXPECT_EQ(doc.text, "caf\xEF\xBF\xBD au lait, na\xEF\xBF\xBDve reader, in a Latin-1 file.");
  EXPECT_EQ(doc.metadata.value("invalid_utf8_bytes", 0), 2);
  // A lone continuation byte, a truncated sequence at the end, an overlong encoding of '/' and
  // a UTF-16 surrogate are invalid too (RFC 3629).
  Document odd = load_bytes("a\x80 " + std::string(100, 'b') + " \xC0\xAF \xED\xA0\x80 end\xE2\x82",
                            "odd.txt");
  EXPECT_EQ(odd.metadata.value("invalid_utf8_bytes", 0), 1 + 2 + 3 + 2);
}

TEST(LoadText, MissingFileIsNotFound) {
  TempDir dir;
  std::string path = dir.file("absent.txt");
  expect_error([&] { load_file(path); }, ErrorCode::kNotFound, path);
}

TEST(LoadMarkdown, FindsHeadingsOutsideCodeFences) {
  TempDir dir;
  std::string path = dir.file("guide.md");
  std::string text =
      "Intro line\n"
      "# Getting Started #\n"
      "Some text.\n"
      "```bash\n"
      "# not a heading\n"
      "```\n"
      "## Install\n"
      "Setext Title\n"
      "spanning two lines\n"
      "---\n"
      "#hashtag is not a heading\n"
      "    # indented code, not a heading\n"
      "### Deep ###\n"
      "~~~\n"
      "## fenced\n"
      "~~~\n"
      "Other\n"
      "=====\n";
  write_file(path, text);
  Document doc = load_markdown(path);
  EXPECT_EQ(doc.mime, "text/markdown");
  EXPECT_EQ(doc.text, text);
  EXPECT_EQ(doc.title, "Getting Started");
  struct Want {
    std::string line_start;
    int level;
    std::string title;
  };
  std::vector<Want> want = {{"# Getting", 1, "Getting Started"},
                            {"## Install", 2, "Install"},
                            {"Setext Title\n", 2, "Setext Title spanning two lines"},
                            {"### Deep", 3, "Deep"},
                            {"Other\n", 1, "Other"}};
  ASSERT_EQ(doc.headings.size(), want.size());
  for (size_t i = 0; i < want.size(); ++i) {
    const Heading& h = doc.headings[i];
    EXPECT_EQ(doc.text.compare(h.offset, want[i].line_start.size(), want[i].line_start), 0)
        << "heading " << i << " at " << h.offset;
    EXPECT_TRUE(h.offset == 0 || doc.text[h.offset - 1] == '\n');
    EXPECT_EQ(h.level, want[i].level);
    EXPECT_EQ(h.title, want[i].title);
  }
  Document untitled = load_bytes("## only level two\n", "dir/readme.md");
  EXPECT_EQ(untitled.title, "readme");
}

TEST(LoadMarkdown, HeadingsOfRandomDocumentsStartLinesInOrder) {
  std::mt19937 rng(5);
  const char* kLines[] = {"# One",      "## Two ##", "text",   "",          "```",
                          "~~~~",       "===",       "---",    "#no",       "   ### x",
                          "    # code", "para",      "- item", "###### six"};
  for (int trial = 0; trial < 200; ++trial) {
    std::string text;
    int n = rng() % 30;
    for (int i = 0; i < n; ++i) text += std::string(kLines[rng() % 14]) + "\n";
    std::vector<Heading> headings = markdown_headings(text);
    for (size_t i = 0; i < headings.size(); ++i) {
      ASSERT_LT(headings[i].offset, text.size());
      EXPECT_TRUE(headings[i].offset == 0 || text[headings[i].offset - 1] == '\n');
      EXPECT_GE(headings[i].level, 1);
      EXPECT_LE(headings[i].level, 6);
      if (i > 0) {
        EXPECT_LT(headings[i - 1].offset, headings[i].offset);
      }
    }
  }
}

TEST(LoadHtml, ExtractsVisibleTextHeadingsAndTitle) {
  TempDir dir;
  std::string path = dir.file("page.html");
  std::string html =
      "<!DOCTYPE html><html><head><title> My \n Page </title>"
      "<style>p { color: red }</style><script>var x = \"script text\";</script></head>\n"
      "<body><h1>Main   Title</h1><p>First   paragraph with <b>bold</b>\n"
      "text &amp; entity&nbsp;here.</p><div>Line<br>break</div>"
      "<h2>Sub <i>section</i></h2><ul><li>one</li><li>two</li></ul>"
      "<pre>  keep   spaces\n  here</pre><noscript>enable js</noscript>"
      "<p hidden>secret</p><template><p>template</p></template>"
      "<table><tr><td>a</td><td>b</td></tr></table><!-- comment --></body></html>";
  write_file(path, html);
  Document doc = load_html(path);
  EXPECT_EQ(doc.mime, "text/html");
  EXPECT_EQ(doc.title, "My Page");
  EXPECT_EQ(doc.content_hash, content_hash(html));
  // Laid out by hand from the rules in loaders.h: paragraph-like blocks separated by a blank
  // line, <div>/<li>/<tr> on their own lines, whitespace collapsed outside <pre>, entities
  // decoded (&nbsp; is U+00A0), nothing from head/script/style/noscript/hidden/template.
  EXPECT_EQ(doc.text,
            "Main Title\n\n"
            "First paragraph with bold text & entity\xC2\xA0here.\n\n"
            "Line\nbreak\n\n"
            "Sub section\n\n"
            "one\ntwo\n\n"
            "  keep   spaces\n  here\n\n"
            "a b");
  ASSERT_EQ(doc.headings.size(), 2u);
  EXPECT_EQ(doc.headings[0].offset, 0u);
  EXPECT_EQ(doc.headings[0].level, 1);
  EXPECT_EQ(doc.headings[0].title, "Main Title");
  EXPECT_EQ(doc.headings[1].level, 2);
  EXPECT_EQ(doc.headings[1].title, "Sub section");
  EXPECT_EQ(doc.text.compare(doc.headings[1].offset, 11, "Sub section"), 0);

  // Without <title> the first h1 names the document, without either the file stem.
  EXPECT_EQ(load_bytes("<p>x</p><h2>two</h2><h1>One</h1>", "a.htm").title, "One");
  EXPECT_EQ(load_bytes("<p>x</p>", "docs/b.html").title, "b");
  EXPECT_EQ(load_bytes("<p>x<svg><title>icon</title></svg></p>", "c.html").title, "c");
}

TEST(LoadHtml, DeeplyNestedDocumentsDoNotOverflowTheStack) {
  std::string html = "<title>deep</title>";
  for (int i = 0; i < 20000; ++i) html += "<span>";
  html += "bottom";
  Document doc = load_bytes(html, "deep.html");
  EXPECT_EQ(doc.text, "bottom");
}

TEST(LoadPdf, ReadsPagesAndTitleOfGeneratedPdf) {
  TempDir dir;
  std::string path = dir.file("report.pdf");
  std::string bytes = make_pdf(
      {{"Alpha page one", "second line (with parens)"}, {"Beta page two"}, {"Gamma page three"}},
      "Quarterly Report");
  write_file(path, bytes);
  Document doc = load_pdf(path);
  EXPECT_EQ(doc.mime, "application/pdf");
  EXPECT_EQ(doc.title, "Quarterly Report");
  EXPECT_EQ(doc.content_hash, content_hash(bytes));
  EXPECT_EQ(doc.metadata.value("page_count", 0), 3);
  ASSERT_EQ(doc.pages.size(), 3u);
  const char* expected[] = {"Alpha page one\nsecond line (with parens)", "Beta page two",
                            "Gamma page three"};
  for (size_t i = 0; i < 3; ++i) {
    EXPECT_EQ(doc.pages[i].page, static_cast<int>(i + 1));
    size_t end = i + 1 < 3 ? doc.pages[i + 1].offset - kPageSeparator.size() : doc.text.size();
    ASSERT_LE(doc.pages[i].offset, end);
    EXPECT_EQ(doc.text.substr(doc.pages[i].offset, end - doc.pages[i].offset), expected[i]);
    if (i + 1 < 3) {
      EXPECT_EQ(doc.text.substr(end, kPageSeparator.size()), kPageSeparator);
    }
  }
  EXPECT_EQ(doc.pages[0].offset, 0u);

  // The same bytes under another extension are still read as a PDF; without a title the stem.
  std::string renamed = dir.file("report.txt");
  write_file(renamed, bytes);
  EXPECT_EQ(load_file(renamed).mime, "application/pdf");
  EXPECT_EQ(load_bytes(make_pdf({{"x"}}, ""), "scan.pdf").title, "scan");
  // A page without text still gets its PageStart.
  Document blank = load_bytes(make_pdf({{"first"}, {}, {"third"}}, ""), "blank.pdf");
  ASSERT_EQ(blank.pages.size(), 3u);
  EXPECT_EQ(blank.text, "first\n\f\n\n\f\nthird");
  EXPECT_EQ(blank.pages[1].offset, 8u);
  EXPECT_EQ(blank.pages[2].offset, 11u);
}

TEST(LoadPdf, CorruptPdfIsReportedNamingTheFile) {
  TempDir dir;
  std::string path = dir.file("broken.pdf");
  write_file(path, "%PDF-1.4\nthis is not really a pdf\n%%EOF\n");
  expect_error([&] { load_file(path); }, ErrorCode::kCorruptData, path);
}

TEST(LoadFile, ChoosesLoaderByExtensionThenContent) {
  TempDir dir;
  auto load = [&](const std::string& name, const std::string& bytes) {
    std::string path = dir.file(name);
    write_file(path, bytes);
    return load_file(path);
  };
  EXPECT_EQ(load("a.md", "# T\n").mime, "text/markdown");
  EXPECT_EQ(load("a.MARKDOWN", "# T\n").mime, "text/markdown");
  EXPECT_EQ(load("a.HTM", "<p>x</p>").mime, "text/html");
  EXPECT_EQ(load("a.txt", "<html><p>x</p>").mime, "text/plain");  // the extension decides
  EXPECT_EQ(load("page.data", "\xEF\xBB\xBF  <!DOCTYPE html><p>x</p>").mime, "text/html");
  EXPECT_EQ(load("page2", "<HTML><body>x</body></HTML>").mime, "text/html");
  EXPECT_EQ(load("Makefile", "all:\n\techo hi\n").mime, "text/plain");
  expect_error([&] { load_bytes("x", "a.bin", "image/png"); }, ErrorCode::kUnsupported, "a.bin");
}

}  // namespace
}  // namespace llmkit::rag
