// TeacherCache: the teacher's top-K log-probs for every micro-batch of a training run, computed
// once and stored on disk so that later students train without running the teacher.
//
// A cache belongs to one (teacher, data, batch order): its header records the teacher's checksum,
// the data's tokenizer fingerprint, the loader's seed, B and T, K and tau. Record i holds the
// TeacherTargets of micro-batch i (the i-th DataLoader::next() from the start of the run) and an
// FNV-1a 64 hash of that batch's input ids, checked on read so a cache can never silently be
// applied to other tokens.
//
// File layout (little-endian):
//   header  "LLMKTKC1" (8 bytes), then u32 header_json_bytes, then that many bytes of JSON:
//           {"teacher_checksum": "<16 hex>", "tokenizer_fingerprint": "<16 hex>", "seed": s,
//            "batch": B, "seq": T, "k": K, "temperature": tau, "n_vocab": V}
//           padded with spaces (counted in header_json_bytes) so that the records start at a
//           multiple of 64 bytes; seed is a JSON unsigned integer, temperature a JSON number
//   records fixed size: u64 inputs_hash, i32 ids[B*T*K], f16 log_probs[B*T*K], f32 log_tail[B*T]
//           (log-probs in f16: their error, < 1e-3 relative, is far below the noise of training)
//
// Writing is resumable and crash-safe: records are appended to <path>.partial (header first);
// opening a .partial with the same header continues after its last complete record (a torn record
// is cut off; a .partial whose header itself is torn holds no records and is started over);
// finish() fsyncs it and renames it to <path> atomically, so an older <path> stays readable until
// then. A reader opens only a finished file.
#pragma once

#include <cstdint>
#include <cstdio>
#include <memory>
#include <string>

#include "llmkit/base/mmap_file.h"
#include "llmkit/train/distill_loss.h"

namespace llmkit::train {

struct TeacherCacheKey {
  uint64_t teacher_checksum = 0;
  uint64_t tokenizer_fingerprint = 0;
  uint64_t seed = 0;
  int64_t batch = 0;
  int64_t seq = 0;
  int64_t k = 0;
  float temperature = 1.0f;
  int64_t n_vocab = 0;
  bool operator==(const TeacherCacheKey&) const = default;
};

// FNV-1a 64 of the batch's input ids (i32 [B, T], any layout; hashed row-major as 4-byte
// little-endian values).
uint64_t batch_inputs_hash(const Tensor& inputs);

class TeacherCacheWriter {
 public:
  // Creates <path>.partial, or continues one whose header equals key (records() tells how many are
  // already there). A .partial with another key: Error(kInvalidArgument) naming both and saying
  // to delete it or pass the original options.
  TeacherCacheWriter(std::string path, const TeacherCacheKey& key);
  ~TeacherCacheWriter();
  int64_t records() const { return records_; }
  // Appends one record; targets must have rows == B*T, k == key.k, n_vocab and temperature equal
  // to the key's, sparse (ids present, each in [0, n_vocab)); else Error(kInvalidArgument).
  // Flushed to the OS per record (not fsync'ed: after a crash resume recomputes what was lost).
  void append(uint64_t inputs_hash, const TeacherTargets& targets);
  // Flushes, fsyncs and renames <path>.partial to <path> (replacing an older <path>). The writer
  // accepts no records after it. Destroying an unfinished writer leaves <path>.partial to resume.
  void finish();

 private:
  std::string path_;
  TeacherCacheKey key_;
  std::FILE* file_ = nullptr;
  int64_t records_ = 0;
};

class TeacherCache {
 public:
  // Opens a finished cache. Errors: kNotFound (missing; says so when only <path>.partial exists),
  // kCorruptData (bad magic, header, size not header + n records), kInvalidArgument when expected
  // does not equal the stored key (naming each differing field: "made by another teacher (teacher
  // checksum ...)", tokenizer fingerprint, seed, batch, seq, top-k (k), temperature, n_vocab),
  // each message saying to rebuild the cache (delete the file or pass a new --cache path).
  TeacherCache(const std::string& path, const TeacherCacheKey& expected);
  static std::unique_ptr<TeacherCache> open(const std::string& path,
                                            const TeacherCacheKey& expected);

  int64_t records() const { return records_; }
  const TeacherCacheKey& key() const { return key_; }
  // Record i (0 <= i < records(), else kOutOfRange saying the cache covers only records() batches);
  // inputs_hash must equal the stored one, else kInvalidArgument (the data changed). An id outside
  // [0, n_vocab) in the record: kCorruptData. Log-probs come back rounded to f16.
  TeacherTargets read(int64_t i, uint64_t inputs_hash) const;
  int64_t file_bytes() const;

 private:
  std::shared_ptr<MappedFile> file_;
  TeacherCacheKey key_;
  int64_t header_bytes_ = 0;
  int64_t record_bytes_ = 0;
  int64_t records_ = 0;
};

}  // namespace llmkit::train
