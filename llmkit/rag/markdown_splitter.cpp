// MarkdownHeaderSplitter and split_parents: splitting within sections / parent chunks.
#include "llmkit/base/error.h"
#include "llmkit/rag/loaders.h"
#include "llmkit/rag/text_splitter.h"

namespace llmkit::rag {

MarkdownHeaderSplitter::MarkdownHeaderSplitter(SplitOptions options,
                                               const tokenizer::Tokenizer* tokenizer,
                                               int max_heading_level)
    : splitter_(std::move(options), tokenizer), max_heading_level_(max_heading_level) {
  LLMKIT_CHECK(max_heading_level >= 1 && max_heading_level <= 6,
               "max_heading_level must be in "
               "1..6, got ",
               max_heading_level);
}

std::vector<Chunk> MarkdownHeaderSplitter::split(const Document& doc) const {
  const std::vector<Heading>* headings = &doc.headings;
  std::vector<Heading> parsed;
  if (headings->empty() && doc.mime == "text/markdown") {
    parsed = markdown_headings(doc.text);
    headings = &parsed;
  }
  // Section starts: 0 and every heading of a level that splits.
  std::vector<std::size_t> starts{0};
  for (const Heading& h : *headings) {
    if (h.level <= max_heading_level_ && h.offset > starts.back() && h.offset < doc.text.size()) {
      starts.push_back(h.offset);
    }
  }
  starts.push_back(doc.text.size());
  // make_chunk reads the heading path from the document; give it the parsed headings.
  const Document* source = &doc;
  Document with_headings;
  if (!parsed.empty()) {
    with_headings = doc;
    with_headings.headings = parsed;
    source = &with_headings;
  }
  std::vector<Chunk> chunks;
  for (std::size_t s = 0; s + 1 < starts.size(); ++s) {
    for (auto [b, e] : splitter_.split_range(doc.text, starts[s], starts[s + 1])) {
      chunks.push_back(make_chunk(*source, b, e, static_cast<int>(chunks.size())));
    }
  }
  return chunks;
}

ParentChildChunks split_parents(const Document& doc, const SplitOptions& parent,
                                const SplitOptions& child, const tokenizer::Tokenizer* tokenizer) {
  ParentChildChunks out;
  out.parents = TextSplitter(parent, tokenizer).split(doc);
  TextSplitter child_splitter(child, tokenizer);
  for (std::size_t p = 0; p < out.parents.size(); ++p) {
    const Chunk& par = out.parents[p];
    for (auto [b, e] : child_splitter.split_range(doc.text, par.begin, par.end)) {
      out.children.push_back(make_chunk(doc, b, e, static_cast<int>(out.children.size())));
      out.parent_of.push_back(p);
    }
  }
  return out;
}

}  // namespace llmkit::rag
