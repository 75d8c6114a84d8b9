#include "llmkit/train/shard_manifest.h"

#include <algorithm>
#include <cinttypes>
#include <cstdio>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <set>
#include <system_error>

#include "llmkit/base/atomic_file.h"
#include "llmkit/base/error.h"

namespace llmkit::train {
namespace {

using json = nlohmann::json;

constexpr const char* kFormat = "llmkit-token-shards";

// Field access that reports the manifest path and the field's JSON path on any problem.
class Reader {
 public:
  explicit Reader(const std::string& path) : path_(path) {}

  [[noreturn]] void fail(const std::string& what) const {
    throw_error(ErrorCode::kCorruptData,
                str_cat("manifest '", path_, "': ", what,
                        " (re-run `llmkit data prepare` to rebuild the shard folder)"));
  }

  const json& field(const json& obj, const char* key, const std::string& where) const {
    if (!obj.is_object()) fail(str_cat("'", where, "' is not an object"));
    auto it = obj.find(key);
    if (it == obj.end()) fail(str_cat("missing field '", where, key, "'"));
    return *it;
  }

  int64_t integer(const json& obj, const char* key, const std::string& where, int64_t lo) const {
    const json& v = field(obj, key, where);
    if (!v.is_number_integer()) fail(str_cat("field '", where, key, "' is not an integer"));
    int64_t x = v.is_number_unsigned() && v.get<uint64_t>() > static_cast<uint64_t>(INT64_MAX)
                    ? -1
                    : v.get<int64_t>();
    if (x < lo) fail(str_cat("field '", where, key, "' = ", v.dump(), " is below ", lo));
    return x;
  }

  std::string string(const json& obj, const char* key, const std::string& where) const {
    const json& v = field(obj, key, where);
    if (!v.is_string()) fail(str_cat("field '", where, key, "' is not a string"));
    return v.get<std::string>();
  }

  uint64_t hex(const json& obj, const char* key, const std::string& where) const {
    std::string s = string(obj, key, where);
    bool ok = s.size() == 16;
    uint64_t v = 0;
    for (char c : s) {
      int d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
      if (d < 0) ok = false;
      v = (v << 4) | static_cast<uint64_t>(d < 0 ? 0 : d);
    }
    if (!ok) fail(str_cat("field '", where, key, "' = \"", s, "\" is not 16 lowercase hex digits"));
    return v;
  }

