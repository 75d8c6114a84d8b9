// Tests of TokenDataset and DataLoader on shards prepared from generated text with the byte-level
// test tokenizer: streams and batches against the shard files parsed by hand, the shuffled window
// order, exact resume, the fixed validation batches, and the errors for damaged shard folders.
#include <gtest/gtest.h>

#include <algorithm>
#include <memory>
#include <set>
#include <utility>

#include "data_test_util.h"
#include "llmkit/train/data_loader.h"
#include "llmkit/train/token_shards.h"

namespace llmkit::train {
namespace {

using namespace testing;  // NOLINT: the helpers of data_test_util.h

constexpr uint64_t kFingerprint = 0xabc123;

class LoaderTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    tmp_ = new TempDir();
    write_corpus(tmp_->path() / "corpus", 30, 3, 11);
    ByteTokenizer tok(4, kFingerprint);
    PrepareOptions o;
    o.inputs = {tmp_->file("corpus")};
    o.out = tmp_->file("shards");
    o.val_fraction = 0.25;
    o.shard_tokens = 300;  // many shards: windows cross shard ends
    o.progress = false;
    prepare_data(o, tok);
    train_raw_ = new std::vector<int64_t>(read_split_raw(o.out, "train", 2));
    val_raw_ = new std::vector<int64_t>(read_split_raw(o.out, "val", 2));
  }
  static void TearDownTestSuite() {
    delete train_raw_;
    delete val_raw_;
    delete tmp_;
  }
  static std::string shards() { return tmp_->file("shards"); }
  // A private copy of the shard folder to damage.
  static std::string copy_shards(const TempDir& into) {
    std::string dst = into.file("shards");
    fs::copy(shards(), dst, fs::copy_options::recursive);
    return dst;
  }

  static TempDir* tmp_;
  static std::vector<int64_t>* train_raw_;
  static std::vector<int64_t>* val_raw_;
};
TempDir* LoaderTest::tmp_ = nullptr;
std::vector<int64_t>* LoaderTest::train_raw_ = nullptr;
std::vector<int64_t>* LoaderTest::val_raw_ = nullptr;

// Checks that batch row r is the window of `raw` starting at `start`.
void expect_window(const Batch& batch, int64_t r, const std::vector<int64_t>& raw, int64_t start) {
  const int64_t t_len = batch.inputs.size(1);
  std::vector<int32_t> in = batch.inputs.to_int_vector(), tg = batch.targets.to_int_vector();
  ASSERT_LE(start + t_len + 1, static_cast<int64_t>(raw.size()));
  for (int64_t t = 0; t < t_len; ++t) {
    ASSERT_EQ(in[r * t_len + t], raw[start + t]) << "row " << r << " t " << t;
    ASSERT_EQ(tg[r * t_len + t], raw[start + t + 1]) << "row " << r << " t " << t;
  }
}

TEST_F(LoaderTest, StreamsEqualTheShardFiles) {
  auto data = TokenDataset::open(shards());
  ASSERT_GT(data->manifest().train.shards.size(), 3u);
  ASSERT_GT(data->manifest().val.shards.size(), 1u);
  EXPECT_EQ(data->n_vocab(), 260);
  EXPECT_EQ(data->bos_id(), 2);
  EXPECT_EQ(data->tokenizer_fingerprint(), kFingerprint);
  using Split = std::pair<const TokenStream*, const std::vector<int64_t>*>;
  for (auto [stream, raw] : {Split{&data->train(), train_raw_}, Split{&data->val(), val_raw_}}) {
    ASSERT_EQ(stream->size(), static_cast<int64_t>(raw->size()));
    std::vector<int32_t> all = stream->read(0, stream->size());
    EXPECT_TRUE(std::equal(all.begin(), all.end(), raw->begin()));
    // Ranges that cross shard ends (shards hold 300 tokens).
    for (int64_t off : {int64_t{0}, int64_t{290}, int64_t{299}, int64_t{300}, int64_t{590}}) {
      if (off + 25 > stream->size()) continue;
      std::vector<int32_t> part = stream->read(off, 25);
      EXPECT_TRUE(std::equal(part.begin(), part.end(), raw->begin() + off)) << off;
      EXPECT_EQ(stream->at(off), (*raw)[off]);
    }
    expect_error([&] { stream->read(stream->size() - 3, 4); }, ErrorCode::kOutOfRange, {"outside"});
    expect_error([&] { stream->read(-1, 1); }, ErrorCode::kOutOfRange, {"outside"});
  }
  EXPECT_EQ(data->train().documents() + data->val().documents(), 30);
}

