// Splitting documents into chunks for retrieval.
//
// Every chunk is a byte range of its document's text: chunk.text == doc.text.substr(chunk.begin,
// chunk.end - chunk.begin), ranges never cut a UTF-8 character, chunks come in ascending order of
// begin and are trimmed of leading/trailing ASCII whitespace (whitespace-only pieces make no
// chunk). Metadata (make_chunk): the document's metadata plus "source", "title", "page" (the
// page holding `begin`, paged documents only) and "headings" (titles of the headings enclosing
// `begin`, outermost first).
//
// TextSplitter is recursive: a range longer than chunk_size is cut at the first separator of the
// list that occurs in it (the separator stays at the end of the piece before it), pieces still
// too long are cut with the following separators, "" cuts between characters. The pieces are
// then merged greedily, in order: a chunk takes the following pieces as long as the chunk
// (trimmed) is at most chunk_size long; the next chunk starts with the last pieces of the previous
// one whose lengths sum to at most `overlap` (fewer when the next piece would not fit), so with
// byte lengths consecutive chunks share at most `overlap` bytes. A chunk exceeds chunk_size only
// when a single piece does (a separator list without "" and a range that has none of its
// separators, or one character longer than chunk_size).
//
// Lengths are bytes, or with a tokenizer the number of tokens tokenizer->encode(text) gives
// (token-aware splitting). The token count of each chunk is measured on the chunk's own text, so
// chunk_size holds exactly even though tokens of adjacent pieces can merge; the overlap is
// counted in the pieces' own token counts. Cost: O(log(pieces per chunk)) encodes of at most
// twice a chunk's text per chunk, plus one encode of the whole text per recursion level.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "llmkit/rag/document.h"
#include "llmkit/tokenizer/tokenizer.h"

namespace llmkit::rag {

struct SplitOptions {
  std::size_t chunk_size = 1000;  // in units of the length function, > 0
  std::size_t overlap = 200;      // in the same units, < chunk_size
  std::vector<std::string> separators = {"\n\n", "\n", ". ", " ", ""};
};

// A chunk of doc covering [begin, end) with the metadata described above.
Chunk make_chunk(const Document& doc, std::size_t begin, std::size_t end, int index);

class TextSplitter {
 public:
  // tokenizer: when given, lengths count its tokens; it must outlive the splitter. Throws
  // Error(kInvalidArgument) when chunk_size is 0 or overlap >= chunk_size.
  explicit TextSplitter(SplitOptions options = {}, const tokenizer::Tokenizer* tokenizer = nullptr);

  std::vector<Chunk> split(const Document& doc) const;

  // The chunk ranges [begin, end) of doc.text[begin, end), split as above (building block for
  // the other splitters).
  std::vector<std::pair<std::size_t, std::size_t>> split_range(std::string_view text,
                                                               std::size_t begin,
                                                               std::size_t end) const;

  // The length of text in the splitter's units.
  std::size_t length(std::string_view text) const;

  const SplitOptions& options() const { return options_; }

 private:
  struct Piece {
    std::size_t begin, end, length;
  };
  void cut(std::string_view text, std::size_t begin, std::size_t end, std::size_t level,
           std::vector<Piece>& pieces) const;

  SplitOptions options_;
  const tokenizer::Tokenizer* tokenizer_;
};

// Splits at the document's headings first (Document::headings; for text/markdown documents
// without any, markdown_headings(text)): each section runs from a heading of level <=
// max_heading_level to the next one, and is split by a TextSplitter on its own (chunks never
// cross a section boundary; text before the first heading is a section too). A chunk's
// "headings" metadata is the path of headings enclosing its start.
class MarkdownHeaderSplitter {
 public:
  explicit MarkdownHeaderSplitter(SplitOptions options = {},
                                  const tokenizer::Tokenizer* tokenizer = nullptr,
                                  int max_heading_level = 6);

  std::vector<Chunk> split(const Document& doc) const;

 private:
  TextSplitter splitter_;
  int max_heading_level_;
};

// Parent-document retrieval: large parent chunks, each cut again into small child chunks that lie
// inside it (parent.begin <= child.begin, child.end <= parent.end).
struct ParentChildChunks {
  std::vector<Chunk> parents;          // index 0..; as TextSplitter(parent).split(doc)
  std::vector<Chunk> children;         // index 0.. across the whole document
  std::vector<std::size_t> parent_of;  // parent_of[i]: index into parents of children[i]
};

ParentChildChunks split_parents(const Document& doc, const SplitOptions& parent,
                                const SplitOptions& child,
                                const tokenizer::Tokenizer* tokenizer = nullptr);

}  // namespace llmkit::rag
