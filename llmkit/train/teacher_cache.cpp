#include "llmkit/train/teacher_cache.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <vector>

#include "llmkit/base/error.h"
#include "llmkit/tensor/dtype.h"
#include "llmkit/train/shard_manifest.h"

namespace llmkit::train {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;

constexpr char kMagic[8] = {'L', 'L', 'M', 'K', 'T', 'K', 'C', '1'};
constexpr int64_t kPreamble = 12;  // magic + u32 header_json_bytes
constexpr int64_t kAlign = 64;
constexpr int64_t kMaxDim = INT32_MAX;

const char* const kRebuild = "rebuild the cache (delete the file or pass a new --cache path)";

// Explicit little-endian encoding: the file reads the same on any host.
void put_u16(uint8_t* p, uint16_t v) {
  p[0] = static_cast<uint8_t>(v);
  p[1] = static_cast<uint8_t>(v >> 8);
}
void put_u32(uint8_t* p, uint32_t v) {
  for (int b = 0; b < 4; ++b) p[b] = static_cast<uint8_t>(v >> (8 * b));
}
void put_u64(uint8_t* p, uint64_t v) {
  for (int b = 0; b < 8; ++b) p[b] = static_cast<uint8_t>(v >> (8 * b));
}
uint16_t get_u16(const uint8_t* p) {
  return static_cast<uint16_t>(p[0] | (p[1] << 8));
}
uint32_t get_u32(const uint8_t* p) {
  uint32_t v = 0;
  for (int b = 3; b >= 0; --b) v = (v << 8) | p[b];
  return v;
}
uint64_t get_u64(const uint8_t* p) {
  uint64_t v = 0;
  for (int b = 7; b >= 0; --b) v = (v << 8) | p[b];
  return v;
}

// Bytes of one record for a key whose dimensions are already validated (each in [1, 2^31)).
int64_t record_bytes_for(const TeacherCacheKey& key, const std::string& where) {
  int64_t rows = 0, n = 0, bytes = 0;
  bool overflow = __builtin_mul_overflow(key.batch, key.seq, &rows) ||
                  __builtin_mul_overflow(rows, key.k, &n) ||
                  __builtin_mul_overflow(n, int64_t{6}, &bytes) ||
                  __builtin_add_overflow(bytes, 8 + 4 * rows, &bytes);
  LLMKIT_CHECK_CODE(!overflow, ErrorCode::kInvalidArgument, where, ": batch ", key.batch, " x seq ",
                    key.seq, " x k ", key.k, " is too large for one record");
  return bytes;
}

// Empty when the key is usable, else what is wrong with it.
std::string key_problem(const TeacherCacheKey& key) {
  auto dim_ok = [](int64_t v) { return v >= 1 && v <= kMaxDim; };
  if (!dim_ok(key.batch)) return str_cat("batch ", key.batch, " is not in [1, 2^31)");
  if (!dim_ok(key.seq)) return str_cat("seq ", key.seq, " is not in [1, 2^31)");
  if (!dim_ok(key.n_vocab)) return str_cat("n_vocab ", key.n_vocab, " is not in [1, 2^31)");
  if (key.k < 1 || key.k > key.n_vocab) {
    return str_cat("k ", key.k, " is not in [1, n_vocab = ", key.n_vocab, "]");
  }
  if (!(std::isfinite(key.temperature) && key.temperature > 0.0f)) {
    return str_cat("temperature ", key.temperature, " is not a positive number");
  }
  return {};
}

// The header: magic, u32 length, JSON padded with spaces so that records start at a multiple of
// 64 bytes.
std::vector<uint8_t> encode_header(const TeacherCacheKey& key) {
  json j = {{"teacher_checksum", hex64(key.teacher_checksum)},
            {"tokenizer_fingerprint", hex64(key.tokenizer_fingerprint)},
            {"seed", key.seed},
            {"batch", key.batch},
            {"seq", key.seq},
            {"k", key.k},
            {"temperature", key.temperature},
            {"n_vocab", key.n_vocab}};
  std::string text = j.dump();
  int64_t total = kPreamble + static_cast<int64_t>(text.size());
  total = (total + kAlign - 1) / kAlign * kAlign;
  text.resize(static_cast<size_t>(total - kPreamble), ' ');
  std::vector<uint8_t> out(static_cast<size_t>(total));
  std::memcpy(out.data(), kMagic, 8);
  put_u32(out.data() + 8, static_cast<uint32_t>(text.size()));
  std::memcpy(out.data() + kPreamble, text.data(), text.size());
  return out;
}

[[noreturn]] void corrupt(const std::string& path, const std::string& what) {
  throw_error(ErrorCode::kCorruptData,
              str_cat("teacher cache '", path, "': ", what, "; ", kRebuild));
}

uint64_t parse_hex(const std::string& path, const json& j, const char* name) {
  auto it = j.find(name);
  if (it == j.end() || !it->is_string() || it->get<std::string>().size() != 16) {
    corrupt(path, str_cat("header field '", name, "' is missing or not 16 hex digits"));
  }
  uint64_t v = 0;
  for (char c : it->get<std::string>()) {
    int d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
    if (d < 0) corrupt(path, str_cat("header field '", name, "' is not 16 lowercase hex digits"));
    v = (v << 4) | static_cast<uint64_t>(d);
  }
  return v;
}

int64_t parse_int(const std::string& path, const json& j, const char* name) {
  auto it = j.find(name);
  if (it == j.end() || !it->is_number_integer() ||
      (it->is_number_unsigned() && it->get<uint64_t>() > static_cast<uint64_t>(INT64_MAX))) {
    corrupt(path, str_cat("header field '", name, "' is missing or not an integer"));
  }
  return it->get<int64_t>();
}

struct ParsedHeader {
  TeacherCacheKey key;
  int64_t header_bytes = 0;
};

// Parses the header at the start of bytes[0, size). Throws kCorruptData naming path.
ParsedHeader parse_header(const std::string& path, const uint8_t* bytes, int64_t size) {
  if (size < kPreamble || std::memcmp(bytes, kMagic, 8) != 0) {
    corrupt(path, size < kPreamble ? "the file is too short to hold a header"
                                   : "bad magic (not an llmkit teacher cache)");
  }
  int64_t json_bytes = get_u32(bytes + 8);
  if (kPreamble + json_bytes > size) corrupt(path, "the header is truncated");
  json j = json::parse(bytes + kPreamble, bytes + kPreamble + json_bytes, nullptr, false);
  if (j.is_discarded() || !j.is_object()) corrupt(path, "the header is not a JSON object");
  ParsedHeader h;
  h.header_bytes = kPreamble + json_bytes;
  h.key.teacher_checksum = parse_hex(path, j, "teacher_checksum");
  h.key.tokenizer_fingerprint = parse_hex(path, j, "tokenizer_fingerprint");
  auto seed = j.find("seed");
  if (seed == j.end() || !seed->is_number_unsigned()) {
    corrupt(path, "header field 'seed' is missing or not an unsigned integer");
  }
  h.key.seed = seed->get<uint64_t>();
  h.key.batch = parse_int(path, j, "batch");
  h.key.seq = parse_int(path, j, "seq");
  h.key.k = parse_int(path, j, "k");
  h.key.n_vocab = parse_int(path, j, "n_vocab");
  auto tau = j.find("temperature");
  if (tau == j.end() || !tau->is_number()) {
    corrupt(path, "header field 'temperature' is missing or not a number");
  }
  h.key.temperature = tau->get<float>();
  std::string problem = key_problem(h.key);
  if (!problem.empty()) corrupt(path, "header: " + problem);
  return h;
}

// "; "-separated description of every field where `stored` differs from `wanted`; empty if none.
std::string key_differences(const TeacherCacheKey& stored, const TeacherCacheKey& wanted) {
  std::string out;
  auto add = [&out](const std::string& s) { out += (out.empty() ? "" : "; ") + s; };
  if (stored.teacher_checksum != wanted.teacher_checksum) {
    add(str_cat("it was made by another teacher (teacher checksum ", hex64(stored.teacher_checksum),
                " in the cache, ", hex64(wanted.teacher_checksum), " now)"));
  }
  if (stored.tokenizer_fingerprint != wanted.tokenizer_fingerprint) {
    add(str_cat("it was made from data of another tokenizer (tokenizer fingerprint ",
                hex64(stored.tokenizer_fingerprint), " in the cache, ",
                hex64(wanted.tokenizer_fingerprint), " now)"));
  }
  auto field = [&add](const char* name, auto a, auto b) {
    if (a != b) add(str_cat(name, " ", a, " in the cache, ", b, " now"));
  };
  field("data loader seed", stored.seed, wanted.seed);
  field("batch size (batch)", stored.batch, wanted.batch);
  field("sequence length (seq)", stored.seq, wanted.seq);
  field("top-k (k)", stored.k, wanted.k);
  field("temperature", stored.temperature, wanted.temperature);
  field("vocabulary size (n_vocab)", stored.n_vocab, wanted.n_vocab);
  return out;
}

void fsync_parent_dir(const std::string& path) {
  fs::path parent = fs::path(path).parent_path();
  std::string dir = parent.empty() ? "." : parent.string();
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd >= 0) {
    ::fsync(fd);
    ::close(fd);
  }
}

}  // namespace

