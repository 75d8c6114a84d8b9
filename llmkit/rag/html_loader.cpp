// HTML: the visible text of the parsed document (gumbo, the HTML5 parsing algorithm), laid out
// roughly as a browser's "copy all text" would: whitespace runs collapse to one space outside
// <pre>, block elements start new lines (paragraph-like ones are separated by a blank line).
#include <gumbo.h>

#include <cstring>
#include <memory>
#include <string_view>
#include <vector>

#include "llmkit/base/error.h"
#include "llmkit/rag/loader_internal.h"
#include "llmkit/rag/loaders.h"

namespace llmkit::rag {
namespace {

bool in_list(const char* name, std::initializer_list<const char*> names) {
  for (const char* n : names) {
    if (std::strcmp(name, n) == 0) return true;
  }
  return false;
}

bool is_skipped(const char* tag) {
  return in_list(tag, {"head", "script", "style", "template", "noscript", "svg", "math", "iframe",
                       "object", "canvas", "select", "button"});
}

// Elements separated from their surroundings by a blank line.
bool is_paragraph_block(const char* tag) {
  return in_list(tag, {"p",       "h1",         "h2",       "h3",      "h4",     "h5",   "h6",
                       "pre",     "blockquote", "table",    "ul",      "ol",     "dl",   "section",
                       "article", "header",     "footer",   "nav",     "aside",  "main", "figure",
                       "hr",      "form",       "fieldset", "details", "address"});
}

// Elements that start and end a line.
bool is_line_block(const char* tag) {
  return in_list(tag, {"div", "li", "dt", "dd", "tr", "caption", "figcaption", "summary", "legend",
                       "body", "html", "option", "center"});
}

int heading_level(const char* tag) {
  if (tag[0] == 'h' && tag[1] >= '1' && tag[1] <= '6' && tag[2] == '\0') return tag[1] - '0';
  return 0;
}

bool is_space(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f';
}

// Collapses whitespace runs of s to single spaces and trims both ends.
std::string collapse(std::string_view s) {
  std::string out;
  bool space = false;
  for (char c : s) {
    if (is_space(c)) {
      space = !out.empty();
    } else {
      if (space) out += ' ';
      space = false;
      out += c;
    }
  }
  return out;
}

class TextBuilder {
 public:
  // Ordinary text; whitespace collapses unless preformatted.
  void text(std::string_view s, bool pre) {
    if (pre) {
      if (pending_space_ && !at_line_start()) out_ += ' ';
      pending_space_ = false;
      out_ += s;
      return;
    }
    for (char c : s) {
      if (is_space(c)) {
        pending_space_ = true;
        continue;
      }
      if (pending_space_ && !at_line_start()) out_ += ' ';
      pending_space_ = false;
      out_ += c;
    }
  }
  void space() { pending_space_ = true; }
  // Ends the current line and adds empty lines until `newlines` line breaks end the text.
  void line_break(int newlines) {
    pending_space_ = false;
    if (out_.empty()) return;
    while (!out_.empty() && (out_.back() == ' ' || out_.back() == '\t')) out_.pop_back();
    int have = 0;
    for (size_t i = out_.size(); i > 0 && out_[i - 1] == '\n'; --i) ++have;
    for (; have < newlines; ++have) out_ += '\n';
  }
  void hard_break() {
    pending_space_ = false;
    out_ += '\n';
  }
  size_t size() const { return out_.size(); }
  std::string_view view() const { return out_; }
  std::string take() {
    while (!out_.empty() && is_space(out_.back())) out_.pop_back();
    return std::move(out_);
  }

