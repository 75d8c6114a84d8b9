// Tests of the teacher top-K cache: records written by TeacherCacheWriter and read back by
// TeacherCache (ids and tails exact, log-probs within the f16 rounding bound of IEEE binary16), the
// file layout checked by an independent byte-level parser, resume after a simulated crash with a
// torn record, atomic replacement of an older cache, and the errors for a mismatched key, changed
// data, out-of-range records and damaged files.
#include "llmkit/train/teacher_cache.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <nlohmann/json.hpp>
#include <numeric>
#include <random>

#include "data_test_util.h"

namespace llmkit::train {
namespace {

using namespace testing;  // NOLINT: the helpers of data_test_util.h

TeacherCacheKey make_key() {
  TeacherCacheKey key;
  key.teacher_checksum = 0x0123456789abcdefULL;
  key.tokenizer_fingerprint = 0xfedcba9876543210ULL;
  key.seed = 42;
  key.batch = 2;
  key.seq = 3;
  key.k = 5;  // odd: records are not a multiple of 4 bytes
  key.temperature = 0.7f;
  key.n_vocab = 37;
  return key;
}

int64_t rows_of(const TeacherCacheKey& key) {
  return key.batch * key.seq;
}

// Bytes of one record from the layout in the header comment.
int64_t record_bytes(const TeacherCacheKey& key) {
  const int64_t rows = rows_of(key);
  return 8 + 4 * rows * key.k + 2 * rows * key.k + 4 * rows;
}

// Random top-K style targets: distinct ids per row; log-probs spanning f16 subnormals (|x| <
// 2^-14), normals and large magnitudes; tails including the -1e30 "nothing remains" sentinel.
TeacherTargets random_targets(const TeacherCacheKey& key, uint32_t seed) {
  std::mt19937 rng(seed);
  TeacherTargets t;
  t.rows = rows_of(key);
  t.k = key.k;
  t.n_vocab = key.n_vocab;
  t.temperature = key.temperature;
  std::vector<int32_t> perm(static_cast<size_t>(key.n_vocab));
  std::uniform_real_distribution<float> unit(0.0f, 1.0f);
  for (int64_t r = 0; r < t.rows; ++r) {
    std::iota(perm.begin(), perm.end(), 0);
    std::shuffle(perm.begin(), perm.end(), rng);
    for (int64_t j = 0; j < t.k; ++j) {
      t.ids.push_back(perm[static_cast<size_t>(j)]);
      const float scale = std::pow(10.0f, -7.0f + 10.0f * unit(rng));  // 1e-7 .. 1e3
      t.log_probs.push_back(-scale * unit(rng));
    }
    t.log_tail.push_back(r % 3 == 0 ? -1e30f : std::log(unit(rng) + 1e-9f));
  }
  return t;
}

uint64_t fnv1a64_ref(const std::vector<int32_t>& ids) {
  uint64_t h = 0xcbf29ce484222325ULL;
  for (int32_t id : ids) {
    const uint32_t u = static_cast<uint32_t>(id);
    for (int b = 0; b < 4; ++b) {
      h ^= (u >> (8 * b)) & 0xffu;
      h *= 0x100000001b3ULL;
    }
  }
  return h;
}

// IEEE binary16 -> float from the format's definition.
float f16_ref(uint16_t h) {
  const int sign = h >> 15, exp = (h >> 10) & 31, man = h & 1023;
  double v = exp == 0    ? std::ldexp(static_cast<double>(man), -24)
             : exp == 31 ? (man != 0 ? NAN : INFINITY)
                         : std::ldexp(static_cast<double>(man + 1024), exp - 25);
  return static_cast<float>(sign ? -v : v);
}

// Round-to-nearest into f16 errs by at most half an ulp: |x| 2^-11 for normals, 2^-25 below 2^-14.
void expect_f16_close(float got, float want, const std::string& where) {
  const double bound =
      std::max(std::fabs(static_cast<double>(want)) * std::ldexp(1.0, -11), std::ldexp(1.0, -25));
  EXPECT_LE(std::fabs(static_cast<double>(got) - want), bound)
      << where << ": " << got << " vs " << want;
}

void expect_targets(const TeacherTargets& got, const TeacherTargets& want, const std::string& at) {
  ASSERT_EQ(got.rows, want.rows) << at;
  EXPECT_EQ(got.k, want.k) << at;
  EXPECT_EQ(got.n_vocab, want.n_vocab) << at;
  EXPECT_EQ(got.temperature, want.temperature) << at;
  EXPECT_FALSE(got.dense()) << at;
  EXPECT_EQ(got.ids, want.ids) << at;
  ASSERT_EQ(got.log_tail.size(), want.log_tail.size()) << at;
  for (size_t r = 0; r < want.log_tail.size(); ++r) {
    EXPECT_EQ(std::memcmp(&got.log_tail[r], &want.log_tail[r], 4), 0) << at << " tail " << r;
  }
  ASSERT_EQ(got.log_probs.size(), want.log_probs.size()) << at;
  for (size_t j = 0; j < want.log_probs.size(); ++j) {
    expect_f16_close(got.log_probs[j], want.log_probs[j], at + " log_prob " + std::to_string(j));
  }
}

uint64_t hash_of(int i) {
  return 0x9e3779b97f4a7c15ULL * static_cast<uint64_t>(i + 1);
}

// Writes records [0, n) of targets random_targets(key, seed0 + i) with hash_of(i) and finishes.
std::vector<TeacherTargets> write_cache(const std::string& path, const TeacherCacheKey& key, int n,
                                        uint32_t seed0 = 0) {
  std::vector<TeacherTargets> all;
  TeacherCacheWriter w(path, key);
  EXPECT_EQ(w.records(), 0);
  for (int i = 0; i < n; ++i) {
    all.push_back(random_targets(key, seed0 + static_cast<uint32_t>(i)));
    w.append(hash_of(i), all.back());
  }
  EXPECT_EQ(w.records(), n);
  w.finish();
  return all;
}

void append_bytes(const std::string& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::app);
  out << bytes;
}

TEST(TeacherCache, RoundTrip) {
  TempDir tmp;
  const TeacherCacheKey key = make_key();
  const std::string path = tmp.file("nested/dir/teacher.cache");  // parent folders do not exist
  const auto want = write_cache(path, key, 6);
  EXPECT_FALSE(fs::exists(path + ".partial"));
  TeacherCache cache(path, key);
  EXPECT_EQ(cache.records(), 6);
  EXPECT_EQ(cache.key(), key);
  EXPECT_EQ(cache.file_bytes(), static_cast<int64_t>(fs::file_size(path)));
  for (int i = 0; i < 6; ++i)
    expect_targets(cache.read(i, hash_of(i)), want[i], "record " + std::to_string(i));
  auto opened = TeacherCache::open(path, key);
  expect_targets(opened->read(5, hash_of(5)), want[5], "open()");
}

// The bytes on disk, parsed without llmkit: header, JSON fields, record offsets, f16 values.
TEST(TeacherCache, FileLayout) {
  TempDir tmp;
  TeacherCacheKey key = make_key();
  key.seed = 0xffffffffffffff01ULL;  // needs the full u64 range
  const std::string path = tmp.file("t.cache");
  const auto want = write_cache(path, key, 3);
  const std::string bytes = read_bytes(path);
  ASSERT_GE(bytes.size(), 12u);
  EXPECT_EQ(bytes.substr(0, 8), "LLMKTKC1");
  uint32_t json_bytes = 0;
  for (int b = 3; b >= 0; --b) json_bytes = (json_bytes << 8) | static_cast<uint8_t>(bytes[8 + b]);
  const size_t header = 12 + json_bytes;
  EXPECT_EQ(header % 64, 0u);
  const auto j = nlohmann::json::parse(bytes.substr(12, json_bytes));
  EXPECT_EQ(j.at("teacher_checksum"), "0123456789abcdef");
  EXPECT_EQ(j.at("tokenizer_fingerprint"), "fedcba9876543210");
  EXPECT_EQ(j.at("seed").get<uint64_t>(), key.seed);
  EXPECT_EQ(j.at("batch"), key.batch);
  EXPECT_EQ(j.at("seq"), key.seq);
  EXPECT_EQ(j.at("k"), key.k);
  EXPECT_EQ(j.at("temperature").get<float>(), key.temperature);
  EXPECT_EQ(j.at("n_vocab"), key.n_vocab);
  const size_t rb = static_cast<size_t>(record_bytes(key));
  ASSERT_EQ(bytes.size(), header + 3 * rb);
  auto le = [&bytes](size_t at, int n) {
    uint64_t v = 0;
    for (int b = n - 1; b >= 0; --b) v = (v << 8) | static_cast<uint8_t>(bytes[at + b]);
    return v;
  };
  const size_t n = static_cast<size_t>(rows_of(key) * key.k);
  TeacherCache cache(path, key);
  for (int i = 0; i < 3; ++i) {
    const size_t rec = header + i * rb;
    EXPECT_EQ(le(rec, 8), hash_of(i));
    const TeacherTargets got = cache.read(i, hash_of(i));
    for (size_t e = 0; e < n; ++e) {
      EXPECT_EQ(static_cast<int32_t>(le(rec + 8 + 4 * e, 4)), want[i].ids[e]);
      const float stored = f16_ref(static_cast<uint16_t>(le(rec + 8 + 4 * n + 2 * e, 2)));
      expect_f16_close(stored, want[i].log_probs[e], "raw f16");
      EXPECT_EQ(got.log_probs[e], stored);  // the reader decodes f16 exactly
    }
    for (size_t r = 0; r < static_cast<size_t>(rows_of(key)); ++r) {
      uint32_t bits = static_cast<uint32_t>(le(rec + 8 + 6 * n + 4 * r, 4));
      float v;
      std::memcpy(&v, &bits, 4);
      EXPECT_EQ(v, want[i].log_tail[r]);
    }
  }
}

TEST(TeacherCache, ResumeAfterCrashCutsTornRecord) {
  TempDir tmp;
  const TeacherCacheKey key = make_key();
  const std::string path = tmp.file("t.cache"), partial = path + ".partial";
  std::vector<TeacherTargets> want;
  {
    TeacherCacheWriter w(path, key);
    for (int i = 0; i < 3; ++i) {
      want.push_back(random_targets(key, 100 + i));
      w.append(hash_of(i), want.back());
    }
  }  // destroyed without finish(): the crash
  EXPECT_FALSE(fs::exists(path));
  const auto complete = fs::file_size(partial);
  append_bytes(partial, std::string(static_cast<size_t>(record_bytes(key) / 2), '\xab'));
  {
    TeacherCacheWriter w(path, key);
    EXPECT_EQ(w.records(), 3);
    EXPECT_EQ(fs::file_size(partial), complete);  // torn record cut off
    for (int i = 3; i < 5; ++i) {
      want.push_back(random_targets(key, 100 + i));
      w.append(hash_of(i), want.back());
    }
  }
  {
    TeacherCacheWriter w(path, key);  // clean resume (no torn tail)
    EXPECT_EQ(w.records(), 5);
    want.push_back(random_targets(key, 105));
    w.append(hash_of(5), want.back());
    w.finish();
  }
  TeacherCache cache(path, key);
  ASSERT_EQ(cache.records(), 6);
  for (int i = 0; i < 6; ++i)
    expect_targets(cache.read(i, hash_of(i)), want[i], "record " + std::to_string(i));
}

TEST(TeacherCache, TornHeaderStartsOver) {
  TempDir tmp;
  const TeacherCacheKey key = make_key();
  const std::string path = tmp.file("t.cache"), partial = path + ".partial";
  { TeacherCacheWriter w(path, key); }
  fs::resize_file(partial, 20);  // crash while writing the header
  TeacherCacheWriter w(path, key);
  EXPECT_EQ(w.records(), 0);
  const TeacherTargets t = random_targets(key, 7);
  w.append(hash_of(0), t);
  w.finish();
  TeacherCache cache(path, key);
  ASSERT_EQ(cache.records(), 1);
  expect_targets(cache.read(0, hash_of(0)), t, "record 0");
}

TEST(TeacherCache, PartialWithOtherKeyOrForeignFileIsAnError) {
  TempDir tmp;
  TeacherCacheKey key = make_key();
  const std::string path = tmp.file("t.cache");
  { TeacherCacheWriter w(path, key); }
  TeacherCacheKey other = key;
  other.k = 4;
  expect_error([&] { TeacherCacheWriter w(path, other); }, ErrorCode::kInvalidArgument,
               {"t.cache.partial", "top-k", "5 in the cache, 4 now", "Delete", "original options"});
  write_text(tmp.file("x.cache.partial"), std::string(200, 'x'));
  expect_error([&] { TeacherCacheWriter w(tmp.file("x.cache"), key); }, ErrorCode::kCorruptData,
               {"x.cache.partial", "bad magic"});
}

TEST(TeacherCache, KeyMismatchNamesTheField) {
  TempDir tmp;
  const TeacherCacheKey key = make_key();
  const std::string path = tmp.file("t.cache");
  write_cache(path, key, 2);
  struct Case {
    std::function<void(TeacherCacheKey&)> change;
    std::vector<std::string> parts;
  };
  const std::vector<Case> cases = {
      {[](TeacherCacheKey& k) { k.teacher_checksum ^= 1; },
       {"made by another teacher", "0123456789abcdef", "0123456789abcdee"}},
      {[](TeacherCacheKey& k) { k.tokenizer_fingerprint = 1; },
       {"tokenizer fingerprint", "fedcba9876543210", "0000000000000001"}},
      {[](TeacherCacheKey& k) { k.seed = 43; }, {"seed 42 in the cache, 43 now"}},
      {[](TeacherCacheKey& k) { k.batch = 4; }, {"batch", "2 in the cache, 4 now"}},
      {[](TeacherCacheKey& k) { k.seq = 8; }, {"seq", "3 in the cache, 8 now"}},
      {[](TeacherCacheKey& k) { k.k = 6; }, {"top-k", "5 in the cache, 6 now"}},
      {[](TeacherCacheKey& k) { k.temperature = 2.0f; }, {"temperature", "2 now"}},
      {[](TeacherCacheKey& k) { k.n_vocab = 38; }, {"n_vocab", "37 in the cache, 38 now"}},
  };
  for (const Case& c : cases) {
    TeacherCacheKey expected = key;
    c.change(expected);
    std::vector<std::string> parts = c.parts;
    parts.insert(parts.end(), {"t.cache", "rebuild the cache", "--cache"});
    expect_error([&] { TeacherCache cache(path, expected); }, ErrorCode::kInvalidArgument, parts);
  }
  TeacherCacheKey two = key;
  two.seed = 1;
  two.n_vocab = 99;
  expect_error([&] { TeacherCache::open(path, two); }, ErrorCode::kInvalidArgument,
               {"seed", "n_vocab"});
}

TEST(TeacherCache, ReadChecksHashAndRange) {
  TempDir tmp;
  const TeacherCacheKey key = make_key();
  const std::string path = tmp.file("t.cache");
  write_cache(path, key, 3);
  TeacherCache cache(path, key);
  expect_error([&] { cache.read(1, hash_of(2)); }, ErrorCode::kInvalidArgument,
               {"batch 1", "inputs hash", "changed", "rebuild"});
  expect_error([&] { cache.read(3, hash_of(3)); }, ErrorCode::kOutOfRange,
               {"covers only 3 batches", "batch 3"});
  expect_error([&] { cache.read(-1, hash_of(0)); }, ErrorCode::kOutOfRange, {"covers only 3"});
}

TEST(TeacherCache, DamagedFilesAreCorruptData) {
  TempDir tmp;
  const TeacherCacheKey key = make_key();
  const std::string good = tmp.file("good.cache");
  write_cache(good, key, 2);
  const std::string bytes = read_bytes(good);
  auto damaged = [&](const std::string& name, const std::string& contents) {
    write_text(tmp.file(name), contents);
    return tmp.file(name);
  };
  auto expect_corrupt = [&](const std::string& path, const std::string& part) {
    expect_error([&] { TeacherCache cache(path, key); }, ErrorCode::kCorruptData,
                 {path, part, "rebuild"});
  };
  expect_corrupt(damaged("short_record.cache", bytes.substr(0, bytes.size() - 1)), "truncated");
  expect_corrupt(damaged("extra.cache", bytes + "x"), "whole records");
  std::string magic = bytes;
  magic[3] = 'X';
  expect_corrupt(damaged("magic.cache", magic), "bad magic");
  expect_corrupt(damaged("tiny.cache", bytes.substr(0, 10)), "too short");
  expect_corrupt(damaged("header.cache", bytes.substr(0, 40)), "header is truncated");
  std::string json = bytes;
  json[12] = '[';
  expect_corrupt(damaged("json.cache", json), "JSON");
  expect_error([&] { TeacherCache cache(tmp.file("missing.cache"), key); }, ErrorCode::kNotFound,
               {"missing.cache"});
  { TeacherCacheWriter w(tmp.file("unfinished.cache"), key); }
  expect_error([&] { TeacherCache cache(tmp.file("unfinished.cache"), key); }, ErrorCode::kNotFound,
               {"not finished", "unfinished.cache.partial"});
}

// A new cache replaces an older one at the same path only at finish(): until then (and for a
// reader that opened it before) the old one stays readable.
TEST(TeacherCache, OldCacheStaysUntilFinish) {
  TempDir tmp;
  TeacherCacheKey key_a = make_key(), key_b = make_key();
  key_b.seed = 7;
  const std::string path = tmp.file("t.cache");
  const auto want_a = write_cache(path, key_a, 2, 10);
  TeacherCacheWriter w(path, key_b);
  const TeacherTargets b0 = random_targets(key_b, 20);
  w.append(hash_of(0), b0);
  TeacherCache before(path, key_a);
  ASSERT_EQ(before.records(), 2);
  for (int i = 0; i < 2; ++i) expect_targets(before.read(i, hash_of(i)), want_a[i], "A before");
  w.finish();
  for (int i = 0; i < 2; ++i) expect_targets(before.read(i, hash_of(i)), want_a[i], "A mapped");
  expect_error([&] { TeacherCache c(path, key_a); }, ErrorCode::kInvalidArgument, {"seed"});
  TeacherCache after(path, key_b);
  ASSERT_EQ(after.records(), 1);
  expect_targets(after.read(0, hash_of(0)), b0, "B");
}

TEST(TeacherCache, AppendChecksTargets) {
  TempDir tmp;
  const TeacherCacheKey key = make_key();
  TeacherCacheWriter w(tmp.file("t.cache"), key);
  TeacherTargets dense = random_targets(key, 1);
  dense.ids.clear();
  expect_error([&] { w.append(1, dense); }, ErrorCode::kInvalidArgument, {"dense"});
  TeacherTargets rows = random_targets(key, 1);
  rows.rows = 5;
  expect_error([&] { w.append(1, rows); }, ErrorCode::kInvalidArgument, {"rows 5", "rows 6"});
  TeacherTargets id = random_targets(key, 1);
  id.ids[3] = 37;
  expect_error([&] { w.append(1, id); }, ErrorCode::kInvalidArgument, {"id 37", "vocabulary"});
  TeacherTargets tau = random_targets(key, 1);
  tau.temperature = 1.0f;
  expect_error([&] { w.append(1, tau); }, ErrorCode::kInvalidArgument, {"temperature"});
  EXPECT_EQ(w.records(), 0);
  w.finish();
  expect_error([&] { w.append(1, random_targets(key, 1)); }, ErrorCode::kInvalidArgument,
               {"after finish"});
  EXPECT_EQ(TeacherCache(tmp.file("t.cache"), key).records(), 0);
}

TEST(TeacherCache, WriterRejectsBadKey) {
  TempDir tmp;
  TeacherCacheKey key = make_key();
  key.k = key.n_vocab + 1;
  expect_error([&] { TeacherCacheWriter w(tmp.file("a.cache"), key); }, ErrorCode::kInvalidArgument,
               {"k 38"});
  key = make_key();
  key.temperature = 0.0f;
  expect_error([&] { TeacherCacheWriter w(tmp.file("b.cache"), key); }, ErrorCode::kInvalidArgument,
               {"temperature"});
}

TEST(TeacherCache, BatchInputsHashIsFnv1aOfIds) {
  Tensor inputs = Tensor::empty({2, 3}, DType::kI32);
  const std::vector<int32_t> ids = {5, 70000, 0, 2, -1, 123456789};
  std::copy(ids.begin(), ids.end(), inputs.data<int32_t>());
  EXPECT_EQ(batch_inputs_hash(inputs), fnv1a64_ref(ids));
  inputs.data<int32_t>()[4] = 3;
  EXPECT_NE(batch_inputs_hash(inputs), fnv1a64_ref(ids));
  expect_error(
      [&] {
        batch_inputs_hash(Tensor::empty({2, 3}));
      },
      ErrorCode::kInvalidArgument, {"i32"});
}

}  // namespace
}  // namespace llmkit::train
