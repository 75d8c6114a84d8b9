// Tests of generate_teacher_corpus on shards prepared from generated text with the byte-level test
// tokenizer and a randomly initialised tiny Gemma 3 teacher: the output folder against the source
// shards parsed by hand (BOS, prompt windows, copied val shards), determinism, resume from a
// progress file with a torn tail, greedy samples against the argmax of the teacher's logits
// computed independently (Session::decode_all over the whole sample), a padded teacher vocabulary,
// and the errors.
#include "llmkit/train/teacher_corpus.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <functional>
#include <memory>
#include <system_error>
#include <thread>
#include <vector>

#include "data_test_util.h"
#include "llmkit/infer/session.h"
#include "llmkit/models/arch.h"
#include "llmkit/models/transformer_lm.h"
#include "llmkit/tensor/creation.h"
#include "llmkit/train/token_shards.h"

namespace llmkit::train {
namespace {

using namespace testing;  // NOLINT: the helpers of data_test_util.h

constexpr uint64_t kFingerprint = 0xabc123;
constexpr int64_t kVocab = 260;  // ByteTokenizer(4): 4 specials + 256 bytes

models::ModelConfig teacher_config(int64_t n_vocab) {
  models::ModelConfig c = models::preset(models::Arch::kGemma3, "tiny");
  c.n_vocab = n_vocab;
  c.n_ctx = 64;
  c.n_layer = 2;
  c.sliding_window = 8;
  return c;
}

// A teacher with random weights; rows kVocab.. of a padded embedding are scaled by `pad_scale`
// (large: their logits would win the argmax if they were candidates).
std::shared_ptr<const infer::Model> make_teacher(
    int64_t n_vocab, std::shared_ptr<const tokenizer::Tokenizer> tok = nullptr,
    float pad_scale = 1.0f) {
  const models::ModelConfig config = teacher_config(n_vocab);
  models::TransformerLM lm(config, uint64_t{7});
  io::NamedTensorList weights = lm.named_parameters();
  for (auto& [name, t] : weights) {
    if (name != "token_embd.weight" || n_vocab <= kVocab) continue;
    std::vector<float> v = t.to_vector();
    for (size_t i = static_cast<size_t>(kVocab * t.size(1)); i < v.size(); ++i) v[i] *= pad_scale;
    t = from_vector(v, t.shape());
  }
  return infer::Model::from_weights(config, weights, std::move(tok));
}

class TeacherCorpusTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    tmp_ = new TempDir();
    write_corpus(tmp_->path() / "corpus", 24, 3, 5);
    ByteTokenizer tok(4, kFingerprint);
    PrepareOptions o;
    o.inputs = {tmp_->file("corpus")};
    o.out = tmp_->file("shards");
    o.val_fraction = 0.3;
    o.shard_tokens = 400;  // several val shards; the corpus needs several train shards
    o.progress = false;
    prepare_data(o, tok);
    data_ = new TokenDataset(o.out);
    train_raw_ = new std::vector<int64_t>(read_split_raw(o.out, "train", 2));
    teacher_ = new std::shared_ptr<const infer::Model>(make_teacher(kVocab));
  }
  static void TearDownTestSuite() {
    delete teacher_;
    delete train_raw_;
    delete data_;
    delete tmp_;
  }

  static TeacherCorpusOptions options(int64_t sequences = 6) {
    TeacherCorpusOptions o;
    o.sequences = sequences;
    o.length = 24;
    o.prompt_tokens = 5;
    o.temperature = 1.0f;
    o.top_k = 0;
    o.seed = 3;
    o.threads = 1;
    o.progress = false;
    return o;
  }
  static TeacherCorpusSummary run(const std::string& out, const TeacherCorpusOptions& o,
                                  const std::atomic<bool>* stop = nullptr) {
    return generate_teacher_corpus(*teacher_, "teacher.gguf", *data_, out, o, stop);
  }
  // The train split of a finished corpus, parsed by hand.
  static std::vector<int64_t> train_tokens(const std::string& out) {
    return read_split_raw(out, "train", 2);
  }
  static std::string train_bytes(const std::string& out) {
    std::string all;
    const TokenDataset corpus(out);
    for (const ShardInfo& s : corpus.manifest().train.shards) {
      all += read_bytes((fs::path(out) / s.file).string());
    }
    return all;
  }
  // True when w occurs as a window of the source train stream.
  static bool in_train_stream(const std::vector<int64_t>& w) {
    return std::search(train_raw_->begin(), train_raw_->end(), w.begin(), w.end()) !=
           train_raw_->end();
  }

