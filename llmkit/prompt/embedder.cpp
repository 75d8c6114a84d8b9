#include "llmkit/prompt/embedder.h"

#include <cmath>

#include "llmkit/base/error.h"
#include "llmkit/tokenizer/tokenizer.h"

namespace llmkit::prompt {
namespace {

bool is_word_byte(unsigned char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c >= 0x80;
}

// Lower-cased words of text (ASCII letters folded; other bytes kept).
std::vector<std::string> words_of(std::string_view text) {
  std::vector<std::string> out;
  std::string cur;
  for (const char ch : text) {
    const auto c = static_cast<unsigned char>(ch);
    if (is_word_byte(c)) {
      cur += (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : ch;
    } else if (!cur.empty()) {
      out.push_back(std::move(cur));
      cur.clear();
    }
  }
  if (!cur.empty()) out.push_back(std::move(cur));
  return out;
}

// UTF-8 characters of s, each as its bytes.
std::vector<std::string_view> chars_of(std::string_view s) {
  std::vector<std::string_view> out;
  size_t i = 0;
  while (i < s.size()) {
    size_t j = i + 1;
    while (j < s.size() && (static_cast<unsigned char>(s[j]) & 0xC0) == 0x80) ++j;
    out.push_back(s.substr(i, j - i));
    i = j;
  }
  return out;
}

}  // namespace

double cosine_similarity(const std::vector<float>& a, const std::vector<float>& b) {
  LLMKIT_CHECK(a.size() == b.size(), "cosine_similarity: vectors of sizes ", a.size(), " and ",
               b.size(), "; embed both with the same embedder");
  double dot = 0, na = 0, nb = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    dot += static_cast<double>(a[i]) * b[i];
    na += static_cast<double>(a[i]) * a[i];
    nb += static_cast<double>(b[i]) * b[i];
  }
  if (na == 0 || nb == 0) return 0;
  return dot / (std::sqrt(na) * std::sqrt(nb));
}

HashingEmbedder::HashingEmbedder(Options options) : options_(options) {
  LLMKIT_CHECK(options_.dim > 0, "HashingEmbedder: dim must be positive, got ", options_.dim);
  LLMKIT_CHECK(options_.ngram >= 0, "HashingEmbedder: ngram must be >= 0, got ", options_.ngram);
}

std::vector<float> HashingEmbedder::counts(std::string_view text) const {
  std::vector<float> v(options_.dim, 0.0f);
  auto add = [&](std::string_view feature, float weight) {
    const uint64_t h = tokenizer::fnv1a_64(feature);
    const size_t bucket = static_cast<size_t>(h % static_cast<uint64_t>(options_.dim));
    v[bucket] += ((h >> 63) ? -weight : weight);
  };
  for (const auto& w : words_of(text)) {
    add("w:" + w, options_.word_weight);
    if (options_.ngram == 0) continue;
    const std::string padded = " " + w + " ";
    const auto chars = chars_of(padded);
    const size_t n = static_cast<size_t>(options_.ngram);
    if (chars.size() < n) {
      add("c:" + padded, 1.0f);
      continue;
    }
    for (size_t i = 0; i + n <= chars.size(); ++i) {
      std::string gram = "c:";
      for (size_t k = 0; k < n; ++k) gram += chars[i + k];
      add(gram, 1.0f);
    }
  }
  return v;
}

void HashingEmbedder::fit_idf(const std::vector<std::string>& corpus) {
  std::vector<double> df(options_.dim, 0.0);
  for (const auto& text : corpus) {
    const auto c = counts(text);
    for (int i = 0; i < options_.dim; ++i) {
      if (c[i] != 0) df[i] += 1;
    }
  }
  idf_.assign(options_.dim, 0.0f);
  const double n = static_cast<double>(corpus.size());
  for (int i = 0; i < options_.dim; ++i) {
    idf_[i] = static_cast<float>(std::log((1 + n) / (1 + df[i])) + 1);
  }
}

std::vector<std::vector<float>> HashingEmbedder::embed(
    const std::vector<std::string>& texts) const {
  std::vector<std::vector<float>> out;
  out.reserve(texts.size());
  for (const auto& text : texts) {
    auto v = counts(text);
    if (!idf_.empty()) {
      for (int i = 0; i < options_.dim; ++i) v[i] *= idf_[i];
    }
    double norm = 0;
    for (const float x : v) norm += static_cast<double>(x) * x;
    if (norm > 0) {
      const float inv = static_cast<float>(1.0 / std::sqrt(norm));
      for (float& x : v) x *= inv;
    }
    out.push_back(std::move(v));
  }
  return out;
}

}  // namespace llmkit::prompt
