#include "llmkit/rag/fts_query.h"

#include <set>

namespace llmkit::rag {

namespace {
// English function words: in nearly every chunk, so their BM25 weight is ~0, but an OR over
// their posting lists costs most of a query's time.
const std::set<std::string>& stop_words() {
  static const std::set<std::string> words = {"a",  "an",  "and", "as",   "at",   "be",
                                              "by", "in",  "is",  "it",   "of",   "on",
                                              "or", "the", "to",  "that", "this", "what"};
  return words;
}

bool word_byte(unsigned char ch) {
  return (ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
         ch >= 0x80;
}
}  // namespace

std::string fts5_match_query(std::string_view text, size_t max_terms) {
  std::string out = fts5_match_query(text, max_terms, true);
  return out.empty() ? fts5_match_query(text, max_terms, false) : out;
}

std::string fts5_match_query(std::string_view text, size_t max_terms, bool drop_stop_words) {
  std::string out;
  std::set<std::string> seen;
  size_t i = 0;
  while (i < text.size() && seen.size() < max_terms) {
    while (i < text.size() && !word_byte(static_cast<unsigned char>(text[i]))) ++i;
    size_t start = i;
    while (i < text.size() && word_byte(static_cast<unsigned char>(text[i]))) ++i;
    if (start == i) break;
    std::string word(text.substr(start, i - start));
    std::string key = word;
    for (char& ch : key) {
      if (ch >= 'A' && ch <= 'Z') ch = static_cast<char>(ch - 'A' + 'a');
    }
    if (drop_stop_words && stop_words().count(key)) continue;
    if (!seen.insert(key).second) continue;
    // Words hold no '"' (the only character a quoted FTS5 string must escape).
    if (!out.empty()) out += " OR ";
    out += "\"" + word + "\"";
  }
  return out;
}

}  // namespace llmkit::rag