  static TempDir* tmp_;
  static TokenDataset* data_;
  static std::vector<int64_t>* train_raw_;
  static std::shared_ptr<const infer::Model>* teacher_;
};
TempDir* TeacherCorpusTest::tmp_ = nullptr;
TokenDataset* TeacherCorpusTest::data_ = nullptr;
std::vector<int64_t>* TeacherCorpusTest::train_raw_ = nullptr;
std::shared_ptr<const infer::Model>* TeacherCorpusTest::teacher_ = nullptr;

TEST_F(TeacherCorpusTest, OutputIsAShardFolderOfSamplesAndTheSourceValSplit) {
  TempDir t;
  const std::string out = t.file("corpus");
  TeacherCorpusOptions o = options(20);  // 480 tokens: two train shards of at most 400
  TeacherCorpusSummary s = run(out, o);
  EXPECT_EQ(s.samples, 20);
  EXPECT_FALSE(s.interrupted);
  EXPECT_EQ(s.generated_tokens, 20 * (o.length - 1 - o.prompt_tokens));
  EXPECT_FALSE(fs::exists(fs::path(out) / "progress.bin"));

  TokenDataset corpus(out);  // verifies sizes, checksums and ids
  const ShardManifest& m = corpus.manifest();
  const ShardManifest& src = data_->manifest();
  EXPECT_EQ(m.n_vocab, src.n_vocab);
  EXPECT_EQ(m.bos_id, src.bos_id);
  EXPECT_EQ(m.tokenizer_fingerprint, kFingerprint);
  EXPECT_EQ(m.train.documents, 20);
  EXPECT_EQ(m.train.tokens, 20 * o.length);
  EXPECT_EQ(m.train.shards.size(), 2u);
  ASSERT_EQ(m.sources.size(), 1u);
  EXPECT_EQ(m.sources[0].path, "teacher:teacher.gguf");
  EXPECT_EQ(m.sources[0].split, "train");

  const std::vector<int64_t> toks = train_tokens(out);
  ASSERT_EQ(static_cast<int64_t>(toks.size()), 20 * o.length);
  std::vector<std::vector<int64_t>> prompts;
  for (int64_t i = 0; i < 20; ++i) {
    const auto* sample = toks.data() + i * o.length;
    EXPECT_EQ(sample[0], src.bos_id) << "sample " << i;
    std::vector<int64_t> prompt(sample + 1, sample + 1 + o.prompt_tokens);
    EXPECT_TRUE(in_train_stream(prompt)) << "sample " << i << ": prompt not from the train split";
    prompts.push_back(prompt);
    for (int64_t j = 0; j < o.length; ++j) EXPECT_LT(sample[j], kVocab);
  }
  std::sort(prompts.begin(), prompts.end());
  EXPECT_GT(std::unique(prompts.begin(), prompts.end()) - prompts.begin(), 15)
      << "prompt windows should be drawn at different places";

  // Val: the source's shards byte for byte, same token counts and checksums.
  ASSERT_EQ(m.val.shards.size(), src.val.shards.size());
  ASSERT_GE(src.val.shards.size(), 2u);
  EXPECT_EQ(m.val.tokens, src.val.tokens);
  EXPECT_EQ(m.val.documents, src.val.documents);
  for (size_t k = 0; k < src.val.shards.size(); ++k) {
    EXPECT_EQ(read_bytes((fs::path(out) / m.val.shards[k].file).string()),
              read_bytes((fs::path(data_->dir()) / src.val.shards[k].file).string()));
    EXPECT_EQ(m.val.shards[k].checksum, src.val.shards[k].checksum);
  }
  EXPECT_EQ(read_split_raw(out, "val", 2), read_split_raw(data_->dir(), "val", 2));

  // Rerun into the same folder with fewer samples: the extra train shard of the first run goes.
  run(out, options(3));
  TokenDataset again(out);
  EXPECT_EQ(again.manifest().train.shards.size(), 1u);
  EXPECT_FALSE(fs::exists(fs::path(out) / "train_001.bin"));
  EXPECT_EQ(train_tokens(out), std::vector<int64_t>(toks.begin(), toks.begin() + 3 * o.length));
}