uint64_t batch_inputs_hash(const Tensor& inputs) {
  LLMKIT_CHECK(inputs.dtype() == DType::kI32,
               "batch_inputs_hash: inputs must be i32 token ids, got ", dtype_name(inputs.dtype()));
  std::vector<int32_t> ids = inputs.to_int_vector();
  std::vector<uint8_t> bytes(ids.size() * 4);
  for (size_t i = 0; i < ids.size(); ++i)
    put_u32(bytes.data() + 4 * i, static_cast<uint32_t>(ids[i]));
  return fnv1a64(bytes.data(), bytes.size());
}

// ---------------------------------------------------------------------------------------------
// Writer

TeacherCacheWriter::TeacherCacheWriter(std::string path, const TeacherCacheKey& key)
    : path_(std::move(path)), key_(key) {
  std::string problem = key_problem(key_);
  LLMKIT_CHECK(problem.empty(), "teacher cache '", path_, "': ", problem);
  const int64_t record_bytes = record_bytes_for(key_, "teacher cache '" + path_ + "'");
  const std::string partial = path_ + ".partial";
  std::error_code ec;
  fs::path parent = fs::path(path_).parent_path();
  if (!parent.empty()) {
    fs::create_directories(parent, ec);
    LLMKIT_CHECK_CODE(!ec, ErrorCode::kIo, "cannot create folder '", parent.string(),
                      "' for the teacher cache: ", ec.message());
  }

  const std::vector<uint8_t> header = encode_header(key_);
  bool resume = false;
  if (fs::exists(partial)) {
    const int64_t size = static_cast<int64_t>(fs::file_size(partial));
    std::vector<uint8_t> head;
    {
      MappedFile mapped(partial);
      head.assign(mapped.data(), mapped.data() + std::min<int64_t>(size, 1 << 20));
    }
    const int64_t head_size = static_cast<int64_t>(head.size());
    const bool magic_prefix =
        head_size == 0 ||
        std::memcmp(head.data(), kMagic, static_cast<size_t>(std::min<int64_t>(head_size, 8))) == 0;
    const bool torn_header =
        magic_prefix && (head_size < kPreamble || kPreamble + get_u32(head.data() + 8) > size);
    if (!torn_header) {  // a torn header holds no records: start over
      ParsedHeader h = parse_header(partial, head.data(), head_size);
      std::string diff = key_differences(h.key, key_);
      LLMKIT_CHECK(diff.empty(), "unfinished teacher cache '", partial,
                   "' was started with other options: ", diff,
                   ". Delete it to start a new cache, or pass the original options to continue it");
      records_ = (size - h.header_bytes) / record_bytes;
      const int64_t keep = h.header_bytes + records_ * record_bytes;
      if (keep != size) {  // cut off a torn record
        fs::resize_file(partial, static_cast<uintmax_t>(keep), ec);
        LLMKIT_CHECK_CODE(!ec, ErrorCode::kIo, "cannot truncate '", partial, "': ", ec.message());
      }
      resume = true;
    }
  }
  file_ = std::fopen(partial.c_str(), resume ? "ab" : "wb");
  LLMKIT_CHECK_CODE(file_ != nullptr, ErrorCode::kIo, "cannot open '", partial,
                    "' for writing: ", std::strerror(errno));
  if (!resume) {
    bool ok = std::fwrite(header.data(), 1, header.size(), file_) == header.size() &&
              std::fflush(file_) == 0;
    if (!ok) {
      int err = errno;
      std::fclose(file_);
      file_ = nullptr;
      throw_error(ErrorCode::kIo, str_cat("cannot write '", partial, "': ", std::strerror(err)));
    }
  }
}

