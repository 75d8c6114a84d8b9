// Answer metrics of SQuAD (v1.1 evaluation script): both texts are normalised, then compared
// whole (exact match) or as bags of words (F1).
//
// Normalisation, in this order: ASCII lower case; delete ASCII punctuation characters
// (string.punctuation: !"#$%&'()*+,-./:;<=>?@[\]^_`{|}~, deleted, not replaced by a space, so
// "1,000" -> "1000"); remove the words a, an, the; collapse whitespace to single spaces and trim.
#pragma once

#include <string>

namespace llmkit::rag {

std::string normalize_answer(const std::string& text);

// 1.0 when the normalised texts are equal, else 0.0.
double exact_match(const std::string& prediction, const std::string& gold);

// Harmonic mean of the precision and recall of the normalised words (a multiset intersection);
// 1.0 when both have no words, 0.0 when exactly one has none.
double token_f1(const std::string& prediction, const std::string& gold);

}  // namespace llmkit::rag