TEST_F(TeacherCorpusTest, SameOptionsGiveTheSameBytesWhateverTheThreads) {
  TempDir t;
  run(t.file("a"), options());
  TeacherCorpusOptions two = options();
  two.threads = 2;
  run(t.file("b"), two);
  TeacherCorpusOptions other = options();
  other.seed = 4;
  run(t.file("c"), other);
  const std::string a = train_bytes(t.file("a"));
  EXPECT_EQ(a, train_bytes(t.file("b")));
  EXPECT_NE(a, train_bytes(t.file("c")));
  // A larger run starts with the same samples (sample i depends only on i).
  run(t.file("d"), options(8));
  EXPECT_EQ(train_bytes(t.file("d")).substr(0, a.size()), a);
}

TEST_F(TeacherCorpusTest, ResumesFromTheProgressFileAndCutsATornSample) {
  TempDir t;
  const TeacherCorpusOptions o = options(6);
  run(t.file("full"), o);
  const std::vector<int64_t> want = train_tokens(t.file("full"));

  // A stop flag set from the start: nothing generated, no manifest, a progress file.
  const std::string out = t.file("resumed");
  std::atomic<bool> stop{true};
  TeacherCorpusSummary s = run(out, o, &stop);
  EXPECT_TRUE(s.interrupted);
  EXPECT_EQ(s.samples, 0);
  EXPECT_FALSE(fs::exists(fs::path(out) / "manifest.json"));
  const std::string progress = (fs::path(out) / "progress.bin").string();
  ASSERT_TRUE(fs::exists(progress));

  // As if a crash came in the middle of sample 2: two complete samples of the full run's, then
  // part of a third one holding garbage.
  {
    std::string bytes = read_bytes(progress);
    for (int64_t i = 0; i < 2 * o.length + 7; ++i) {
      const auto v = static_cast<uint32_t>(i < 2 * o.length ? want[static_cast<size_t>(i)] : 999);
      for (int b = 0; b < 4; ++b) bytes += static_cast<char>((v >> (8 * b)) & 0xff);
    }
    bytes += "xy";
    write_text(progress, bytes);
  }
  s = run(out, o);
  EXPECT_FALSE(s.interrupted);
  EXPECT_EQ(s.samples, 6);
  EXPECT_EQ(s.generated_tokens, 4 * (o.length - 1 - o.prompt_tokens));  // only samples 2..5
  EXPECT_EQ(train_bytes(out), train_bytes(t.file("full")));
  EXPECT_FALSE(fs::exists(progress));

  // A stop flag raised from another thread once two samples are on disk: the run stops between
  // samples (where exactly depends on timing) and the resumed corpus equals the uninterrupted one.
  const std::string out2 = t.file("stopped");
  TeacherCorpusOptions many = options(40);
  many.progress = true;  // the bar must not change anything
  std::atomic<bool> raise{false};
  std::atomic<bool> finished{false};
  std::thread watcher([&] {
    const fs::path p = fs::path(out2) / "progress.bin";
    const auto two = static_cast<uintmax_t>(16 + 2 * 4 * many.length);
    while (!finished.load()) {
      std::error_code ec;
      if (fs::exists(p, ec) && fs::file_size(p, ec) >= two && !ec) {
        raise = true;
        return;
      }
      std::this_thread::yield();
    }
  });
  TeacherCorpusSummary part = run(out2, many, &raise);
  finished = true;
  watcher.join();
  EXPECT_GE(part.samples, 2);
  if (part.interrupted) {
    EXPECT_LT(part.samples, 40);
    EXPECT_FALSE(fs::exists(fs::path(out2) / "manifest.json"));
    part = run(out2, many);
  }
  EXPECT_EQ(part.samples, 40);
  run(t.file("many"), options(40));
  EXPECT_EQ(train_bytes(out2), train_bytes(t.file("many")));

  // A progress file from other options is refused.
  run(t.file("other"), o, &stop);
  TeacherCorpusOptions changed = o;
  changed.temperature = 0.5f;
  expect_error([&] { run(t.file("other"), changed); }, ErrorCode::kInvalidArgument,
               {"progress.bin", "another run"});
}