TEST_F(LoaderTest, EpochWindowsAreAShuffledTilingOfTheStream) {
  auto data = TokenDataset::open(shards());
  const int64_t n = data->train().size(), t_len = 16;
  DataLoader loader(data, 4, t_len, 3);
  std::set<int64_t> phases;
  for (int64_t e = 0; e < 6; ++e) {
    std::vector<int64_t> starts = loader.epoch_starts(e);
    ASSERT_EQ(static_cast<int64_t>(starts.size()), loader.windows_in_epoch(e));
    std::vector<int64_t> sorted = starts;
    std::sort(sorted.begin(), sorted.end());
    const int64_t phase = sorted[0];
    phases.insert(phase);
    EXPECT_GE(phase, 0);
    EXPECT_LT(phase, t_len);
    // Consecutive windows, T apart, as many as fit: phase + W T + 1 <= n < phase + (W+1) T + 1.
    for (size_t k = 0; k < sorted.size(); ++k) EXPECT_EQ(sorted[k], phase + int64_t(k) * t_len);
    const int64_t w = static_cast<int64_t>(sorted.size());
    EXPECT_LE(phase + w * t_len + 1, n);
    EXPECT_GT(phase + (w + 1) * t_len + 1, n);
    EXPECT_NE(starts, sorted) << "epoch " << e << " is not shuffled";
  }
  EXPECT_GT(phases.size(), 1u) << "every epoch cut the stream at the same places";
  EXPECT_NE(loader.epoch_starts(0), loader.epoch_starts(1));
  DataLoader same(data, 4, t_len, 3), other(data, 4, t_len, 4);
  EXPECT_EQ(same.epoch_starts(2), loader.epoch_starts(2));
  EXPECT_NE(other.epoch_starts(0), loader.epoch_starts(0));
}

TEST_F(LoaderTest, BatchesAreWindowsOfTheShardsAcrossEpochs) {
  auto data = TokenDataset::open(shards());
  const int64_t b_len = 5, t_len = 24;
  DataLoader loader(data, b_len, t_len, 9);
  std::vector<int64_t> order;  // window starts in visiting order, epochs 0, 1, 2
  for (int64_t e = 0; e < 3; ++e) {
    for (int64_t s : loader.epoch_starts(e)) order.push_back(s);
  }
  const int64_t w0 = loader.windows_in_epoch(0);
  const int64_t n_batches = (w0 + loader.windows_in_epoch(1)) / b_len;  // into epoch 2
  for (int64_t i = 0; i < n_batches; ++i) {
    Batch b = loader.next();
    ASSERT_EQ(b.inputs.shape(), (Shape{b_len, t_len}));
    ASSERT_EQ(b.targets.shape(), (Shape{b_len, t_len}));
    ASSERT_EQ(b.inputs.dtype(), DType::kI32);
    ASSERT_EQ(b.targets.dtype(), DType::kI32);
    for (int64_t r = 0; r < b_len; ++r) expect_window(b, r, *train_raw_, order[i * b_len + r]);
    // Targets are the inputs shifted by one.
    std::vector<int32_t> in = b.inputs.to_int_vector(), tg = b.targets.to_int_vector();
    for (int64_t r = 0; r < b_len; ++r) {
      for (int64_t t = 0; t + 1 < t_len; ++t) {
        ASSERT_EQ(in[r * t_len + t + 1], tg[r * t_len + t]);
      }
    }
    // The position names the next window: epoch e, index = windows of e already used.
    int64_t e = 0, index = (i + 1) * b_len;
    while (index >= loader.windows_in_epoch(e)) index -= loader.windows_in_epoch(e++);
    EXPECT_EQ(loader.position(), (DataPosition{e, index})) << "after batch " << i;
  }
}

