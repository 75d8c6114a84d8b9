// (query, passage) pairs for contrastive embedder training: the pairs.jsonl file written by
// `llmkit make-qa`, its tokenization, and a deterministic batch sampler.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "llmkit/tokenizer/tokenizer.h"

namespace llmkit::train {

struct TextPair {
  std::string query;
  std::string passage;
};

// Reads a JSONL file: one object per line with string fields "query" and "passage" (other fields
// are ignored; blank lines are skipped). Throws Error(kNotFound) for a missing file and
// Error(kCorruptData) naming file:line for a line that is not such an object.
std::vector<TextPair> load_pairs(const std::string& path);

// The ids an embedder reads for a text: BOS first when the tokenizer uses one (as llama.cpp adds
// it for this vocabulary), then the text's tokens, truncated to max_tokens in all (>= 1).
std::vector<int32_t> encode_for_embedding(const tokenizer::Tokenizer& tok, const std::string& text,
                                          int64_t max_tokens);

struct TokenizedPair {
  std::vector<int32_t> query;
  std::vector<int32_t> passage;
  uint64_t passage_key = 0;  // equal for equal passage texts (a hash of the text)
};

std::vector<TokenizedPair> tokenize_pairs(const tokenizer::Tokenizer& tok,
                                          const std::vector<TextPair>& pairs,
                                          int64_t max_query_tokens, int64_t max_passage_tokens);

// Splits pairs deterministically by their passage text: a passage goes to the held-out part with
// probability ~fraction (a hash decides), so no held-out passage is trained on. Returns {train,
// held_out}.
std::pair<std::vector<TokenizedPair>, std::vector<TokenizedPair>> split_pairs(
    const std::vector<TokenizedPair>& pairs, double fraction);

// Indices of the pairs of batch number `step`: up to `batch` distinct pairs whose passages are
// all different (a repeated passage would be a false in-batch negative), drawn uniformly without
// replacement. A pure function of (pairs, batch, seed, step), so a resumed run draws the same
// batches. Fewer than `batch` only when the pairs have fewer distinct passages.
std::vector<size_t> sample_batch(const std::vector<TokenizedPair>& pairs, int64_t batch,
                                 uint64_t seed, int64_t step);

}  // namespace llmkit::train