// Greedy samples continue the prompt with the argmax of the teacher's logits, computed here over
// the whole finished sample with one batched decode_all (the generator decodes token by token).
// Near-ties (gap < 1e-3) are skipped: the two paths may round differently.
void expect_greedy(const infer::Model& model, const std::shared_ptr<const infer::Model>& shared,
                   const std::vector<int64_t>& toks, int64_t length, int64_t prompt,
                   int64_t candidates, int64_t* checked, int64_t* padded_wins) {
  const int64_t V = model.config().n_vocab;
  infer::SessionOptions so;
  so.n_ctx = length;
  infer::Session session(shared, so);
  for (size_t start = 0; start < toks.size(); start += static_cast<size_t>(length)) {
    std::vector<int32_t> ids(toks.begin() + static_cast<std::ptrdiff_t>(start),
                             toks.begin() + static_cast<std::ptrdiff_t>(start) + length);
    std::vector<float> logits(static_cast<size_t>((length - 1) * V));
    session.reset();
    session.decode_all(std::span<const int32_t>(ids).first(static_cast<size_t>(length - 1)),
                       logits.data());
    for (int64_t j = prompt + 1; j < length; ++j) {
      const float* row = logits.data() + (j - 1) * V;
      std::vector<float> cand(row, row + candidates);
      const auto best = std::max_element(cand.begin(), cand.end()) - cand.begin();
      std::vector<float> sorted = cand;
      std::partial_sort(sorted.begin(), sorted.begin() + 2, sorted.end(), std::greater<>());
      if (std::max_element(row, row + V) - row >= candidates) ++*padded_wins;
      if (sorted[0] - sorted[1] < 1e-3f) continue;
      EXPECT_EQ(ids[static_cast<size_t>(j)], best) << "sample at " << start << ", position " << j;
      ++*checked;
    }
  }
}

TEST_F(TeacherCorpusTest, GreedySamplesFollowTheTeachersArgmax) {
  TempDir t;
  TeacherCorpusOptions o = options(4);
  o.temperature = 0.0f;
  run(t.file("greedy"), o);
  int64_t checked = 0, padded = 0;
  expect_greedy(**teacher_, *teacher_, train_tokens(t.file("greedy")), o.length, o.prompt_tokens,
                kVocab, &checked, &padded);
  EXPECT_GT(checked, 4 * (o.length - 1 - o.prompt_tokens) / 2);
}

