// The manifest of a token shard folder (written by prepare_data, read by TokenDataset).
//
// A shard folder holds binary token shards train_000.bin, train_001.bin, ..., val_000.bin, ...
// and manifest.json. A shard is a flat array of token ids, little-endian, 2 bytes each
// ("uint16", used when n_vocab <= 65536) or 4 bytes each ("uint32"); no header. A split's token
// stream is the concatenation of its shards in manifest order; every document in it starts with
// the tokenizer's BOS id. Each shard's FNV-1a 64 checksum covers its bytes.
//
// manifest.json:
//   {"format": "llmkit-token-shards", "version": 1, "dtype": "uint16", "byte_order": "little",
//    "n_vocab": 8192, "bos_id": 2, "separator": "bos",
//    "tokenizer": {"path": "tok.model", "fingerprint": "<16 hex digits>"},
//    "seed": 0, "val_fraction": 0.05, "shard_tokens": 16777216,
//    "total_tokens": N, "total_documents": D, "skipped_documents": S,
//    "splits": {"train": {"documents": d, "tokens": n,
//                         "shards": [{"file": "train_000.bin", "tokens": n,
//                                     "fnv1a64": "0123456789abcdef"}]},
//               "val": {...}},
//    "sources": [{"path": "corpus/a.txt", "split": "train", "bytes": b, "tokens": n}]}
// Skipped documents (files with no text) are listed in sources with "split": "skipped".
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace llmkit::train {

inline constexpr uint64_t kFnv1a64Offset = 0xcbf29ce484222325ULL;

// FNV-1a 64 over size bytes, continuing from h (pass a previous result to hash in pieces).
uint64_t fnv1a64(const void* data, size_t size, uint64_t h = kFnv1a64Offset);

// v as 16 lowercase hex digits (how the manifest writes checksums and fingerprints).
std::string hex64(uint64_t v);

enum class TokenWidth { kU16 = 2, kU32 = 4 };

// "uint16" / "uint32"
const char* token_width_name(TokenWidth width);
// uint16 when every id fits (n_vocab <= 65536), else uint32.
TokenWidth token_width_for_vocab(int64_t n_vocab);

struct ShardInfo {
  std::string file;  // file name inside the shard folder
  int64_t tokens = 0;
  uint64_t checksum = 0;  // FNV-1a 64 of the file's bytes
};

struct SplitInfo {
  int64_t documents = 0;
  int64_t tokens = 0;  // sum of the shards' tokens
  std::vector<ShardInfo> shards;
};

struct SourceInfo {
  std::string path;   // as found from the inputs
  std::string split;  // "train", "val" or "skipped"
  int64_t bytes = 0;
  int64_t tokens = 0;  // including the BOS separator; 0 when skipped
};

struct ShardManifest {
  static constexpr int kVersion = 1;
  TokenWidth width = TokenWidth::kU16;
  int64_t n_vocab = 0;
  int32_t bos_id = 0;
  std::string tokenizer_path;
  uint64_t tokenizer_fingerprint = 0;  // tokenizer::Tokenizer::fingerprint()
  uint64_t seed = 0;
  double val_fraction = 0.0;
  int64_t shard_tokens = 0;
  int64_t skipped_documents = 0;
  SplitInfo train;
  SplitInfo val;
  std::vector<SourceInfo> sources;

  int64_t total_tokens() const { return train.tokens + val.tokens; }
  int64_t total_documents() const { return train.documents + val.documents; }

  std::string to_json() const;
  // Parses and checks a manifest (types, ranges, shard token sums). path names the file in
  // errors: Error(kCorruptData) "manifest 'path': <what is wrong>".
  static ShardManifest from_json(const std::string& text, const std::string& path);
};

// Writes one split's token stream as dir/<prefix>_000.bin, <prefix>_001.bin, ... (at most
// shard_tokens tokens each, every file written atomically) and describes it for the manifest.
class ShardWriter {
 public:
  ShardWriter(std::string dir, std::string prefix, TokenWidth width, int64_t shard_tokens);

  // Appends one document: bos, then ids (a document may continue in the next shard).
  void add_document(int32_t bos, std::span<const int32_t> ids);
  // Writes the partly filled last shard; returns the split's description.
  SplitInfo finish();

 private:
  void push(int32_t id);
  void flush();

  std::string dir_;
  std::string prefix_;
  TokenWidth width_;
  int64_t shard_tokens_;
  std::vector<int32_t> buffer_;
  SplitInfo info_;
};

// Deletes the files train_<digits>.bin / val_<digits>.bin in dir that m does not list (the shards
// of an earlier run). Call after writing m's manifest.
void remove_stale_shards(const std::string& dir, const ShardManifest& m);

}  // namespace llmkit::train
