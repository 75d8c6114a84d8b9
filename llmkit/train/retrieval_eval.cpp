#include "llmkit/train/retrieval_eval.h"

#include <algorithm>
#include <unordered_map>

#include "llmkit/autograd/node.h"
#include "llmkit/base/error.h"

namespace llmkit::train {
namespace {

std::vector<std::vector<float>> embed_all(const models::BertModel& model,
                                          const std::vector<std::vector<int32_t>>& seqs,
                                          int64_t batch) {
  autograd::NoGradGuard no_grad;
  std::vector<std::vector<float>> rows;
  for (size_t start = 0; start < seqs.size(); start += static_cast<size_t>(batch)) {
    const size_t end = std::min(seqs.size(), start + static_cast<size_t>(batch));
    std::vector<std::vector<int32_t>> chunk(seqs.begin() + static_cast<std::ptrdiff_t>(start),
                                            seqs.begin() + static_cast<std::ptrdiff_t>(end));
    const Tensor e = model.embed(chunk);  // [n, C]
    const std::vector<float> flat = e.to_vector();
    const size_t c = static_cast<size_t>(e.size(1));
    for (size_t i = 0; i < chunk.size(); ++i) {
      rows.emplace_back(flat.begin() + static_cast<std::ptrdiff_t>(i * c),
                        flat.begin() + static_cast<std::ptrdiff_t>((i + 1) * c));
    }
  }
  return rows;
}

}  // namespace

RetrievalEval score_retrieval(const std::vector<std::vector<float>>& queries,
                              const std::vector<std::vector<float>>& candidates,
                              const std::vector<size_t>& gold) {
  LLMKIT_CHECK(queries.size() == gold.size(), "score_retrieval: ", queries.size(), " queries but ",
               gold.size(), " gold indices");
  RetrievalEval r;
  r.queries = static_cast<int64_t>(queries.size());
  r.candidates = static_cast<int64_t>(candidates.size());
  if (queries.empty()) return r;
  auto dot = [](const std::vector<float>& a, const std::vector<float>& b) {
    double s = 0.0;
    for (size_t i = 0; i < a.size(); ++i) s += static_cast<double>(a[i]) * b[i];
    return s;
  };
  for (size_t q = 0; q < queries.size(); ++q) {
    LLMKIT_CHECK(gold[q] < candidates.size(), "score_retrieval: gold index ", gold[q],
                 " out of range");
    const double target = dot(queries[q], candidates[gold[q]]);
    int64_t rank = 1;
    for (size_t c = 0; c < candidates.size(); ++c) {
      if (c != gold[q] && dot(queries[q], candidates[c]) >= target) ++rank;
    }
    r.recall_at_1 += rank <= 1 ? 1.0 : 0.0;
    r.recall_at_5 += rank <= 5 ? 1.0 : 0.0;
    r.mrr += 1.0 / static_cast<double>(rank);
  }
  const double n = static_cast<double>(queries.size());
  r.recall_at_1 /= n;
  r.recall_at_5 /= n;
  r.mrr /= n;
  return r;
}

RetrievalEval evaluate_retrieval(const models::BertModel& model,
                                 const std::vector<TokenizedPair>& pairs, int64_t batch) {
  LLMKIT_CHECK(batch >= 1, "evaluate_retrieval: batch must be >= 1");
  std::vector<std::vector<int32_t>> queries, passages;
  std::vector<size_t> gold;
  std::unordered_map<uint64_t, size_t> index;  // passage key -> candidate
  for (const TokenizedPair& p : pairs) {
    auto [it, fresh] = index.emplace(p.passage_key, passages.size());
    if (fresh) passages.push_back(p.passage);
    queries.push_back(p.query);
    gold.push_back(it->second);
  }
  if (pairs.empty()) return {};
  return score_retrieval(embed_all(model, queries, batch), embed_all(model, passages, batch), gold);
}

}  // namespace llmkit::train