TeacherCacheWriter::~TeacherCacheWriter() {
  if (file_ != nullptr) std::fclose(file_);  // leaves <path>.partial to be continued
}

void TeacherCacheWriter::append(uint64_t inputs_hash, const TeacherTargets& t) {
  const std::string partial = path_ + ".partial";
  LLMKIT_CHECK(file_ != nullptr, "teacher cache '", path_, "': append after finish()");
  const int64_t rows = key_.batch * key_.seq;
  LLMKIT_CHECK(!t.dense(), "teacher cache '", path_,
               "': dense targets cannot be cached; use top-k targets (ids present)");
  LLMKIT_CHECK(t.rows == rows && t.k == key_.k, "teacher cache '", path_, "': targets have rows ",
               t.rows, " and k ", t.k, ", the cache expects rows ", rows, " (batch ", key_.batch,
               " x seq ", key_.seq, ") and k ", key_.k);
  LLMKIT_CHECK(t.n_vocab == key_.n_vocab && t.temperature == key_.temperature, "teacher cache '",
               path_, "': targets have n_vocab ", t.n_vocab, " and temperature ", t.temperature,
               ", the cache expects ", key_.n_vocab, " and ", key_.temperature);
  const size_t n = static_cast<size_t>(rows * key_.k);
  LLMKIT_CHECK(t.ids.size() == n && t.log_probs.size() == n &&
                   t.log_tail.size() == static_cast<size_t>(rows),
               "teacher cache '", path_, "': targets' arrays have sizes ids ", t.ids.size(),
               ", log_probs ", t.log_probs.size(), ", log_tail ", t.log_tail.size(), "; expected ",
               n, ", ", n, ", ", rows);
  std::vector<uint8_t> rec(8 + 6 * n + 4 * static_cast<size_t>(rows));
  put_u64(rec.data(), inputs_hash);
  uint8_t* ids = rec.data() + 8;
  uint8_t* lp = ids + 4 * n;
  uint8_t* tail = lp + 2 * n;
  for (size_t i = 0; i < n; ++i) {
    LLMKIT_CHECK(t.ids[i] >= 0 && t.ids[i] < key_.n_vocab, "teacher cache '", path_,
                 "': target id ", t.ids[i], " is outside the vocabulary [0, ", key_.n_vocab, ")");
    put_u32(ids + 4 * i, static_cast<uint32_t>(t.ids[i]));
    put_u16(lp + 2 * i, f32_to_f16(t.log_probs[i]));
  }
  for (int64_t r = 0; r < rows; ++r) put_u32(tail + 4 * r, f32_bits(t.log_tail[r]));
  bool ok = std::fwrite(rec.data(), 1, rec.size(), file_) == rec.size() && std::fflush(file_) == 0;
  LLMKIT_CHECK_CODE(ok, ErrorCode::kIo, "cannot write record ", records_, " to '", partial,
                    "': ", std::strerror(errno));
  ++records_;
}

