#include "llmkit/rag/retriever.h"

#include "llmkit/base/error.h"

#include <algorithm>
#include <map>
#include <set>

#include "llmkit/rag/vector_store.h"

namespace llmkit::rag {

void to_json(nlohmann::json& j, const SearchHit& hit) {
  j = nlohmann::json{{"chunk_id", hit.chunk_id},   {"score", hit.score},
                     {"source", hit.chunk.source}, {"begin", hit.chunk.begin},
                     {"end", hit.chunk.end},       {"title", hit.title}};
}

SearchHit to_search_hit(const StoreHit& hit) {
  return SearchHit{hit.chunk.id, hit.score, hit.chunk.chunk, hit.chunk.title};
}

std::vector<SearchHit> to_search_hits(const std::vector<StoreHit>& hits) {
  std::vector<SearchHit> out;
  out.reserve(hits.size());
  for (const auto& h : hits) out.push_back(to_search_hit(h));
  return out;
}

std::vector<SearchHit> reciprocal_rank_fusion(const std::vector<std::vector<SearchHit>>& lists,
                                              size_t top_k, double k,
                                              const std::vector<double>& weights) {
  LLMKIT_CHECK(weights.empty() || weights.size() == lists.size(),
               "reciprocal_rank_fusion: ", weights.size(), " weights for ", lists.size(), " lists");
  std::map<int64_t, double> fused;
  std::map<int64_t, SearchHit> first;
  for (size_t li = 0; li < lists.size(); ++li) {
    const auto& list = lists[li];
    const double w = weights.empty() ? 1.0 : weights[li];
    std::set<int64_t> seen;
    for (size_t rank = 0; rank < list.size(); ++rank) {
      const SearchHit& hit = list[rank];
      if (!seen.insert(hit.chunk_id).second) continue;  // only its best rank in this list
      fused[hit.chunk_id] += w / (k + static_cast<double>(rank + 1));
      first.emplace(hit.chunk_id, hit);
    }
  }
  std::vector<SearchHit> out;
  out.reserve(fused.size());
  for (const auto& [id, score] : fused) {
    SearchHit hit = first.at(id);
    hit.score = score;
    out.push_back(std::move(hit));
  }
  std::stable_sort(out.begin(), out.end(), [](const SearchHit& a, const SearchHit& b) {
    return a.score != b.score ? a.score > b.score : a.chunk_id < b.chunk_id;
  });
  if (out.size() > top_k) out.resize(top_k);
  return out;
}

}  // namespace llmkit::rag