TEST_F(LoaderTest, ResumedLoaderYieldsTheSameNextBatches) {
  auto data = TokenDataset::open(shards());
  const int64_t b_len = 7, t_len = 20;
  DataLoader a(data, b_len, t_len, 5);
  EXPECT_EQ(a.position(), (DataPosition{0, 0}));
  const int64_t first = a.windows_in_epoch(0) / b_len - 1;  // stop just before an epoch end
  for (int64_t i = 0; i < first; ++i) a.next();
  DataPosition saved = a.position();
  EXPECT_EQ(saved, (DataPosition{0, first * b_len}));
  std::vector<std::vector<int32_t>> expected;
  for (int i = 0; i < 8; ++i) {  // runs into epoch 1 (and 2)
    Batch b = a.next();
    std::vector<int32_t> v = b.inputs.to_int_vector(), t = b.targets.to_int_vector();
    v.insert(v.end(), t.begin(), t.end());
    expected.push_back(v);
  }
  EXPECT_GE(a.position().epoch, 1);

  DataLoader b(data, b_len, t_len, 5);
  b.set_position(saved);
  EXPECT_EQ(b.position(), saved);
  for (int i = 0; i < 8; ++i) {
    Batch batch = b.next();
    std::vector<int32_t> v = batch.inputs.to_int_vector(), t = batch.targets.to_int_vector();
    v.insert(v.end(), t.begin(), t.end());
    EXPECT_EQ(v, expected[i]) << "batch " << i << " after resume";
  }
  EXPECT_EQ(b.position(), a.position());

  // A position at the very end of an epoch is valid and rolls over.
  DataLoader c(data, b_len, t_len, 5);
  c.set_position({1, c.windows_in_epoch(1)});
  c.next();
  EXPECT_EQ(c.position(), (DataPosition{2, b_len}));
  expect_error(
      [&] {
        c.set_position({0, c.windows_in_epoch(0) + 1});
      },
      ErrorCode::kOutOfRange, {"index"});
  expect_error([&] { c.set_position({-1, 0}); }, ErrorCode::kOutOfRange, {"epoch"});
  expect_error([&] { c.set_position({0, -1}); }, ErrorCode::kOutOfRange, {"index"});
}

TEST_F(LoaderTest, ValidationBatchesAreFixedOrderedWindows) {
  auto data = TokenDataset::open(shards());
  const int64_t nv = data->val().size(), b_len = 3, t_len = 8;
  std::vector<Batch> all = data->val_batches(b_len, t_len);
  const int64_t windows = (nv - 1) / t_len;
  ASSERT_EQ(static_cast<int64_t>(all.size()), (windows + b_len - 1) / b_len);
  int64_t k = 0;
  for (const Batch& b : all) {
    for (int64_t r = 0; r < b.inputs.size(0); ++r, ++k) expect_window(b, r, *val_raw_, k * t_len);
    EXPECT_LE(b.inputs.size(0), b_len);
  }
  EXPECT_EQ(k, windows);
  EXPECT_EQ(all.back().inputs.size(0), windows % b_len == 0 ? b_len : windows % b_len);
  // Same every call; max_batches keeps a prefix.
  std::vector<Batch> again = data->val_batches(b_len, t_len);
  std::vector<Batch> two = data->val_batches(b_len, t_len, 2);
  ASSERT_EQ(two.size(), 2u);
  for (size_t i = 0; i < all.size(); ++i) {
    EXPECT_EQ(again[i].inputs.to_int_vector(), all[i].inputs.to_int_vector());
    EXPECT_EQ(again[i].targets.to_int_vector(), all[i].targets.to_int_vector());
    if (i < 2) {
      EXPECT_EQ(two[i].inputs.to_int_vector(), all[i].inputs.to_int_vector());
    }
  }
}