void TeacherCacheWriter::finish() {
  LLMKIT_CHECK(file_ != nullptr, "teacher cache '", path_, "': finish() called twice");
  const std::string partial = path_ + ".partial";
  std::FILE* f = file_;
  file_ = nullptr;
  bool ok = std::fflush(f) == 0 && ::fsync(::fileno(f)) == 0;
  int err = errno;
  ok = std::fclose(f) == 0 && ok;
  LLMKIT_CHECK_CODE(ok, ErrorCode::kIo, "cannot flush '", partial, "': ", std::strerror(err));
  if (::rename(partial.c_str(), path_.c_str()) != 0) {
    throw_error(ErrorCode::kIo,
                str_cat("cannot rename '", partial, "' to '", path_, "': ", std::strerror(errno)));
  }
  fsync_parent_dir(path_);
}

// ---------------------------------------------------------------------------------------------
// Reader

TeacherCache::TeacherCache(const std::string& path, const TeacherCacheKey& expected) {
  if (!fs::exists(path) && fs::exists(path + ".partial")) {
    throw_error(ErrorCode::kNotFound,
                str_cat("teacher cache '", path, "' is not finished (only '", path,
                        ".partial' exists); run the cache build again to complete it"));
  }
  file_ = std::make_shared<MappedFile>(path);
  const int64_t size = static_cast<int64_t>(file_->size());
  ParsedHeader h = parse_header(path, file_->data(), size);
  key_ = h.key;
  header_bytes_ = h.header_bytes;
  record_bytes_ = record_bytes_for(key_, "teacher cache '" + path + "'");
  if ((size - header_bytes_) % record_bytes_ != 0) {
    corrupt(path, str_cat("its size ", size, " is not the header (", header_bytes_,
                          " bytes) plus whole records of ", record_bytes_,
                          " bytes: the file is truncated or damaged"));
  }
  records_ = (size - header_bytes_) / record_bytes_;
  std::string diff = key_differences(key_, expected);
  LLMKIT_CHECK(diff.empty(), "teacher cache '", path, "' does not fit this run: ", diff, "; ",
               kRebuild);
}