 private:
  bool at_line_start() const { return out_.empty() || out_.back() == '\n'; }
  std::string out_;
  bool pending_space_ = false;
};

// Text of a node's text descendants (for <title>).
std::string node_text(const GumboNode* node) {
  if (node->type == GUMBO_NODE_TEXT || node->type == GUMBO_NODE_CDATA ||
      node->type == GUMBO_NODE_WHITESPACE) {
    return node->v.text.text;
  }
  if (node->type != GUMBO_NODE_ELEMENT && node->type != GUMBO_NODE_DOCUMENT) return {};
  const GumboVector& children =
      node->type == GUMBO_NODE_DOCUMENT ? node->v.document.children : node->v.element.children;
  std::string out;
  for (unsigned i = 0; i < children.length; ++i) {
    out += node_text(static_cast<const GumboNode*>(children.data[i]));
  }
  return out;
}

// Depth-first search for the first element with this tag.
const GumboNode* find_element(const GumboNode* root, GumboTag tag) {
  std::vector<const GumboNode*> stack{root};
  while (!stack.empty()) {
    const GumboNode* node = stack.back();
    stack.pop_back();
    if (node->type == GUMBO_NODE_ELEMENT && node->v.element.tag == tag) return node;
    if (node->type != GUMBO_NODE_ELEMENT && node->type != GUMBO_NODE_DOCUMENT) continue;
    const GumboVector& children =
        node->type == GUMBO_NODE_DOCUMENT ? node->v.document.children : node->v.element.children;
    for (unsigned i = children.length; i > 0; --i) {
      stack.push_back(static_cast<const GumboNode*>(children.data[i - 1]));
    }
  }
  return nullptr;
}

struct Frame {
  const GumboNode* node;
  unsigned next_child = 0;
  size_t heading_start = 0;  // for h1..h6: where its text starts
};

// Walks the tree iteratively (deep documents cannot overflow the stack).
void extract(const GumboNode* root, TextBuilder& out, std::vector<Heading>& headings) {
  std::vector<Frame> stack;
  int pre_depth = 0;
  auto enter = [&](const GumboNode* node) {
    if (node->type == GUMBO_NODE_TEXT || node->type == GUMBO_NODE_CDATA ||
        node->type == GUMBO_NODE_WHITESPACE) {
      out.text(node->v.text.text, pre_depth > 0);
      return;
    }
    if (node->type != GUMBO_NODE_ELEMENT && node->type != GUMBO_NODE_TEMPLATE) return;
    const char* tag = gumbo_normalized_tagname(node->v.element.tag);
    if (node->type == GUMBO_NODE_TEMPLATE || is_skipped(tag)) return;
    if (gumbo_get_attribute(&node->v.element.attributes, "hidden") != nullptr) return;
    if (std::strcmp(tag, "br") == 0) {
      out.hard_break();
      return;
    }
    Frame frame{node};
    if (is_paragraph_block(tag)) {
      out.line_break(2);
    } else if (is_line_block(tag)) {
      out.line_break(1);
    } else if (in_list(tag, {"td", "th"})) {
      out.space();
    }
    if (heading_level(tag) > 0) frame.heading_start = out.size();
    if (std::strcmp(tag, "pre") == 0 || std::strcmp(tag, "textarea") == 0) ++pre_depth;
    stack.push_back(frame);
  };
  auto leave = [&](const Frame& frame) {
    const char* tag = gumbo_normalized_tagname(frame.node->v.element.tag);
    if (int level = heading_level(tag); level > 0) {
      std::string title = collapse(out.view().substr(frame.heading_start));
      if (!title.empty()) headings.push_back({frame.heading_start, level, title});
    }
    if (std::strcmp(tag, "pre") == 0 || std::strcmp(tag, "textarea") == 0) --pre_depth;
    if (is_paragraph_block(tag)) {
      out.line_break(2);
    } else if (is_line_block(tag)) {
      out.line_break(1);
    } else if (in_list(tag, {"td", "th"})) {
      out.space();
    }
  };
  const GumboVector& top = root->v.document.children;
  for (unsigned i = 0; i < top.length; ++i) {
    enter(static_cast<const GumboNode*>(top.data[i]));
    while (!stack.empty()) {
      Frame& frame = stack.back();
      const GumboVector& children = frame.node->v.element.children;
      if (frame.next_child < children.length) {
        enter(static_cast<const GumboNode*>(children.data[frame.next_child++]));
      } else {
        Frame done = frame;
        stack.pop_back();
        leave(done);
      }
    }
  }
}

}  // namespace

namespace detail {

Document parse_html(std::string_view bytes, const std::string& source) {
  Document doc = new_document(bytes, source, "text/html");
  std::string html = checked_utf8(bytes, source);
  std::unique_ptr<GumboOutput, void (*)(GumboOutput*)> output(
      gumbo_parse_with_options(&kGumboDefaultOptions, html.data(), html.size()),
      [](GumboOutput* o) { gumbo_destroy_output(&kGumboDefaultOptions, o); });
  LLMKIT_CHECK_CODE(output != nullptr, ErrorCode::kCorruptData, "cannot parse '", source,
                    "' as HTML");
  TextBuilder builder;
  extract(output->document, builder, doc.headings);
  doc.text = builder.take();
  // Headings whose text was trimmed away at the very end cannot occur (titles are non-empty),
  // but keep every offset inside the text.
  for (Heading& h : doc.headings) h.offset = std::min(h.offset, doc.text.size());
  // The <title> of <head> (an <svg> in the body may have <title> elements of its own).
  const GumboNode* head = find_element(output->document, GUMBO_TAG_HEAD);
  if (const GumboNode* title = head ? find_element(head, GUMBO_TAG_TITLE) : nullptr) {
    doc.title = collapse(node_text(title));
  }
  if (doc.title.empty()) {
    for (const Heading& h : doc.headings) {
      if (h.level == 1) {
        doc.title = h.title;
        break;
      }
    }
  }
  if (doc.title.empty()) doc.title = file_stem(source);
  return doc;
}

}  // namespace detail

Document load_html(const std::string& path) {
  return detail::parse_html(read_file_bytes(path), path);
}

}  // namespace llmkit::rag
