// Question generation over plain-text documents (the bundled State of the Union corpus): pure
// text processing, no model, deterministic.
//
// A question is a sentence of a document with one answer span replaced by a wh-phrase and the
// final punctuation replaced by "?": "The treaty was ratified in 1795." -> "The treaty was
// ratified in what year?" (answer "1795"). Span kinds, each found by a rule on the sentence's
// words: "date" (Month day[, year] -> "what date"), "money" ($N [scale], N [scale] dollars ->
// "how much"), "percent" (N percent / N% -> "what percentage"), "year" (1600..2099 alone -> "what
// year"), "number" (N [scale] followed by a word -> "how many"), "name" (a run of capitalised
// words, "of"/"the" allowed inside, not the sentence's first word and not a generic word such as
// "Congress" -> "what"). A candidate is dropped when the question still contains the answer
// (case-insensitive) or the sentence is shorter/longer than the options allow.
//
// Sentences: each line is cut after '.', '?' or '!' (plus closing quotes/brackets) followed by
// spaces and an upper-case letter, digit or quote, unless the word before the period is an
// abbreviation (Mr., Gen., St., ...) or a single letter (an initial, "U.S."). Ranges are trimmed.
//
// Selection per document: candidates are ordered by a hash of (seed, source, offsets), then taken
// round-robin over the kinds (so every kind is represented), at most one per sentence, up to
// max_per_document; the chosen ones are returned in document order.
//
// Split: a document is held out when XXH3-64(file name, seed) / 2^64 < heldout_fraction; it depends
// only on the file name and the seed.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace llmkit::rag {

struct ByteRange {
  size_t begin = 0;
  size_t end = 0;  // exclusive
  bool operator==(const ByteRange&) const = default;
};

struct QaItem {
  std::string id;        // "<file stem>-<k>", k counting the document's questions from 0
  std::string question;  // ends with '?'
  std::string answer;    // == file text at [answer_begin, answer_begin + answer.size())
  std::string kind;      // "date", "money", "percent", "year", "number", "name"
  std::string source;    // the file path as given
  size_t begin = 0;      // gold sentence: bytes [begin, end) of the file
  size_t end = 0;
  size_t answer_begin = 0;
  std::string passage;  // the gold sentence's text
  ByteRange context;    // whole sentences around the gold one, about context_bytes long
};

struct QaGeneratorOptions {
  uint64_t seed = 0;
  int max_per_document = 10;
  size_t min_sentence_bytes = 50;
  size_t max_sentence_bytes = 300;
  size_t context_bytes = 300;  // target size of QaItem::context
  double heldout_fraction = 0.25;
  // When > 0, a question keeps at most this many words of its sentence around the wh-phrase
  // (up to a third of them after it), as a user's short question would: "... duties permitted
  // under the treaty of what year?". 0 keeps the whole sentence.
  int max_question_words = 0;
};

// Sentence byte ranges of text, in order, non-overlapping, trimmed of whitespace.
std::vector<ByteRange> split_sentences(std::string_view text);

// Consecutive whole sentences around sentences[index]: neighbours are added (previous first,
// alternating) while the range stays within target_bytes; always contains the sentence itself.
ByteRange context_around(const std::vector<ByteRange>& sentences, size_t index,
                         size_t target_bytes);

// Consecutive runs of whole sentences of about target_bytes each, covering the text in order
// (distractor passages).
std::vector<ByteRange> passages(const std::vector<ByteRange>& sentences, size_t target_bytes);

std::vector<QaItem> questions_from_document(const std::string& source, std::string_view text,
                                            const QaGeneratorOptions& options);

bool is_heldout_document(std::string_view file_name, uint64_t seed, double heldout_fraction);

struct QaDocument {
  std::string source;  // path
  std::string text;
  bool heldout = false;
};

struct QaSet {
  std::vector<QaDocument> documents;  // sorted by path
  std::vector<QaItem> dev;            // questions from the documents not held out
  std::vector<QaItem> heldout;
};

// Reads files (sorted by path first) and generates their questions. Throws Error(kNotFound)
// naming a file that cannot be read.
QaSet generate_qa(std::vector<std::string> files, const QaGeneratorOptions& options);

// The QA line: {"id","question","answer","source","begin","end","passage","kind","answer_begin"}.
nlohmann::json to_json(const QaItem& item);

}  // namespace llmkit::rag