TEST_F(LoaderTest, BadBatchShapesAreRejected) {
  auto data = TokenDataset::open(shards());
  const int64_t n = data->train().size(), nv = data->val().size();
  expect_error([&] { DataLoader(data, 2, n, 1); }, ErrorCode::kInvalidArgument,
               {shards(), "seq + 1"});
  DataLoader longest(data, 1, n - 1, 1);  // exactly one window fits
  EXPECT_EQ(longest.windows_in_epoch(0), 1);
  expect_window(longest.next(), 0, *train_raw_, 0);
  expect_error([&] { DataLoader(data, 0, 8, 1); }, ErrorCode::kInvalidArgument, {"batch"});
  expect_error([&] { DataLoader(data, 2, 0, 1); }, ErrorCode::kInvalidArgument, {"sequence"});
  expect_error([&] { data->val_batches(2, nv); }, ErrorCode::kInvalidArgument,
               {"validation", "seq + 1"});
  expect_error([&] { data->val_batches(0, 8); }, ErrorCode::kInvalidArgument, {"batch"});
}

TEST_F(LoaderTest, DamagedShardFoldersGiveClearErrors) {
  {  // flipped byte -> checksum error (and verify = false skips the check)
    TempDir t;
    std::string dir = copy_shards(t);
    std::string shard = dir + "/train_001.bin";
    std::string bytes = read_bytes(shard);
    bytes[17] = static_cast<char>(bytes[17] ^ 0x01);
    write_text(shard, bytes);
    expect_error([&] { TokenDataset::open(dir); }, ErrorCode::kCorruptData, {shard, "checksum"});
    TokenDatasetOptions fast;
    fast.verify = false;
    EXPECT_NO_THROW(TokenDataset::open(dir, fast));
  }
  {  // truncated shard
    TempDir t;
    std::string dir = copy_shards(t);
    std::string shard = dir + "/val_000.bin";
    std::string bytes = read_bytes(shard);
    write_text(shard, bytes.substr(0, bytes.size() - 2));
    expect_error([&] { TokenDataset::open(dir); }, ErrorCode::kCorruptData, {shard, "truncated"});
  }
  {  // missing manifest, missing shard, missing folder
    TempDir t;
    std::string dir = copy_shards(t);
    fs::remove(dir + "/train_002.bin");
    expect_error([&] { TokenDataset::open(dir); }, ErrorCode::kNotFound,
                 {dir + "/train_002.bin", "missing"});
    fs::remove(dir + "/manifest.json");
    expect_error([&] { TokenDataset::open(dir); }, ErrorCode::kNotFound, {dir + "/manifest.json"});
    expect_error([&] { TokenDataset::open(t.file("nowhere")); }, ErrorCode::kNotFound,
                 {t.file("nowhere")});
  }
  {  // malformed manifest
    TempDir t;
    std::string dir = copy_shards(t);
    write_text(dir + "/manifest.json", "{\"format\": \"llmkit-token-shards\"");
    expect_error([&] { TokenDataset::open(dir); }, ErrorCode::kCorruptData,
                 {dir + "/manifest.json"});
  }
  {  // an id outside the vocabulary under a matching checksum
    TempDir t;
    std::string dir = copy_shards(t);
    std::string bytes = read_bytes(dir + "/val_000.bin");
    bytes[4] = static_cast<char>(0x10);  // token 2 becomes 0x2710 = 10000 >= 260
    bytes[5] = static_cast<char>(0x27);
    write_text(dir + "/val_000.bin", bytes);
    ShardManifest m = ShardManifest::from_json(read_bytes(dir + "/manifest.json"), "m");
    m.val.shards[0].checksum = fnv1a64(bytes.data(), bytes.size());
    write_text(dir + "/manifest.json", m.to_json());
    expect_error([&] { TokenDataset::open(dir); }, ErrorCode::kCorruptData,
                 {dir + "/val_000.bin", "vocabulary"});
  }
  // Tokenizer fingerprint.
  TokenDatasetOptions same;
  same.tokenizer_fingerprint = kFingerprint;
  EXPECT_NO_THROW(TokenDataset::open(shards(), same));
  TokenDatasetOptions other;
  other.tokenizer_fingerprint = kFingerprint + 1;
  expect_error([&] { TokenDataset::open(shards(), other); }, ErrorCode::kInvalidArgument,
               {shards(), "fingerprint", hex64(kFingerprint), hex64(kFingerprint + 1)});
}

}  // namespace
}  // namespace llmkit::train
