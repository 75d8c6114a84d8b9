// Turns free text into an FTS5 MATCH expression that can never be a syntax error: the text is
// cut into words (maximal runs of ASCII letters/digits or of bytes >= 0x80), each word becomes a
// quoted string, the words are joined with OR (BM25 then ranks by how many and how rare).
#pragma once

#include <string>
#include <string_view>

namespace llmkit::rag {

// "" when the text has no word (the caller returns no hits). Duplicate words (case-insensitive
// for ASCII) are kept once; at most max_terms words. Common English function words ("the",
// "of", "what", ...) are left out unless the text has no other word.
std::string fts5_match_query(std::string_view text, size_t max_terms = 64);
// The same with the function words kept (drop_stop_words false) or always left out (true).
std::string fts5_match_query(std::string_view text, size_t max_terms, bool drop_stop_words);

}  // namespace llmkit::rag
