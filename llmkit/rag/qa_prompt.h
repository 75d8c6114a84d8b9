// The reading-comprehension prompt shared by the SFT data (`llmkit make-qa`) and the QA chain, so
// the model is asked at inference exactly as it was taught.
//
// User message (sources numbered from 1, in the given order; each source's whitespace runs are
// collapsed to one space so a source is one line):
//   Answer the question from the sources. Cite the source number like [1]. If the sources do not
//   contain the answer, say "The sources do not say."
//
//   [1] text
//   [2] text
//
//   Question: q
// Assistant answer: "answer [n]", or kNoAnswer when the sources lack the answer.
#pragma once

#include <string>
#include <vector>

namespace llmkit::rag {

inline constexpr const char* kNoAnswer = "The sources do not say.";

struct QaSource {
  std::string text;
};

std::string qa_user_message(const std::string& question, const std::vector<QaSource>& sources);

// "answer [n]" (answer trimmed of surrounding whitespace).
std::string qa_answer(const std::string& answer, int source_number);

struct ParsedAnswer {
  std::string answer;          // the text without citation markers, trimmed; "" when abstained
  std::vector<int> citations;  // numbers of the [n] markers, in order of first appearance
  bool abstained = false;      // the text says kNoAnswer (case-insensitive, anywhere)
};

// Reads a model's answer: every "[n]" (n decimal digits) is a citation; the rest, with whitespace
// collapsed and a period left dangling after the last marker removed, is the answer.
ParsedAnswer parse_qa_answer(const std::string& text);

}  // namespace llmkit::rag
