// Helpers for the loader and splitter tests: a temporary folder, file writing, and a minimal
// PDF 1.4 writer (one Helvetica text object per page, a correct xref table, an Info dictionary),
// written from the PDF 1.4 reference so that poppler reads a file made independently of it.
#pragma once

#include "tests/support/temp_dir.h"

#include <stdlib.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>
#include <vector>

namespace llmkit::rag::testing {

using llmkit::testing::TempDir;

inline void write_file(const std::string& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary);
  out << bytes;
  if (!out) throw std::runtime_error("cannot write " + path);
}

inline std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

// A PDF string literal: backslash, parentheses escaped.
inline std::string pdf_string(const std::string& s) {
  std::string out = "(";
  for (char c : s) {
    if (c == '(' || c == ')' || c == '\\') out += '\\';
    out += c;
  }
  return out + ")";
}

// A PDF whose page i shows pages[i] (lines in ASCII, top to bottom, 12 pt Helvetica, 16 pt
// apart) and whose Info /Title is title (omitted when empty).
inline std::string make_pdf(const std::vector<std::vector<std::string>>& pages,
                            const std::string& title) {
  // Objects: 1 catalog, 2 pages tree, 3 font, 4 info, then per page: page object, content stream.
  std::vector<std::string> objects;
  std::string kids;
  for (size_t i = 0; i < pages.size(); ++i) kids += std::to_string(5 + 2 * i) + " 0 R ";
  objects.push_back("<< /Type /Catalog /Pages 2 0 R >>");
  objects.push_back("<< /Type /Pages /Kids [" + kids + "] /Count " + std::to_string(pages.size()) +
                    " >>");
  objects.push_back("<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>");
  objects.push_back("<< /Title " + pdf_string(title) + " /Producer (llmkit test) >>");
  for (size_t i = 0; i < pages.size(); ++i) {
    std::string content = "BT\n/F1 12 Tf\n72 720 Td\n16 TL\n";
    for (size_t l = 0; l < pages[i].size(); ++l) {
      content += (l == 0 ? "" : "T*\n") + pdf_string(pages[i][l]) + " Tj\n";
    }
    content += "ET\n";
    objects.push_back(
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 3 0 R "
        ">> >> /Contents " +
        std::to_string(6 + 2 * i) + " 0 R >>");
    objects.push_back("<< /Length " + std::to_string(content.size()) + " >>\nstream\n" + content +
                      "endstream");
  }
  std::string pdf = "%PDF-1.4\n%\xE2\xE3\xCF\xD3\n";
  std::vector<size_t> offsets;
  for (size_t i = 0; i < objects.size(); ++i) {
    offsets.push_back(pdf.size());
    pdf += std::to_string(i + 1) + " 0 obj\n" + objects[i] + "\nendobj\n";
  }
  size_t xref = pdf.size();
  pdf += "xref\n0 " + std::to_string(objects.size() + 1) + "\n0000000000 65535 f \n";
  for (size_t off : offsets) {
    char entry[32];
    std::snprintf(entry, sizeof(entry), "%010zu 00000 n \n", off);
    pdf += entry;  // each entry is exactly 20 bytes
  }
  pdf += "trailer\n<< /Size " + std::to_string(objects.size() + 1) + " /Root 1 0 R";
  if (!title.empty()) pdf += " /Info 4 0 R";
  pdf += " >>\nstartxref\n" + std::to_string(xref) + "\n%%EOF\n";
  return pdf;
}

}  // namespace llmkit::rag::testing
