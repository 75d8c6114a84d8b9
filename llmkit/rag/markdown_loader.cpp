// Markdown: the text as is, headings found per CommonMark's ATX and setext rules (simplified:
// no container blocks such as block quotes or lists are interpreted).
#include <string_view>

#include "llmkit/rag/loader_internal.h"
#include "llmkit/rag/loaders.h"

namespace llmkit::rag {
namespace {

bool is_blank(std::string_view line) {
  return line.find_first_not_of(" \t\r") == std::string_view::npos;
}

std::string_view trim(std::string_view s) {
  size_t b = s.find_first_not_of(" \t\r");
  if (b == std::string_view::npos) return {};
  size_t e = s.find_last_not_of(" \t\r");
  return s.substr(b, e - b + 1);
}

// Leading spaces of line when at most 3 (a Markdown block may be indented that much), else -1.
int block_indent(std::string_view line) {
  int n = 0;
  while (n < static_cast<int>(line.size()) && line[n] == ' ') ++n;
  return n <= 3 ? n : -1;
}

// The fence characters ("```" or "~~~", possibly longer) opening a code block on this line, or "".
std::string_view fence_of(std::string_view line) {
  int indent = block_indent(line);
  if (indent < 0) return {};
  std::string_view rest = line.substr(indent);
  if (rest.empty() || (rest[0] != '`' && rest[0] != '~')) return {};
  size_t n = 0;
  while (n < rest.size() && rest[n] == rest[0]) ++n;
  return n >= 3 ? rest.substr(0, n) : std::string_view{};
}

// An ATX heading "## Title ##": its level and title, or level 0.
int atx_heading(std::string_view line, std::string* title) {
  int indent = block_indent(line);
  if (indent < 0) return 0;
  std::string_view rest = line.substr(indent);
  int level = 0;
  while (level < static_cast<int>(rest.size()) && rest[level] == '#') ++level;
  if (level < 1 || level > 6) return 0;
  rest.remove_prefix(level);
  if (!rest.empty() && rest[0] != ' ' && rest[0] != '\t' && rest[0] != '\r') return 0;
  std::string_view t = trim(rest);
  // A closing sequence of #s preceded by a space (or making up the whole title) is dropped.
  size_t hashes = t.find_last_not_of('#');
  if (hashes == std::string_view::npos) {
    t = {};
  } else if (hashes + 1 < t.size() && (t[hashes] == ' ' || t[hashes] == '\t')) {
    t = trim(t.substr(0, hashes));
  }
  *title = std::string(t);
  return level;
}

// A setext underline ("===" -> 1, "---" -> 2), or 0.
int setext_level(std::string_view line) {
  int indent = block_indent(line);
  if (indent < 0) return 0;
  std::string_view t = trim(line.substr(indent));
  if (t.empty() || (t[0] != '=' && t[0] != '-')) return 0;
  if (t.find_first_not_of(t[0]) != std::string_view::npos) return 0;
  return t[0] == '=' ? 1 : 2;
}

}  // namespace

std::vector<Heading> markdown_headings(std::string_view text) {
  std::vector<Heading> headings;
  std::string_view fence;                           // the open code fence, if any
  size_t paragraph_start = std::string_view::npos;  // offset of the open paragraph, if any
  std::string paragraph;                            // its lines, trimmed, joined by spaces
  for (size_t pos = 0; pos < text.size();) {
    size_t eol = text.find('\n', pos);
    size_t next = eol == std::string_view::npos ? text.size() : eol + 1;
    std::string_view line = text.substr(pos, next - pos);
    if (!line.empty() && line.back() == '\n') line.remove_suffix(1);
    size_t line_start = pos;
    pos = next;
    if (!fence.empty()) {
      std::string_view t = trim(line);
      if (t.size() >= fence.size() && t.substr(0, fence.size()) == fence &&
          t.find_first_not_of(fence[0]) == std::string_view::npos) {
        fence = {};
      }
      continue;
    }
    if (std::string_view f = fence_of(line); !f.empty()) {
      fence = f;
      paragraph_start = std::string_view::npos;
      continue;
    }
    std::string title;
    if (int level = atx_heading(line, &title); level > 0) {
      headings.push_back({line_start, level, title});
      paragraph_start = std::string_view::npos;
      continue;
    }
    if (is_blank(line)) {
      paragraph_start = std::string_view::npos;
      continue;
    }
    if (paragraph_start != std::string_view::npos) {
      if (int level = setext_level(line); level > 0) {
        headings.push_back({paragraph_start, level, paragraph});
        paragraph_start = std::string_view::npos;
        continue;
      }
      paragraph += ' ';
      paragraph += trim(line);
      continue;
    }
    // "---" under nothing is a thematic break; other lines open a paragraph.
    if (setext_level(line) == 2) continue;
    if (block_indent(line) >= 0) {
      paragraph_start = line_start;
      paragraph = std::string(trim(line));
    }
  }
  return headings;
}

namespace detail {

Document parse_markdown(std::string_view bytes, const std::string& source) {
  Document doc = parse_text(bytes, source);
  doc.mime = "text/markdown";
  doc.headings = markdown_headings(doc.text);
  for (const Heading& h : doc.headings) {
    if (h.level == 1 && !h.title.empty()) {
      doc.title = h.title;
      break;
    }
  }
  return doc;
}

}  // namespace detail

Document load_markdown(const std::string& path) {
  return detail::parse_markdown(read_file_bytes(path), path);
}

}  // namespace llmkit::rag
