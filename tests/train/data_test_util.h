// Shared helpers for the data-pipeline tests: a temporary folder, generated documents, a byte-level
// test tokenizer, and an independent reader of shard files (plain little-endian parsing, no
// llmkit code) to compare the pipeline against.
#pragma once

#include <gtest/gtest.h>
#include <stdlib.h>

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <functional>
#include <stdexcept>
#include <string>
#include <vector>

#include "llmkit/base/error.h"
#include "llmkit/tokenizer/tokenizer.h"
#include "tests/support/expect_error.h"

namespace llmkit::train::testing {

namespace fs = std::filesystem;

// A fresh folder under the system temp dir, removed with its contents on destruction.
class TempDir {
 public:
  TempDir() {
    std::string tmpl = (fs::temp_directory_path() / "llmkit_data_XXXXXX").string();
    if (::mkdtemp(tmpl.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
    path_ = tmpl;
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const fs::path& path() const { return path_; }
  std::string file(const std::string& name) const { return (path_ / name).string(); }

 private:
  fs::path path_;
};

inline void write_text(const std::string& path, const std::string& text) {
  fs::create_directories(fs::path(path).parent_path());
  std::ofstream out(path, std::ios::binary);
  out << text;
}

inline std::string read_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

// A document of `sentences` English-like sentences (with a non-ASCII word now and then and
// paragraph breaks), deterministic in seed.
inline std::string make_document(int sentences, uint64_t seed) {
  static const char* kWords[] = {
      "the",     "union", "state",  "of",    "congress", "and",  "people",   "nation",
      "we",      "will",  "peace",  "trade", "budget",   "year", "great",    "new",
      "freedom", "our",   "to",     "in",    "a",        "is",   "that",     "for",
      "country", "work",  "future", "world", "policy",   "law",  "citizens", "café"};
  constexpr uint64_t kN = sizeof(kWords) / sizeof(kWords[0]);
  uint64_t s = seed * 0x9E3779B97F4A7C15ULL + 12345;
  auto next = [&s](uint64_t n) {
    s = s * 6364136223846793005ULL + 1442695040888963407ULL;
    return (s >> 33) % n;
  };
  std::string out;
  for (int i = 0; i < sentences; ++i) {
    if (i > 0) out += next(5) == 0 ? "\n\n" : " ";
    int words = 4 + static_cast<int>(next(9));
    for (int w = 0; w < words; ++w) {
      std::string word = kWords[next(kN)];
      if (w == 0) word[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(word[0])));
      out += (w ? " " : "") + word;
    }
    out += next(7) == 0 ? "?" : ".";
  }
  return out;
}

// Writes n documents dir/doc_NNN.txt (some in a subfolder) and returns their texts by name.
inline std::vector<std::pair<std::string, std::string>> write_corpus(const fs::path& dir, int n,
                                                                     int sentences, uint64_t seed) {
  std::vector<std::pair<std::string, std::string>> docs;
  for (int i = 0; i < n; ++i) {
    char name[64];
    std::snprintf(name, sizeof(name), "%sdoc_%03d.txt", i % 3 == 2 ? "sub/" : "", i);
    std::string text = make_document(sentences + (i * 7) % 5, seed * 1000 + i);
    write_text((dir / name).string(), text);
    docs.emplace_back(name, text);
  }
  return docs;
}

// Byte-level tokenizer for tests: byte b -> id offset + b; ids 0 pad, 1 eos, 2 bos, 3 unk.
// With offset > 65280 the ids need 4-byte shards.
class ByteTokenizer : public tokenizer::Tokenizer {
 public:
  explicit ByteTokenizer(int32_t offset = 4, uint64_t fingerprint = 0x1234)
      : offset_(offset), fingerprint_(fingerprint) {}
  std::vector<int32_t> encode(std::string_view text) const override {
    std::vector<int32_t> ids;
    for (unsigned char c : text) ids.push_back(offset_ + c);
    return ids;
  }
  std::string decode(const std::vector<int32_t>& ids) const override {
    std::string s;
    for (int32_t id : ids) {
      if (id >= offset_) s += static_cast<char>(id - offset_);
    }
    return s;
  }
  std::string id_to_piece(int32_t id) const override { return std::to_string(id); }
  int32_t piece_to_id(std::string_view) const override { return -1; }
  int32_t n_vocab() const override { return offset_ + 256; }
  int32_t bos_id() const override { return 2; }
  int32_t eos_id() const override { return 1; }
  int32_t pad_id() const override { return 0; }
  int32_t unk_id() const override { return 3; }
  bool is_special(int32_t id) const override { return id >= 0 && id < 4; }
  uint64_t fingerprint() const override { return fingerprint_; }

 private:
  int32_t offset_;
  uint64_t fingerprint_;
};

// The token stream of one split read straight from the files <prefix>_NNN.bin in dir (sorted by
// number), bytes_per_token 2 or 4, little-endian.
inline std::vector<int64_t> read_split_raw(const fs::path& dir, const std::string& prefix,
                                           int bytes_per_token) {
  std::vector<std::string> files;
  for (const auto& e : fs::directory_iterator(dir)) {
    std::string name = e.path().filename().string();  // <prefix>_<digits>.bin
    const size_t p = prefix.size() + 1;
    if (name.size() > p + 4 && name.compare(0, p, prefix + "_") == 0 &&
        name.compare(name.size() - 4, 4, ".bin") == 0 &&
        name.find_first_not_of("0123456789", p) == name.size() - 4) {
      files.push_back(name);
    }
  }
  std::sort(files.begin(), files.end());
  std::vector<int64_t> out;
  for (const std::string& f : files) {
    std::string bytes = read_bytes((dir / f).string());
    EXPECT_EQ(bytes.size() % bytes_per_token, 0u) << f;
    for (size_t i = 0; i + bytes_per_token <= bytes.size(); i += bytes_per_token) {
      int64_t v = 0;
      for (int b = bytes_per_token - 1; b >= 0; --b) {
        v = (v << 8) | static_cast<unsigned char>(bytes[i + b]);
      }
      out.push_back(v);
    }
  }
  return out;
}

// Runs fn, expects an llmkit::Error with `code` whose message contains every one of `parts`.
using llmkit::test::expect_error;

}  // namespace llmkit::train::testing
