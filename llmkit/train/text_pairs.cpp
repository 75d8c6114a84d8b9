#include "llmkit/train/text_pairs.h"

#include <algorithm>
#include <fstream>
#include <nlohmann/json.hpp>
#include <numeric>
#include <unordered_set>

#include "llmkit/base/error.h"
#include "llmkit/tensor/rng.h"

namespace llmkit::train {
namespace {

// FNV-1a, 64 bit: a stable hash of a passage text (same value on every machine).
uint64_t fnv1a(const std::string& s) {
  uint64_t h = 1469598103934665603ull;
  for (unsigned char ch : s) {
    h ^= ch;
    h *= 1099511628211ull;
  }
  return h;
}

}  // namespace

std::vector<TextPair> load_pairs(const std::string& path) {
  std::ifstream in(path);
  LLMKIT_CHECK_CODE(in.good(), ErrorCode::kNotFound, "pairs file '", path,
                    "' cannot be opened (write it with `llmkit make-qa`)");
  std::vector<TextPair> pairs;
  std::string line;
  for (int64_t line_no = 1; std::getline(in, line); ++line_no) {
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    nlohmann::json j;
    try {
      j = nlohmann::json::parse(line);
    } catch (const std::exception& e) {
      throw_error(ErrorCode::kCorruptData, str_cat(path, ":", line_no, ": not JSON: ", e.what()));
    }
    LLMKIT_CHECK_CODE(j.is_object() && j.contains("query") && j["query"].is_string() &&
                          j.contains("passage") && j["passage"].is_string(),
                      ErrorCode::kCorruptData, path, ":", line_no,
                      ": expected an object with string fields \"query\" and \"passage\"");
    pairs.push_back({j["query"].get<std::string>(), j["passage"].get<std::string>()});
  }
  return pairs;
}

std::vector<int32_t> encode_for_embedding(const tokenizer::Tokenizer& tok, const std::string& text,
                                          int64_t max_tokens) {
  LLMKIT_CHECK(max_tokens >= 1, "encode_for_embedding: max_tokens must be >= 1, got ", max_tokens);
  std::vector<int32_t> ids = tok.encode(text, /*add_bos=*/true, /*parse_special=*/false);
  if (ids.empty()) ids.push_back(tok.bos_id() >= 0 ? tok.bos_id() : std::max(tok.unk_id(), 0));
  if (static_cast<int64_t>(ids.size()) > max_tokens) ids.resize(static_cast<size_t>(max_tokens));
  return ids;
}

std::vector<TokenizedPair> tokenize_pairs(const tokenizer::Tokenizer& tok,
                                          const std::vector<TextPair>& pairs,
                                          int64_t max_query_tokens, int64_t max_passage_tokens) {
  std::vector<TokenizedPair> out;
  out.reserve(pairs.size());
  for (const TextPair& p : pairs) {
    out.push_back({encode_for_embedding(tok, p.query, max_query_tokens),
                   encode_for_embedding(tok, p.passage, max_passage_tokens), fnv1a(p.passage)});
  }
  return out;
}

std::pair<std::vector<TokenizedPair>, std::vector<TokenizedPair>> split_pairs(
    const std::vector<TokenizedPair>& pairs, double fraction) {
  std::pair<std::vector<TokenizedPair>, std::vector<TokenizedPair>> parts;
  for (const TokenizedPair& p : pairs) {
    // The top bits of a remixed key, as a number in [0, 1).
    const double u = static_cast<double>(Generator::bits(p.passage_key, 0) >> 11) * 0x1.0p-53;
    (u < fraction ? parts.second : parts.first).push_back(p);
  }
  return parts;
}

std::vector<size_t> sample_batch(const std::vector<TokenizedPair>& pairs, int64_t batch,
                                 uint64_t seed, int64_t step) {
  LLMKIT_CHECK(batch >= 1, "sample_batch: batch must be >= 1, got ", batch);
  std::vector<size_t> order(pairs.size());
  std::iota(order.begin(), order.end(), size_t{0});
  // Counter block of this step: each step draws at most pairs.size() numbers.
  const uint64_t base = static_cast<uint64_t>(step) * (pairs.size() + 1);
  std::vector<size_t> chosen;
  std::unordered_set<uint64_t> passages;
  for (size_t k = 0; k < order.size() && static_cast<int64_t>(chosen.size()) < batch; ++k) {
    const size_t j = k + Generator::bits(seed, base + k) % (order.size() - k);  // partial shuffle
    std::swap(order[k], order[j]);
    if (passages.insert(pairs[order[k]].passage_key).second) chosen.push_back(order[k]);
  }
  return chosen;
}

}  // namespace llmkit::train
