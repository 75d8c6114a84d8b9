#include "llmkit/rag/text_splitter.h"

#include <algorithm>

#include "llmkit/base/error.h"

namespace llmkit::rag {
namespace {

bool is_ascii_space(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

// Byte length of the UTF-8 character starting at text[i] (1 for a stray byte), clipped to end.
std::size_t char_length(std::string_view text, std::size_t i, std::size_t end) {
  auto c = static_cast<unsigned char>(text[i]);
  std::size_t n = c < 0xC0 ? 1 : c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4;
  std::size_t k = 1;
  while (k < n && i + k < end && (static_cast<unsigned char>(text[i + k]) & 0xC0) == 0x80) ++k;
  return k;
}

}  // namespace

Chunk make_chunk(const Document& doc, std::size_t begin, std::size_t end, int index) {
  LLMKIT_CHECK(begin <= end && end <= doc.text.size(), "chunk range [", begin, ", ", end,
               ") is outside the text of '", doc.source, "' (", doc.text.size(), " bytes)");
  Chunk chunk;
  chunk.source = doc.source;
  chunk.begin = begin;
  chunk.end = end;
  chunk.text = doc.text.substr(begin, end - begin);
  chunk.index = index;
  chunk.metadata = doc.metadata.is_object() ? doc.metadata : nlohmann::json::object();
  chunk.metadata["source"] = doc.source;
  chunk.metadata["title"] = doc.title;
  if (!doc.pages.empty()) {
    int page = doc.pages.front().page;
    for (const PageStart& p : doc.pages) {
      if (p.offset > begin) break;
      page = p.page;
    }
    chunk.metadata["page"] = page;
  }
  std::vector<const Heading*> path;
  for (const Heading& h : doc.headings) {
    if (h.offset > begin) break;
    while (!path.empty() && path.back()->level >= h.level) path.pop_back();
    path.push_back(&h);
  }
  nlohmann::json headings = nlohmann::json::array();
  for (const Heading* h : path) headings.push_back(h->title);
  chunk.metadata["headings"] = std::move(headings);
  return chunk;
}

TextSplitter::TextSplitter(SplitOptions options, const tokenizer::Tokenizer* tokenizer)
    : options_(std::move(options)), tokenizer_(tokenizer) {
  LLMKIT_CHECK(options_.chunk_size > 0, "split options: chunk_size must be positive");
  LLMKIT_CHECK(options_.overlap < options_.chunk_size, "split options: overlap (", options_.overlap,
               ") must be smaller than chunk_size (", options_.chunk_size, ")");
}

std::size_t TextSplitter::length(std::string_view text) const {
  return tokenizer_ ? tokenizer_->encode(text).size() : text.size();
}

void TextSplitter::cut(std::string_view text, std::size_t begin, std::size_t end, std::size_t level,
                       std::vector<Piece>& pieces) const {
  std::size_t len = length(text.substr(begin, end - begin));
  if (len <= options_.chunk_size) {
    pieces.push_back({begin, end, len});
    return;
  }
  for (; level < options_.separators.size(); ++level) {
    const std::string& sep = options_.separators[level];
    if (sep.empty()) {  // between characters
      for (std::size_t i = begin; i < end;) {
        std::size_t n = char_length(text, i, end);
        pieces.push_back({i, i + n, length(text.substr(i, n))});
        i += n;
      }
      return;
    }
    std::string_view range = text.substr(begin, end - begin);
    if (range.find(sep) == std::string_view::npos) continue;
    std::size_t start = 0;
    while (start < range.size()) {
      std::size_t at = range.find(sep, start);
      std::size_t stop = at == std::string_view::npos ? range.size() : at + sep.size();
      cut(text, begin + start, begin + stop, level + 1, pieces);
      start = stop;
    }
    return;
  }
  pieces.push_back({begin, end, len});  // no separator applies: one oversized piece
}

std::vector<std::pair<std::size_t, std::size_t>> TextSplitter::split_range(std::string_view text,
                                                                           std::size_t begin,
                                                                           std::size_t end) const {
  std::vector<std::pair<std::size_t, std::size_t>> out;
  if (begin >= end) return out;
  std::vector<Piece> pieces;
  cut(text, begin, end, 0, pieces);
  const std::size_t n = pieces.size();
  const std::size_t size = options_.chunk_size;
  // [b, e) without leading and trailing whitespace.
  auto trim = [&](std::size_t& b, std::size_t& e) {
    while (b < e && is_ascii_space(text[b])) ++b;
    while (e > b && is_ascii_space(text[e - 1])) --e;
  };
  // Whether the trimmed range [b, e) is at most chunk_size long.
  auto fits = [&](std::size_t b, std::size_t e) {
    trim(b, e);
    return length(text.substr(b, e - b)) <= size;
  };
  for (std::size_t i = 0; i < n;) {
    // Pieces i .. j-1 make the chunk: as many as fit. Every accepted j was measured to fit;
    // the largest is bracketed (good fits, bad does not; n + 1: no upper bound yet) and found by
    // galloping then bisection. Token counts of a growing prefix grow, so the search is exact in
    // practice. With a tokenizer the sum of the pieces' token counts gives a first guess, which
    // is usually right or off by a piece (tokens merge across pieces), costing 2-3 encodes.
    std::size_t good = i + 1, bad = n + 1;
    auto fits_up_to = [&](std::size_t j) { return fits(pieces[i].begin, pieces[j - 1].end); };
    if (tokenizer_) {
      std::size_t j = i + 1, total = pieces[i].length;
      while (j < n && total + pieces[j].length <= size) total += pieces[j++].length;
      if (j > good) (fits_up_to(j) ? good : bad) = j;
    }
    if (bad > n) {  // gallop up
      for (std::size_t step = 1; good < n; step *= 2) {
        std::size_t candidate = std::min(good + step, n);
        if (!fits_up_to(candidate)) {
          bad = candidate;
          break;
        }
        good = candidate;
      }
    } else {  // gallop down from the failed guess
      for (std::size_t step = 1; bad - good > step; step *= 2) {
        std::size_t candidate = bad - step;
        if (fits_up_to(candidate)) {
          good = candidate;
          break;
        }
        bad = candidate;
      }
    }
    while (bad <= n && bad - good > 1) {
      std::size_t mid = good + (bad - good) / 2;
      (fits_up_to(mid) ? good : bad) = mid;
    }
    std::size_t j = good;
    std::size_t b = pieces[i].begin, e = pieces[j - 1].end;
    trim(b, e);
    // Skip whitespace-only chunks and ones inside the previous chunk (an overlap followed by a
    // whitespace piece).
    if (b < e && (out.empty() || e > out.back().second)) out.emplace_back(b, e);
    if (j >= n) break;
    // The next chunk starts with the last pieces of this one that fit in the overlap and leave
    // room for piece j.
    std::size_t k = j, shared = 0;
    while (k - 1 > i && shared + pieces[k - 1].length <= options_.overlap) {
      shared += pieces[--k].length;
    }
    while (k < j && !fits(pieces[k].begin, pieces[j].end)) ++k;
    i = k;
  }
  return out;
}

std::vector<Chunk> TextSplitter::split(const Document& doc) const {
  std::vector<Chunk> chunks;
  for (auto [b, e] : split_range(doc.text, 0, doc.text.size())) {
    chunks.push_back(make_chunk(doc, b, e, static_cast<int>(chunks.size())));
  }
  return chunks;
}

}  // namespace llmkit::rag
