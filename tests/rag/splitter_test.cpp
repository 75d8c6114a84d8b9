// Splitters: the byte-range invariants on random texts, overlap bounds, hand-worked examples,
// token-aware splitting with a trained SentencePiece tokenizer, heading sections and
// parent/child chunks.
#include <gtest/gtest.h>

#include <random>

#include "llmkit/base/error.h"
#include "llmkit/rag/loaders.h"
#include "llmkit/rag/text_splitter.h"
#include "tests/tokenizer/tokenizer_test_util.h"

namespace llmkit::rag {
namespace {

bool is_space(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f';
}
bool is_continuation(char c) {
  return (static_cast<unsigned char>(c) & 0xC0) == 0x80;
}

Document make_doc(std::string text) {
  Document doc;
  doc.source = "mem.txt";
  doc.title = "Mem";
  doc.mime = "text/plain";
  doc.text = std::move(text);
  return doc;
}

std::vector<std::string> texts(const std::vector<Chunk>& chunks) {
  std::vector<std::string> out;
  for (const Chunk& c : chunks) out.push_back(c.text);
  return out;
}

// Random text: words (some multi-byte, some very long) joined by assorted separators.
std::string random_text(std::mt19937& rng, int words) {
  static const char* kWords[] = {"the",   "budget", "Zürich", "日本語", "a",      "peace",
                                 "naïve", "x",      "nation", "é",      "🙂ok", "congress"};
  static const char* kSeps[] = {" ", " ", " ", " ", "\n", "\n\n", ". ", "  ", "\t", " \n "};
  std::string out;
  for (int i = 0; i < words; ++i) {
    if (rng() % 40 == 0) {
      out += std::string(20 + rng() % 60, 'z');  // a word longer than small chunks
    } else {
      out += kWords[rng() % 12];
    }
    out += kSeps[rng() % 10];
  }
  return out;
}

// The invariants every splitter output must satisfy; `max_length` bounds each chunk's length
// as measured by `length`.
template <typename Length>
void check_chunks(const Document& doc, const std::vector<Chunk>& chunks, size_t max_length,
                  size_t overlap, Length length) {
  std::vector<bool> covered(doc.text.size(), false);
  for (size_t i = 0; i < chunks.size(); ++i) {
    const Chunk& c = chunks[i];
    ASSERT_LT(c.begin, c.end);
    ASSERT_LE(c.end, doc.text.size());
    EXPECT_EQ(c.text, doc.text.substr(c.begin, c.end - c.begin));
    EXPECT_EQ(c.index, static_cast<int>(i));
    EXPECT_EQ(c.source, doc.source);
    EXPECT_FALSE(is_space(c.text.front()) || is_space(c.text.back())) << "untrimmed: " << c.text;
    EXPECT_FALSE(is_continuation(doc.text[c.begin])) << "begin cuts a character";
    if (c.end < doc.text.size()) {
      EXPECT_FALSE(is_continuation(doc.text[c.end])) << "end cuts a character";
    }
    EXPECT_LE(length(c.text), max_length) << c.text;
    if (i > 0) {
      EXPECT_GE(c.begin, chunks[i - 1].begin);
      EXPECT_GT(c.end, chunks[i - 1].end);
      size_t shared = chunks[i - 1].end > c.begin ? chunks[i - 1].end - c.begin : 0;
      EXPECT_LE(shared, overlap);
    }
    for (size_t k = c.begin; k < c.end; ++k) covered[k] = true;
  }
  for (size_t k = 0; k < doc.text.size(); ++k) {
    if (!is_space(doc.text[k])) {
      ASSERT_TRUE(covered[k]) << "byte " << k << " is in no chunk";
    }
  }
}

TEST(TextSplitter, RandomTextsKeepOffsetsSizesAndCoverage) {
  std::mt19937 rng(12345);
  auto bytes = [](const std::string& s) { return s.size(); };
  for (int trial = 0; trial < 60; ++trial) {
    Document doc = make_doc(random_text(rng, 20 + rng() % 400));
    SplitOptions o;
    o.chunk_size = 4 + rng() % 300;
    o.overlap = rng() % 3 == 0 ? 0 : rng() % o.chunk_size;
    SCOPED_TRACE(::testing::Message()
                 << "trial " << trial << " size " << o.chunk_size << " overlap " << o.overlap);
    check_chunks(doc, TextSplitter(o).split(doc), o.chunk_size, o.overlap, bytes);
  }
}

TEST(TextSplitter, HandWorkedExamples) {
  auto split = [](const std::string& text, size_t size, size_t overlap) {
    SplitOptions o;
    o.chunk_size = size;
    o.overlap = overlap;
    return texts(TextSplitter(o).split(make_doc(text)));
  };
  using V = std::vector<std::string>;
  EXPECT_EQ(split("aaaa bbbb cccc dddd", 9, 0), (V{"aaaa bbbb", "cccc dddd"}));
  EXPECT_EQ(split("aaaa bbbb cccc dddd", 9, 5), (V{"aaaa bbbb", "bbbb cccc", "cccc dddd"}));
  EXPECT_EQ(split("aaaa bbbb cccc dddd", 100, 5), (V{"aaaa bbbb cccc dddd"}));
  // Paragraphs first, then sentences: the first paragraph is too long, its sentences are not.
  EXPECT_EQ(split("P1 s1. P1 s2.\n\nP2 text", 14, 0), (V{"P1 s1. P1 s2.", "P2 text"}));
  // No separator left: cut between characters, never inside one.
  EXPECT_EQ(split("abcdefghij", 4, 0), (V{"abcd", "efgh", "ij"}));
  EXPECT_EQ(split("éééé", 3, 0), (V{"é", "é", "é", "é"}));
  EXPECT_EQ(split("  \n\n \t ", 3, 0), V{});
  // Without "" among the separators an unbreakable run stays whole (longer than chunk_size).
  SplitOptions words;
  words.chunk_size = 5;
  words.overlap = 0;
  words.separators = {" "};
  EXPECT_EQ(texts(TextSplitter(words).split(make_doc("ab abcdefgh cd"))),
            (V{"ab", "abcdefgh", "cd"}));
}

TEST(TextSplitter, OverlapRepeatsWholeTrailingWords) {
  std::string text;
  for (int i = 0; i < 200; ++i) text += "w" + std::to_string(i) + " ";
  Document doc = make_doc(text);
  SplitOptions o;
  o.chunk_size = 50;
  o.overlap = 20;
  std::vector<Chunk> chunks = TextSplitter(o).split(doc);
  ASSERT_GT(chunks.size(), 10u);
  for (size_t i = 1; i < chunks.size(); ++i) {
    ASSERT_LT(chunks[i].begin, chunks[i - 1].end) << "chunk " << i << " does not overlap";
    std::string shared = doc.text.substr(chunks[i].begin, chunks[i - 1].end - chunks[i].begin);
    EXPECT_LE(shared.size(), 20u);
    EXPECT_GE(shared.size(), 20u - 5u);  // room for all but at most one word of <= 5 bytes
    EXPECT_EQ(doc.text[chunks[i].begin - 1], ' ') << "overlap starts inside a word";
  }
}

TEST(TextSplitter, RejectsBadOptions) {
  SplitOptions o;
  o.chunk_size = 0;
  EXPECT_THROW(TextSplitter{o}, Error);
  o.chunk_size = 10;
  o.overlap = 10;
  EXPECT_THROW(TextSplitter{o}, Error);
}

TEST(TextSplitter, TokenAwareChunksFitInTokens) {
  using tokenizer::testing::make_corpus;
  const auto& model = tokenizer::testing::trained_model(tokenizer::TokenizerModelType::kBpe);
  const tokenizer::Tokenizer& tok = model.tok;
  auto tokens = [&](const std::string& s) { return tok.encode(s).size(); };
  for (size_t size : {16u, 40u, 120u}) {
    Document doc = make_doc(make_corpus(80, 3 + size));
    SplitOptions o;
    o.chunk_size = size;
    o.overlap = size / 4;
    std::vector<Chunk> chunks = TextSplitter(o, &tok).split(doc);
    SCOPED_TRACE(::testing::Message() << "chunk_size " << size);
    // Token lengths are checked with the tokenizer directly; the byte overlap bound does not
    // apply to token units, so only that consecutive chunks do not go backwards is checked.
    check_chunks(doc, chunks, size, doc.text.size(), tokens);
    size_t total = 0;
    for (size_t i = 0; i + 1 < chunks.size(); ++i) total += tokens(chunks[i].text);
    ASSERT_GT(chunks.size(), 2u);
    EXPECT_GE(total, (chunks.size() - 1) * size / 2) << "chunks are mostly under-filled";
    // The same text split by bytes gives different (byte-bounded) chunks.
    EXPECT_NE(texts(chunks), texts(TextSplitter(o).split(doc)));
  }
}

TEST(ChunkMetadata, CarriesSourceTitlePageHeadingsAndDocumentMetadata) {
  Document doc = make_doc("page one text\n\fpage two text\n\fpage three");
  doc.pages = {{0, 1}, {15, 2}, {30, 3}};
  doc.headings = {{0, 1, "Top"}, {15, 2, "Second"}, {30, 2, "Third"}};
  doc.metadata = {{"author", "me"}, {"year", 2024}};
  Chunk c = make_chunk(doc, 20, 28, 7);
  EXPECT_EQ(c.text, doc.text.substr(20, 8));
  EXPECT_EQ(c.index, 7);
  EXPECT_EQ(c.metadata["source"], "mem.txt");
  EXPECT_EQ(c.metadata["title"], "Mem");
  EXPECT_EQ(c.metadata["page"], 2);
  EXPECT_EQ(c.metadata["headings"], nlohmann::json({"Top", "Second"}));
  EXPECT_EQ(c.metadata["author"], "me");
  EXPECT_EQ(c.metadata["year"], 2024);
  EXPECT_EQ(make_chunk(doc, 30, 31, 0).metadata["headings"], nlohmann::json({"Top", "Third"}));
  EXPECT_EQ(make_chunk(doc, 30, 31, 0).metadata["page"], 3);
  EXPECT_FALSE(make_chunk(make_doc("abc"), 0, 1, 0).metadata.contains("page"));
  EXPECT_THROW(make_chunk(doc, 5, 1000, 0), Error);
}

const char* kMarkdown =
    "Preamble text.\n\n"
    "# Title\nIntro para.\n\n"
    "## Part A\nA text here.\n\n"
    "### Detail\nd text\n\n"
    "## Part B\nB text\n";

TEST(MarkdownHeaderSplitter, OneChunkPerSectionWithHeadingPaths) {
  Document doc = load_bytes(kMarkdown, "guide.md");
  std::vector<Chunk> chunks = MarkdownHeaderSplitter().split(doc);
  using V = std::vector<std::string>;
  EXPECT_EQ(texts(chunks), (V{"Preamble text.", "# Title\nIntro para.", "## Part A\nA text here.",
                              "### Detail\nd text", "## Part B\nB text"}));
  std::vector<nlohmann::json> paths = {nlohmann::json::array(),
                                       {"Title"},
                                       {"Title", "Part A"},
                                       {"Title", "Part A", "Detail"},
                                       {"Title", "Part B"}};
  ASSERT_EQ(chunks.size(), paths.size());
  for (size_t i = 0; i < chunks.size(); ++i) {
    EXPECT_EQ(chunks[i].metadata["headings"], paths[i]) << i;
    EXPECT_EQ(chunks[i].metadata["title"], "Title");
  }
  // Level-3 headings do not split with max_heading_level 2.
  std::vector<Chunk> coarse = MarkdownHeaderSplitter({}, nullptr, 2).split(doc);
  EXPECT_EQ(texts(coarse)[2], "## Part A\nA text here.\n\n### Detail\nd text");
  // A markdown document without parsed headings gets them from its text.
  Document bare = make_doc(kMarkdown);
  bare.mime = "text/markdown";
  EXPECT_EQ(texts(MarkdownHeaderSplitter().split(bare)), texts(chunks));
}

TEST(MarkdownHeaderSplitter, SmallChunksNeverCrossSections) {
  std::mt19937 rng(7);
  std::string text;
  for (int s = 0; s < 12; ++s) {
    text += std::string(1 + rng() % 3, '#') + " Section " + std::to_string(s) + "\n";
    text += random_text(rng, 10 + rng() % 80) + "\n";
  }
  Document doc = load_bytes(text, "r.md");
  ASSERT_EQ(doc.headings.size(), 12u);
  SplitOptions o;
  o.chunk_size = 60;
  o.overlap = 15;
  std::vector<Chunk> chunks = MarkdownHeaderSplitter(o).split(doc);
  check_chunks(doc, chunks, 60, 15, [](const std::string& s) { return s.size(); });
  for (const Chunk& c : chunks) {
    for (const Heading& h : doc.headings) {
      EXPECT_FALSE(h.offset > c.begin && h.offset < c.end) << "chunk crosses " << h.title;
    }
  }
}

TEST(SplitParents, ChildrenLieInsideTheirParents) {
  std::mt19937 rng(99);
  Document doc = make_doc(random_text(rng, 600));
  SplitOptions parent, child;
  parent.chunk_size = 400;
  parent.overlap = 0;
  child.chunk_size = 80;
  child.overlap = 20;
  ParentChildChunks split = split_parents(doc, parent, child);
  ASSERT_GT(split.parents.size(), 3u);
  ASSERT_EQ(split.children.size(), split.parent_of.size());
  EXPECT_EQ(texts(split.parents), texts(TextSplitter(parent).split(doc)));
  auto bytes = [](const std::string& s) { return s.size(); };
  for (size_t p = 0; p < split.parents.size(); ++p) {
    const Chunk& par = split.parents[p];
    std::vector<Chunk> kids;
    for (size_t i = 0; i < split.children.size(); ++i) {
      const Chunk& c = split.children[i];
      EXPECT_EQ(c.index, static_cast<int>(i));
      if (split.parent_of[i] != p) continue;
      EXPECT_LE(par.begin, c.begin);
      EXPECT_LE(c.end, par.end);
      kids.push_back(c);
    }
    // The children of a parent cover it like a split of the parent's own text would.
    Document sub = make_doc(par.text);
    std::vector<Chunk> shifted;
    for (Chunk c : kids) {
      c.begin -= par.begin;
      c.end -= par.begin;
      c.index = static_cast<int>(shifted.size());
      c.source = sub.source;
      shifted.push_back(c);
    }
    check_chunks(sub, shifted, child.chunk_size, child.overlap, bytes);
  }
}

}  // namespace
}  // namespace llmkit::rag
