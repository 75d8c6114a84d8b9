#include "llmkit/rag/multi_query_retriever.h"

#include <set>

#include "llmkit/base/error.h"

namespace llmkit::rag {

namespace {
std::string trim(const std::string& s) {
  const char* ws = " \t\r\n";
  const size_t b = s.find_first_not_of(ws);
  if (b == std::string::npos) return "";
  return s.substr(b, s.find_last_not_of(ws) - b + 1);
}

// Drops a leading list marker: "12." "3)" "-" "*" "•".
std::string strip_marker(std::string line) {
  size_t i = 0;
  while (i < line.size() && line[i] >= '0' && line[i] <= '9') ++i;
  if (i > 0 && i < line.size() && (line[i] == '.' || line[i] == ')')) {
    line = line.substr(i + 1);
  } else if (!line.empty() && (line[0] == '-' || line[0] == '*')) {
    line = line.substr(1);
  } else if (line.rfind("\xE2\x80\xA2", 0) == 0) {
    line = line.substr(3);
  }
  line = trim(line);
  if (line.size() >= 2 && line.front() == '"' && line.back() == '"') {
    line = trim(line.substr(1, line.size() - 2));
  }
  return line;
}
}  // namespace

std::string multi_query_prompt(const std::string& question, int n_variants) {
  return str_cat("Write ", n_variants,
                 " different versions of the question below, to search a document collection "
                 "for passages that answer it. Use different words and phrasings. Answer with "
                 "one question per line and nothing else.\n\nQuestion: ",
                 question);
}

std::vector<std::string> parse_query_variants(const std::string& answer,
                                              const std::string& question, int n) {
  std::vector<std::string> out;
  std::set<std::string> seen = {trim(question)};
  size_t pos = 0;
  while (pos <= answer.size() && static_cast<int>(out.size()) < n) {
    size_t end = answer.find('\n', pos);
    if (end == std::string::npos) end = answer.size();
    std::string line = strip_marker(trim(answer.substr(pos, end - pos)));
    if (!line.empty() && seen.insert(line).second) out.push_back(line);
    pos = end + 1;
  }
  return out;
}

MultiQueryRetriever::MultiQueryRetriever(RetrieverPtr base, chain::ChatModelPtr model,
                                         MultiQueryOptions options)
    : base_(std::move(base)), model_(std::move(model)), options_(options) {
  LLMKIT_CHECK(base_ != nullptr, "MultiQueryRetriever: no base retriever given");
  LLMKIT_CHECK(model_ != nullptr, "MultiQueryRetriever: no chat model given");
  LLMKIT_CHECK(options_.n_variants >= 1, "MultiQueryRetriever: n_variants ", options_.n_variants,
               " must be >= 1");
}

std::vector<SearchHit> MultiQueryRetriever::invoke_impl(const std::string& question,
                                                        chain::RunContext& ctx) const {
  chain::ChatMessage reply = model_->invoke(
      {chain::user_message(multi_query_prompt(question, options_.n_variants))}, ctx.child_config());
  std::vector<std::string> queries;
  if (options_.include_original) queries.push_back(question);
  for (auto& v : parse_query_variants(reply.content, question, options_.n_variants)) {
    queries.push_back(std::move(v));
  }
  if (queries.empty()) queries.push_back(question);  // the model gave nothing usable
  std::vector<std::vector<SearchHit>> lists;
  for (const auto& q : queries) lists.push_back(base_->invoke(q, ctx.child_config()));
  return reciprocal_rank_fusion(lists, options_.k, options_.rrf_k);
}

}  // namespace llmkit::rag
