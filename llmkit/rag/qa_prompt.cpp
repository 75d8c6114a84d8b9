#include "llmkit/rag/qa_prompt.h"

#include <algorithm>
#include <cctype>

namespace llmkit::rag {
namespace {

bool is_space(char c) {
  return std::isspace(static_cast<unsigned char>(c)) != 0;
}

// Whitespace runs -> one space, no leading or trailing space.
std::string collapse_whitespace(const std::string& s) {
  std::string out;
  bool pending = false;
  for (char c : s) {
    if (is_space(c)) {
      pending = !out.empty();
      continue;
    }
    if (pending) out += ' ';
    pending = false;
    out += c;
  }
  return out;
}

std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

}  // namespace

std::string qa_user_message(const std::string& question, const std::vector<QaSource>& sources) {
  std::string out =
      "Answer the question from the sources. Cite the source number like [1]. If the sources do "
      "not contain the answer, say \"";
  out += kNoAnswer;
  out += "\"\n\n";
  for (size_t i = 0; i < sources.size(); ++i) {
    out += "[" + std::to_string(i + 1) + "] " + collapse_whitespace(sources[i].text) + "\n";
  }
  out += "\nQuestion: " + collapse_whitespace(question);
  return out;
}

std::string qa_answer(const std::string& answer, int source_number) {
  return collapse_whitespace(answer) + " [" + std::to_string(source_number) + "]";
}

ParsedAnswer parse_qa_answer(const std::string& text) {
  ParsedAnswer p;
  std::string rest;
  size_t last_marker_end = std::string::npos;  // position in `rest` after the last marker
  for (size_t i = 0; i < text.size();) {
    if (text[i] == '[') {
      size_t j = i + 1;
      while (j < text.size() && std::isdigit(static_cast<unsigned char>(text[j]))) ++j;
      if (j > i + 1 && j < text.size() && text[j] == ']' && j - i - 1 <= 6) {
        int n = std::stoi(text.substr(i + 1, j - i - 1));
        if (std::find(p.citations.begin(), p.citations.end(), n) == p.citations.end()) {
          p.citations.push_back(n);
        }
        last_marker_end = rest.size();
        i = j + 1;
        continue;
      }
    }
    rest += text[i++];
  }
  // "1795 [2]." -> the period after the last marker belongs to no answer text.
  if (last_marker_end != std::string::npos) {
    std::string tail = collapse_whitespace(rest.substr(last_marker_end));
    if (tail == "." || tail.empty()) rest.resize(last_marker_end);
  }
  std::string no_answer = lower(kNoAnswer);
  no_answer.pop_back();  // without the final period
  p.abstained = lower(text).find(no_answer) != std::string::npos;
  p.answer = p.abstained ? "" : collapse_whitespace(rest);
  return p;
}

}  // namespace llmkit::rag