 private:
  std::string path_;
};

json split_to_json(const SplitInfo& s) {
  json shards = json::array();
  for (const ShardInfo& sh : s.shards) {
    shards.push_back({{"file", sh.file}, {"tokens", sh.tokens}, {"fnv1a64", hex64(sh.checksum)}});
  }
  return {{"documents", s.documents}, {"tokens", s.tokens}, {"shards", shards}};
}

SplitInfo split_from_json(const Reader& r, const json& j, const std::string& name) {
  std::string where = "splits." + name + ".";
  SplitInfo s;
  s.documents = r.integer(j, "documents", where, 0);
  s.tokens = r.integer(j, "tokens", where, 0);
  const json& shards = r.field(j, "shards", where);
  if (!shards.is_array()) r.fail(str_cat("field '", where, "shards' is not an array"));
  int64_t sum = 0;
  for (size_t i = 0; i < shards.size(); ++i) {
    std::string w = str_cat(where, "shards[", i, "].");
    ShardInfo sh;
    sh.file = r.string(shards[i], "file", w);
    // Shard names are plain file names: never let a manifest point outside its folder.
    if (sh.file.empty() || sh.file.find('/') != std::string::npos || sh.file == "." ||
        sh.file == "..") {
      r.fail(str_cat("field '", w, "file' = \"", sh.file, "\" is not a plain file name"));
    }
    sh.tokens = r.integer(shards[i], "tokens", w, 1);
    sh.checksum = r.hex(shards[i], "fnv1a64", w);
    sum += sh.tokens;
    s.shards.push_back(std::move(sh));
  }
  if (sum != s.tokens) {
    r.fail(str_cat("split '", name, "' lists ", s.tokens, " tokens but its shards hold ", sum));
  }
  if (s.documents > s.tokens) {
    r.fail(str_cat("split '", name, "' has more documents (", s.documents, ") than tokens (",
                   s.tokens, ")"));
  }
  return s;
}

}  // namespace

std::string hex64(uint64_t v) {
  char buf[17];
  std::snprintf(buf, sizeof(buf), "%016" PRIx64, v);
  return buf;
}

uint64_t fnv1a64(const void* data, size_t size, uint64_t h) {
  const auto* p = static_cast<const uint8_t*>(data);
  for (size_t i = 0; i < size; ++i) {
    h ^= p[i];
    h *= 0x100000001b3ULL;
  }
  return h;
}

const char* token_width_name(TokenWidth width) {
  return width == TokenWidth::kU16 ? "uint16" : "uint32";
}

TokenWidth token_width_for_vocab(int64_t n_vocab) {
  return n_vocab <= 65536 ? TokenWidth::kU16 : TokenWidth::kU32;
}

std::string ShardManifest::to_json() const {
  json sources_json = json::array();
  for (const SourceInfo& s : sources) {
    sources_json.push_back(
        {{"path", s.path}, {"split", s.split}, {"bytes", s.bytes}, {"tokens", s.tokens}});
  }
  json j = {
      {"format", kFormat},
      {"version", kVersion},
      {"dtype", token_width_name(width)},
      {"byte_order", "little"},
      {"n_vocab", n_vocab},
      {"bos_id", bos_id},
      {"separator", "bos"},
      {"tokenizer", {{"path", tokenizer_path}, {"fingerprint", hex64(tokenizer_fingerprint)}}},
      {"seed", seed},
      {"val_fraction", val_fraction},
      {"shard_tokens", shard_tokens},
      {"total_tokens", total_tokens()},
      {"total_documents", total_documents()},
      {"skipped_documents", skipped_documents},
      {"splits", {{"train", split_to_json(train)}, {"val", split_to_json(val)}}},
      {"sources", sources_json}};
  return j.dump(2) + "\n";
}

ShardManifest ShardManifest::from_json(const std::string& text, const std::string& path) {
  Reader r(path);
  json j;
  try {
    j = json::parse(text);
  } catch (const json::exception& e) {
    r.fail(str_cat("not valid JSON: ", e.what()));
  }
  if (r.string(j, "format", "") != kFormat) {
    r.fail(str_cat("field 'format' is not \"", kFormat, "\""));
  }
  int64_t version = r.integer(j, "version", "", 0);
  if (version != kVersion) {
    r.fail(str_cat("version ", version, " is not supported (this llmkit reads version ", kVersion,
                   ")"));
  }
  ShardManifest m;
  std::string dtype = r.string(j, "dtype", "");
  if (dtype == "uint16") {
    m.width = TokenWidth::kU16;
  } else if (dtype == "uint32") {
    m.width = TokenWidth::kU32;
  } else {
    r.fail(str_cat("dtype \"", dtype, "\" is not uint16 or uint32"));
  }
  if (r.string(j, "byte_order", "") != "little") r.fail("byte_order is not \"little\"");
  m.n_vocab = r.integer(j, "n_vocab", "", 1);
  if (m.width == TokenWidth::kU16 && m.n_vocab > 65536) {
    r.fail(str_cat("n_vocab ", m.n_vocab, " does not fit dtype uint16"));
  }
  if (m.n_vocab > INT32_MAX) r.fail(str_cat("n_vocab ", m.n_vocab, " is too large"));
  m.bos_id = static_cast<int32_t>(r.integer(j, "bos_id", "", 0));
  if (m.bos_id >= m.n_vocab) r.fail(str_cat("bos_id ", m.bos_id, " >= n_vocab ", m.n_vocab));
  const json& tok = r.field(j, "tokenizer", "");
  m.tokenizer_path = r.string(tok, "path", "tokenizer.");
  m.tokenizer_fingerprint = r.hex(tok, "fingerprint", "tokenizer.");
  const json& seed = r.field(j, "seed", "");
  if (!seed.is_number_integer() || (!seed.is_number_unsigned() && seed.get<int64_t>() < 0)) {
    r.fail("field 'seed' is not a non-negative integer");
  }
  m.seed = seed.get<uint64_t>();
  const json& vf = r.field(j, "val_fraction", "");
  if (!vf.is_number()) r.fail("field 'val_fraction' is not a number");
  m.val_fraction = vf.get<double>();
  m.shard_tokens = r.integer(j, "shard_tokens", "", 1);
  m.skipped_documents = r.integer(j, "skipped_documents", "", 0);
  const json& splits = r.field(j, "splits", "");
  m.train = split_from_json(r, r.field(splits, "train", "splits."), "train");
  m.val = split_from_json(r, r.field(splits, "val", "splits."), "val");
  if (r.integer(j, "total_tokens", "", 0) != m.total_tokens()) {
    r.fail("total_tokens is not the sum of the splits' tokens");
  }
  if (r.integer(j, "total_documents", "", 0) != m.total_documents()) {
    r.fail("total_documents is not the sum of the splits' documents");
  }
  const json& sources = r.field(j, "sources", "");
  if (!sources.is_array()) r.fail("field 'sources' is not an array");
  for (size_t i = 0; i < sources.size(); ++i) {
    std::string w = str_cat("sources[", i, "].");
    SourceInfo s;
    s.path = r.string(sources[i], "path", w);
    s.split = r.string(sources[i], "split", w);
    if (s.split != "train" && s.split != "val" && s.split != "skipped") {
      r.fail(str_cat("field '", w, "split' = \"", s.split, "\" is not train, val or skipped"));
    }
    s.bytes = r.integer(sources[i], "bytes", w, 0);
    s.tokens = r.integer(sources[i], "tokens", w, 0);
    m.sources.push_back(std::move(s));
  }
  return m;
}

ShardWriter::ShardWriter(std::string dir, std::string prefix, TokenWidth width,
                         int64_t shard_tokens)
    : dir_(std::move(dir)), prefix_(std::move(prefix)), width_(width), shard_tokens_(shard_tokens) {
  LLMKIT_CHECK(shard_tokens_ > 0, "ShardWriter: shard_tokens must be positive, got ",
               shard_tokens_);
}

void ShardWriter::add_document(int32_t bos, std::span<const int32_t> ids) {
  ++info_.documents;
  push(bos);
  for (int32_t id : ids) push(id);
}

SplitInfo ShardWriter::finish() {
  if (!buffer_.empty()) flush();
  return info_;
}

void ShardWriter::push(int32_t id) {
  buffer_.push_back(id);
  if (static_cast<int64_t>(buffer_.size()) == shard_tokens_) flush();
}

void ShardWriter::flush() {
  const size_t w = static_cast<size_t>(width_);
  std::string bytes(buffer_.size() * w, '\0');
  for (size_t i = 0; i < buffer_.size(); ++i) {
    auto v = static_cast<uint32_t>(buffer_[i]);
    for (size_t b = 0; b < w; ++b) bytes[i * w + b] = static_cast<char>((v >> (8 * b)) & 0xff);
  }
  char name[64];
  std::snprintf(name, sizeof(name), "%s_%03zu.bin", prefix_.c_str(), info_.shards.size());
  write_file_atomic((std::filesystem::path(dir_) / name).string(), bytes);
  ShardInfo shard{name, static_cast<int64_t>(buffer_.size()), fnv1a64(bytes.data(), bytes.size())};
  info_.tokens += shard.tokens;
  info_.shards.push_back(shard);
  buffer_.clear();
}

void remove_stale_shards(const std::string& dir, const ShardManifest& m) {
  namespace fs = std::filesystem;
  std::set<std::string> keep;
  for (const SplitInfo* s : {&m.train, &m.val}) {
    for (const ShardInfo& sh : s->shards) keep.insert(sh.file);
  }
  std::error_code ec;
  for (const fs::directory_entry& e : fs::directory_iterator(dir, ec)) {
    std::string name = e.path().filename().string();
    bool shard_name = false;
    for (const char* prefix : {"train_", "val_"}) {
      std::string p = prefix;
      if (name.size() > p.size() + 4 && name.compare(0, p.size(), p) == 0 &&
          name.compare(name.size() - 4, 4, ".bin") == 0 &&
          std::all_of(name.begin() + static_cast<std::ptrdiff_t>(p.size()), name.end() - 4,
                      [](char c) { return c >= '0' && c <= '9'; })) {
        shard_name = true;
      }
    }
    if (shard_name && keep.count(name) == 0) {
      std::error_code rm;
      fs::remove(e.path(), rm);
    }
  }
}

}  // namespace llmkit::train