TEST_F(TeacherCorpusTest, PaddedTeacherNeverWritesIdsOutsideTheDataVocabulary) {
  // 40 extra rows with large weights: their logits often beat every real token's.
  auto tok = std::make_shared<ByteTokenizer>(4, kFingerprint);
  auto padded = make_teacher(kVocab + 40, tok, 40.0f);
  TempDir t;
  TeacherCorpusOptions o = options(4);
  o.temperature = 0.0f;
  generate_teacher_corpus(padded, "padded.gguf", *data_, t.file("p"), o);
  const std::vector<int64_t> toks = train_tokens(t.file("p"));
  for (int64_t id : toks) EXPECT_LT(id, kVocab);
  int64_t checked = 0, padded_wins = 0;
  expect_greedy(*padded, padded, toks, o.length, o.prompt_tokens, kVocab, &checked, &padded_wins);
  EXPECT_GT(padded_wins, 0) << "the padded rows should matter for this test to mean anything";
  EXPECT_GT(checked, 4 * (o.length - 1 - o.prompt_tokens) / 2);

  // Sampling at temperature 1 with top-k, from a padded teacher without a tokenizer: still only
  // the data's ids.
  o.temperature = 1.0f;
  o.top_k = 1000;  // more than the vocabulary: the whole data vocabulary
  generate_teacher_corpus(make_teacher(kVocab + 40, nullptr, 40.0f), "padded.gguf", *data_,
                          t.file("q"), o);
  for (int64_t id : train_tokens(t.file("q"))) EXPECT_LT(id, kVocab);
}

TEST_F(TeacherCorpusTest, VocabularyMismatchesAreErrors) {
  TempDir t;
  const std::string out = t.file("x");
  auto expect_mismatch = [&](std::shared_ptr<const infer::Model> teacher, const std::string& what) {
    expect_error([&] { generate_teacher_corpus(teacher, "t.gguf", *data_, out, options()); },
                 ErrorCode::kInvalidArgument, {"teacher 't.gguf'", what, data_->dir()});
  };
  expect_mismatch(make_teacher(kVocab - 10), "has a vocabulary of 250 tokens");
  // Another tokenizer, same size or larger (the data's tokenizer file cannot be loaded to compare
  // pieces: the test data was prepared with an in-memory tokenizer).
  expect_mismatch(make_teacher(kVocab, std::make_shared<ByteTokenizer>(4, kFingerprint + 1)),
                  "uses another vocabulary than the data");
  expect_mismatch(make_teacher(kVocab + 8, std::make_shared<ByteTokenizer>(4, 99)),
                  "uses another vocabulary than the data");
  EXPECT_FALSE(fs::exists(out)) << "nothing is written before the checks pass";
  // Same size and the same tokenizer: fine.
  generate_teacher_corpus(make_teacher(kVocab, std::make_shared<ByteTokenizer>(4, kFingerprint)),
                          "t.gguf", *data_, out, options(1));
  EXPECT_EQ(TokenDataset(out).manifest().train.documents, 1);
}

TEST_F(TeacherCorpusTest, BadOptionsAreErrorsNamingTheOption) {
  TempDir t;
  const std::string out = t.file("x");
  auto expect_bad = [&](TeacherCorpusOptions o, const std::string& what) {
    expect_error([&] { run(out, o); }, ErrorCode::kInvalidArgument, {what});
  };
  TeacherCorpusOptions o = options();
  o.sequences = 0;
  expect_bad(o, "sequences");
  o = options();
  o.length = o.prompt_tokens + 1;
  expect_bad(o, "length");
  o = options();
  o.length = 65;  // teacher n_ctx 64
  expect_bad(o, "n_ctx");
  o = options();
  o.prompt_tokens = -1;
  expect_bad(o, "prompt_tokens");
  o = options();
  o.temperature = -0.5f;
  expect_bad(o, "temperature");
  o = options();
  o.top_k = -1;
  expect_bad(o, "top_k");
  o = options();
  o.threads = 0;
  expect_bad(o, "threads");
  EXPECT_FALSE(fs::exists(out));
  expect_error([&] { run(data_->dir(), options()); }, ErrorCode::kInvalidArgument, {"data folder"});
  EXPECT_TRUE(fs::exists(fs::path(data_->dir()) / "manifest.json"));
}

}  // namespace
}  // namespace llmkit::train
