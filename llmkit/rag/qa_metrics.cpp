#include "llmkit/rag/qa_metrics.h"

#include <cctype>
#include <map>
#include <sstream>
#include <vector>

namespace llmkit::rag {
namespace {

std::vector<std::string> words(const std::string& normalized) {
  std::vector<std::string> out;
  std::istringstream in(normalized);
  for (std::string w; in >> w;) out.push_back(w);
  return out;
}

}  // namespace

std::string normalize_answer(const std::string& text) {
  std::string kept;
  for (char c : text) {
    unsigned char u = static_cast<unsigned char>(c);
    if (u < 128 && std::ispunct(u)) continue;
    kept += u < 128 ? static_cast<char>(std::tolower(u)) : c;
  }
  std::string out;
  for (const std::string& w : words(kept)) {
    if (w == "a" || w == "an" || w == "the") continue;
    if (!out.empty()) out += ' ';
    out += w;
  }
  return out;
}

double exact_match(const std::string& prediction, const std::string& gold) {
  return normalize_answer(prediction) == normalize_answer(gold) ? 1.0 : 0.0;
}

double token_f1(const std::string& prediction, const std::string& gold) {
  const std::vector<std::string> p = words(normalize_answer(prediction));
  const std::vector<std::string> g = words(normalize_answer(gold));
  if (p.empty() || g.empty()) return p.empty() && g.empty() ? 1.0 : 0.0;
  std::map<std::string, int> counts;
  for (const std::string& w : g) ++counts[w];
  int common = 0;
  for (const std::string& w : p) {
    auto it = counts.find(w);
    if (it != counts.end() && it->second > 0) {
      --it->second;
      ++common;
    }
  }
  if (common == 0) return 0.0;
  const double precision = static_cast<double>(common) / static_cast<double>(p.size());
  const double recall = static_cast<double>(common) / static_cast<double>(g.size());
  return 2.0 * precision * recall / (precision + recall);
}

}  // namespace llmkit::rag
