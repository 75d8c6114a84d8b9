// Shared helpers for the tokenizer tests: a temporary folder, a generated English-like corpus
// (with digits and non-ASCII words), small trained models cached per test program, and an
// independent UTF-8 validator.
#pragma once

#include <gtest/gtest.h>
#include <stdlib.h>

#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "llmkit/tokenizer/sentencepiece_tokenizer.h"
#include "llmkit/tokenizer/trainer.h"
#include "tests/support/temp_dir.h"

namespace llmkit::tokenizer::testing {

using llmkit::testing::TempDir;

inline void write_text(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary);
  out << text;
}

inline std::string read_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

// `lines` lines of English-like text: 6-15 words from a fixed list, sometimes a number (1-6
// digits), now and then a non-ASCII word (café, naïve, Zürich, 日本, 東京). Deterministic in seed.
inline std::string make_corpus(int lines, uint64_t seed) {
  static const char* kWords[] = {
      "the",        "of",       "and",     "to",      "in",       "a",         "is",    "that",
      "for",        "it",       "as",      "was",     "with",     "be",        "by",    "on",
      "not",        "he",       "this",    "are",     "or",       "his",       "from",  "at",
      "which",      "but",      "have",    "an",      "had",      "they",      "you",   "were",
      "their",      "one",      "all",     "we",      "can",      "her",       "has",   "there",
      "been",       "if",       "more",    "when",    "will",     "would",     "who",   "so",
      "people",     "year",     "nation",  "country", "congress", "president", "union", "state",
      "government", "world",    "peace",   "economy", "budget",   "million",   "new",   "great",
      "America",    "citizens", "freedom", "future",  "history",  "policy",    "tax",   "trade"};
  static const char* kForeign[] = {"café", "naïve", "Zürich", "日本", "東京", "résumé"};
  constexpr int kNumWords = sizeof(kWords) / sizeof(kWords[0]);
  uint64_t s = seed * 0x9E3779B97F4A7C15ULL + 1;
  auto next = [&s](uint64_t n) {
    s = s * 6364136223846793005ULL + 1442695040888963407ULL;
    return (s >> 33) % n;
  };
  std::string out;
  for (int l = 0; l < lines; ++l) {
    int n = 6 + static_cast<int>(next(10));
    for (int w = 0; w < n; ++w) {
      if (w > 0) out += ' ';
      uint64_t r = next(100);
      std::string word;
      if (r < 8) {
        int digits = 1 + static_cast<int>(next(6));
        for (int d = 0; d < digits; ++d) word += static_cast<char>('0' + next(10));
      } else if (r < 11) {
        word = kForeign[next(6)];
      } else {
        word = kWords[next(kNumWords)];
      }
      if (w == 0 && word[0] >= 'a' && word[0] <= 'z') word[0] = static_cast<char>(word[0] - 32);
      out += word;
      if (w + 1 < n && next(12) == 0) out += ',';
    }
    out += next(5) == 0 ? "?\n" : ".\n";
  }
  return out;
}

// Trains (once per program and type) a small model on a 400-line corpus; vocab size 420.
struct TrainedModel {
  std::string path;
  SentencePieceTokenizer tok;
};

inline constexpr int kTestVocab = 420;

inline const TrainedModel& trained_model(TokenizerModelType type) {
  static TempDir dir;  // removed at exit, after the cache
  static std::map<TokenizerModelType, std::unique_ptr<TrainedModel>> cache;
  auto it = cache.find(type);
  if (it != cache.end()) return *it->second;
  std::string name = tokenizer_model_type_name(type);
  std::string corpus = dir.file(name + "_corpus.txt");
  write_text(corpus, make_corpus(400, 7));
  TokenizerTrainOptions o;
  o.inputs = {corpus};
  o.vocab_size = kTestVocab;
  o.type = type;
  o.num_threads = 2;
  std::string path = dir.file(name + ".model");
  train_sentencepiece(o, path);
  auto& model = cache[type];
  model.reset(new TrainedModel{path, SentencePieceTokenizer::load(path)});
  return *model;
}

// Strict UTF-8 check (RFC 3629: no overlongs, no surrogates, at most U+10FFFF).
inline bool is_valid_utf8(const std::string& s) {
  size_t i = 0;
  while (i < s.size()) {
    auto c = static_cast<unsigned char>(s[i]);
    int n = 0;
    uint32_t cp = 0;
    if (c < 0x80) {
      ++i;
      continue;
    } else if ((c >> 5) == 0x6) {
      n = 1, cp = c & 0x1F;
    } else if ((c >> 4) == 0xE) {
      n = 2, cp = c & 0x0F;
    } else if ((c >> 3) == 0x1E) {
      n = 3, cp = c & 0x07;
    } else {
      return false;
    }
    if (i + n >= s.size()) return false;  // truncated sequence
    for (int k = 1; k <= n; ++k) {
      auto d = static_cast<unsigned char>(s[i + k]);
      if ((d & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (d & 0x3F);
    }
    static const uint32_t kMin[4] = {0, 0x80, 0x800, 0x10000};
    if (cp < kMin[n] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return false;
    i += n + 1;
  }
  return true;
}

// Runs `spm_encode --model=M --output_format=FORMAT < input`; returns its stdout lines.
inline std::vector<std::string> run_spm_encode(const std::string& model, const std::string& format,
                                               const std::string& input) {
  std::string cmd = "spm_encode --model='" + model + "' --output_format=" + format + " < '" +
                    input + "' 2>/dev/null";
  FILE* pipe = ::popen(cmd.c_str(), "r");
  EXPECT_NE(pipe, nullptr);
  std::string out;
  char buf[4096];
  size_t n;
  while (pipe && (n = std::fread(buf, 1, sizeof(buf), pipe)) > 0) out.append(buf, n);
  if (pipe) {
    EXPECT_EQ(::pclose(pipe), 0) << cmd;
  }
  std::vector<std::string> lines;
  std::istringstream in(out);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

}  // namespace llmkit::tokenizer::testing