std::unique_ptr<TeacherCache> TeacherCache::open(const std::string& path,
                                                 const TeacherCacheKey& expected) {
  return std::make_unique<TeacherCache>(path, expected);
}

TeacherTargets TeacherCache::read(int64_t i, uint64_t inputs_hash) const {
  const std::string& path = file_->path();
  LLMKIT_CHECK_CODE(i >= 0 && i < records_, ErrorCode::kOutOfRange, "teacher cache '", path,
                    "' covers only ", records_, " batches; batch ", i,
                    " is not in it (was the run made longer?); ", kRebuild);
  const uint8_t* rec = file_->data() + header_bytes_ + i * record_bytes_;
  const uint64_t stored = get_u64(rec);
  LLMKIT_CHECK(stored == inputs_hash, "teacher cache '", path, "': batch ", i,
               " has other input tokens than the cache was made from (inputs hash ", hex64(stored),
               " in the cache, ", hex64(inputs_hash),
               " now): the data or the batch order changed; ", kRebuild);
  TeacherTargets t;
  t.rows = key_.batch * key_.seq;
  t.k = key_.k;
  t.n_vocab = key_.n_vocab;
  t.temperature = key_.temperature;
  const size_t n = static_cast<size_t>(t.rows * t.k);
  const uint8_t* ids = rec + 8;
  const uint8_t* lp = ids + 4 * n;
  const uint8_t* tail = lp + 2 * n;
  t.ids.resize(n);
  t.log_probs.resize(n);
  t.log_tail.resize(static_cast<size_t>(t.rows));
  for (size_t j = 0; j < n; ++j) {
    t.ids[j] = static_cast<int32_t>(get_u32(ids + 4 * j));
    if (t.ids[j] < 0 || t.ids[j] >= t.n_vocab) {
      corrupt(path, str_cat("record ", i, " holds id ", t.ids[j], " outside the vocabulary [0, ",
                            t.n_vocab, ")"));
    }
    t.log_probs[j] = f16_to_f32(get_u16(lp + 2 * j));
  }
  for (int64_t r = 0; r < t.rows; ++r) t.log_tail[r] = bits_f32(get_u32(tail + 4 * r));
  return t;
}

int64_t TeacherCache::file_bytes() const {
  return static_cast<int64_t>(file_->size());
}

}  // namespace llmkit::train
