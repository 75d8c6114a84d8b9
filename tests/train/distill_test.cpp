// Distillation end to end on a toy corpus: a teacher trained here teaches a smaller student
// through the Trainer (live, from a top-K cache, resumed), the student initialised from the
// teacher holds the teacher's layers, and bad inputs are refused with errors naming them.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "data_test_util.h"
#include "llmkit/base/error.h"
#include "llmkit/models/arch.h"
#include "llmkit/models/model_file.h"
#include "llmkit/models/model_io.h"
#include "llmkit/train/checkpoint.h"
#include "llmkit/train/distill_cache.h"
#include "llmkit/train/distill_objective.h"
#include "llmkit/train/student_init.h"
#include "llmkit/train/teacher_corpus.h"
#include "llmkit/train/token_shards.h"

namespace llmkit::train {
namespace {
using testing::ByteTokenizer;
using testing::TempDir;

std::vector<nlohmann::json> metrics(const std::string& run) {
  std::vector<nlohmann::json> lines;
  std::ifstream in(run + "/metrics.jsonl");
  for (std::string line; std::getline(in, line);) lines.push_back(nlohmann::json::parse(line));
  return lines;
}

class DistillTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new TempDir();
    testing::write_corpus(dir_->path() / "corpus", 16, 40, 3);
    PrepareOptions o;
    o.inputs = {(dir_->path() / "corpus").string()};
    o.tokenizer = "byte-tokenizer";
    o.out = dir_->file("shards");
    o.val_fraction = 0.2;
    o.progress = false;
    ByteTokenizer tok;
    prepare_data(o, tok);
    data_ = new TokenDataset(dir_->file("shards"));
    // The teacher: the tiny preset trained for a while on the corpus, saved as a run folder.
    TrainOptions t = options(150);
    t.lr = 1e-2f;
    Trainer(make_model(6, 7), std::shared_ptr<TokenDataset>(data_, [](TokenDataset*) {}),
            dir_->file("teacher"), "", t)
        .run();
  }
  static void TearDownTestSuite() {
    delete data_;
    delete dir_;
  }

  static std::shared_ptr<models::TransformerLM> make_model(int64_t layers, uint64_t seed) {
    models::ModelConfig c = models::preset(models::Arch::kGemma3, "tiny");
    c.n_vocab = data_->n_vocab();
    c.n_layer = layers;
    return std::make_shared<models::TransformerLM>(c, seed);
  }
  static TrainOptions options(int64_t steps) {
    TrainOptions o;
    o.steps = steps;
    o.batch = 4;
    o.seq = 32;
    o.lr = 3e-3f;
    o.min_lr = 3e-4f;
    o.warmup = 2;
    o.eval_every = 0;
    o.eval_batches = 4;
    o.save_every = 0;
    o.threads = 1;
    o.progress = false;
    return o;
  }
  std::shared_ptr<TokenDataset> data() const {
    return std::shared_ptr<TokenDataset>(data_, [](TokenDataset*) {});
  }
  std::shared_ptr<Teacher> teacher() const {
    return std::shared_ptr<Teacher>(Teacher::load(dir_->file("teacher"), 1));
  }
  TeacherCacheKey cache_key(const Teacher& t, int64_t k, float tau) const {
    TeacherCacheKey key;
    key.teacher_checksum = t.checksum();
    key.tokenizer_fingerprint = data_->tokenizer_fingerprint();
    key.seed = 1;
    key.batch = 4;
    key.seq = 32;
    key.k = k;
    key.temperature = tau;
    key.n_vocab = t.n_vocab();
    return key;
  }

  static TempDir* dir_;
  static TokenDataset* data_;
};
TempDir* DistillTest::dir_ = nullptr;
TokenDataset* DistillTest::data_ = nullptr;

// On text the teacher itself generates (so the teacher is the true distribution), a student fed
// the teacher's soft targets learns faster than one fed only the sampled next tokens: after the
// same steps from the same initialisation its loss on held-out teacher samples is lower.
TEST_F(DistillTest, DistilledStudentLearnsFasterThanScratch) {
  auto t = teacher();
  auto corpus = [&](const std::string& name, int64_t sequences, uint64_t seed) {
    TeacherCorpusOptions g;
    g.sequences = sequences;
    g.length = 33;
    g.prompt_tokens = 2;
    g.seed = seed;
    g.threads = 1;
    g.progress = false;
    generate_teacher_corpus(t->model(), t->path(), *data_, dir_->file(name), g);
    return TokenDataset::open(dir_->file(name));
  };
  std::shared_ptr<TokenDataset> train_set = corpus("teacher_train", 96, 1);
  std::shared_ptr<TokenDataset> held_out = corpus("teacher_heldout", 32, 2);
  std::vector<Batch> eval;
  for (int64_t i = 0; i < 8; ++i) {
    std::vector<int64_t> starts;
    for (int64_t j = 0; j < 4; ++j) starts.push_back((i * 4 + j) * 33);
    eval.push_back(make_batch(held_out->train(), starts, 32));
  }
  const int64_t steps = 80;
  TrainOptions o = options(steps);
  o.lr = 1e-2f;
  auto scratch = make_model(2, 11);
  Trainer(scratch, train_set, dir_->file("scratch"), "", o).run();
  DistillOptions d;
  d.alpha = 1.0f;
  auto distilled = make_model(2, 11);
  auto objective = std::make_shared<DistillObjective>(t, nullptr, d);
  Trainer(distilled, train_set, dir_->file("distilled"), "", o, objective).run();
  const double scratch_loss = evaluate(*scratch, eval).loss;
  const double distilled_loss = evaluate(*distilled, eval).loss;
  const double teacher_loss = evaluate_teacher(*t, eval).loss;
  EXPECT_LT(distilled_loss, scratch_loss - 0.1) << "teacher " << teacher_loss << " scratch "
                                                << scratch_loss << " distilled " << distilled_loss;
  EXPECT_GT(distilled_loss, teacher_loss);
  auto m = metrics(dir_->file("distilled"));
  ASSERT_EQ(m.size(), static_cast<size_t>(steps));
  EXPECT_TRUE(m[0].contains("kd") && m[0].contains("ce"));
  EXPECT_LT(m.back()["kd"].get<double>(), m.front()["kd"].get<double>());
}

TEST_F(DistillTest, CachedTargetsTrainLikeTheLiveTeacherAndResumeExactly) {
  auto t = teacher();
  const int64_t steps = 6, k = 16;
  const float tau = 2.0f;
  const std::string path = dir_->file("cache.bin");
  std::atomic<bool> stop{false};
  // Interrupted after 0 records, then completed: the cache is resumable.
  stop = true;
  CacheBuildSummary first =
      build_teacher_cache(*t, data(), path, cache_key(*t, k, tau), steps, false, &stop);
  EXPECT_TRUE(first.interrupted);
  EXPECT_FALSE(std::filesystem::exists(path));
  CacheBuildSummary built =
      build_teacher_cache(*t, data(), path, cache_key(*t, k, tau), steps, false, nullptr);
  EXPECT_EQ(built.records, steps);
  EXPECT_GT(built.file_bytes, 0);

  DistillOptions d;
  d.temperature = tau;
  d.top_k = k;
  auto live = std::make_shared<DistillObjective>(t, nullptr, d);
  auto cached = std::make_shared<DistillObjective>(
      nullptr, std::shared_ptr<TeacherCache>(TeacherCache::open(path, cache_key(*t, k, tau))), d);
  Trainer(make_model(2, 5), data(), dir_->file("live"), "", options(steps), live).run();
  Trainer(make_model(2, 5), data(), dir_->file("cached"), "", options(steps), cached).run();
  auto a = metrics(dir_->file("live")), b = metrics(dir_->file("cached"));
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i) {  // f16 log-probs in the cache: close, not equal
    EXPECT_NEAR(a[i]["kd"].get<double>(), b[i]["kd"].get<double>(),
                2e-3 * (1 + a[i]["kd"].get<double>()))
        << "step " << i + 1;
  }
  // Interrupt the cached run halfway and resume: the same losses bit for bit.
  TrainOptions half = options(steps);
  half.stop_after = 3;
  Trainer(make_model(2, 5), data(), dir_->file("split"), "", half, cached).run();
  TrainOptions rest = options(steps);
  rest.resume = true;
  Trainer(make_model(2, 5), data(), dir_->file("split"), "", rest, cached).run();
  auto c = metrics(dir_->file("split"));
  ASSERT_EQ(c.size(), b.size());
  for (size_t i = 0; i < b.size(); ++i) {
    EXPECT_EQ(b[i]["loss"].get<double>(), c[i]["loss"].get<double>()) << "step " << i + 1;
  }
  // A cache made by another teacher (or with other options) is refused by name.
  TeacherCacheKey other = cache_key(*t, k, tau);
  other.teacher_checksum ^= 1;
  EXPECT_THROW(
      {
        try {
          TeacherCache::open(path, other);
        } catch (const Error& e) {
          EXPECT_NE(std::string(e.what()).find("teacher"), std::string::npos) << e.what();
          throw;
        }
      },
      Error);
  EXPECT_THROW(build_teacher_cache(*t, data(), path, other, steps, false), Error);
  EXPECT_THROW(build_teacher_cache(*t, data(), path, cache_key(*t, k, tau), steps + 1, false),
               Error);
}

// The hidden-state loss with a narrower student: the projection trains, is checkpointed, and a
// resumed run continues exactly.
TEST_F(DistillTest, HiddenStateLossTrainsItsProjectionAndResumes) {
  auto narrow = [&] {
    models::ModelConfig c = models::preset(models::Arch::kGemma3, "tiny");
    c.n_vocab = data_->n_vocab();
    c.n_layer = 2;
    c.n_embd = 32;
    c.n_head = 1;
    c.n_head_kv = 1;
    return std::make_shared<models::TransformerLM>(c, 3);
  };
  DistillOptions d;
  d.hidden_weight = 1.0f;
  auto objective = [&] { return std::make_shared<DistillObjective>(teacher(), nullptr, d, 32, 4); };
  auto straight = objective();
  ASSERT_NE(straight->trainable_module(), nullptr);
  const std::vector<float> before = straight->trainable_module()->parameters()[0].to_vector();
  Trainer(narrow(), data(), dir_->file("hidden"), "", options(6), straight).run();
  EXPECT_NE(straight->trainable_module()->parameters()[0].to_vector(), before);
  auto m = metrics(dir_->file("hidden"));
  ASSERT_EQ(m.size(), 6u);
  EXPECT_LT(m.back()["hidden"].get<double>(), m.front()["hidden"].get<double>());
  EXPECT_TRUE(std::filesystem::exists(dir_->file("hidden") + "/checkpoint/objective.safetensors"));

  TrainOptions half = options(6);
  half.stop_after = 3;
  Trainer(narrow(), data(), dir_->file("hidden_split"), "", half, objective()).run();
  TrainOptions rest = options(6);
  rest.resume = true;
  Trainer(narrow(), data(), dir_->file("hidden_split"), "", rest, objective()).run();
  auto c = metrics(dir_->file("hidden_split"));
  ASSERT_EQ(c.size(), m.size());
  for (size_t i = 0; i < m.size(); ++i) {
    EXPECT_EQ(m[i]["loss"].get<double>(), c[i]["loss"].get<double>()) << "step " << i + 1;
  }
  // A top-K cache holds no hidden states.
  EXPECT_THROW(DistillObjective(nullptr, std::shared_ptr<TeacherCache>(), d, 32, 4), Error);
}

TEST_F(DistillTest, StudentInitialisedFromTeacherHoldsItsLayers) {
  models::ModelFile tf = models::open_model_file(dir_->file("teacher"));
  auto student =
      std::make_shared<models::TransformerLM>(student_config_from_teacher(tf.config, 3), 1);
  std::vector<int64_t> map = init_student_from_teacher(*student, tf);
  EXPECT_EQ(map, (std::vector<int64_t>{0, 2, 4}));
  auto params = student->named_parameters();
  for (const auto& [name, value] : params) {
    std::string source = name;
    if (name.starts_with("blk.1.")) source = "blk.2." + name.substr(6);
    if (name.starts_with("blk.2.")) source = "blk.4." + name.substr(6);
    EXPECT_EQ(value.to_vector(), tf.weights.at(source).to_f32().to_vector()) << name;
  }
  // All layers: the student is the teacher (same logits on the same ids).
  auto full = std::make_shared<models::TransformerLM>(student_config_from_teacher(tf.config, 6), 2);
  init_student_from_teacher(*full, tf);
  Batch b = data_->val_batches(2, 16, 1)[0];
  std::vector<float> expected = teacher()->logits(b.inputs);
  std::vector<float> got = full->forward(b.inputs).to_vector();
  ASSERT_EQ(got.size(), expected.size());
  for (size_t i = 0; i < got.size(); ++i) ASSERT_NEAR(got[i], expected[i], 1e-3) << i;
  // Other widths are refused, naming the field.
  models::ModelConfig wide = tf.config;
  wide.n_embd *= 2;
  models::TransformerLM other(wide, 3);
  try {
    init_student_from_teacher(other, tf);
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("n_embd"), std::string::npos) << e.what();
  }
}

TEST_F(DistillTest, TeacherErrorsNameTheProblem) {
  try {
    Teacher::load(dir_->file("no-such-teacher"), 1);
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kNotFound);
    EXPECT_NE(std::string(e.what()).find("no-such-teacher"), std::string::npos);
  }
  // A teacher with a smaller vocabulary than the data cannot teach it.
  models::ModelConfig c = models::preset(models::Arch::kGemma3, "tiny");
  c.n_vocab = data_->n_vocab() - 10;
  models::TransformerLM small(c, 1);
  Teacher t(infer::Model::from_weights(c, small.named_parameters()), "small-vocab", 0, 1);
  try {
    t.check_vocabulary(*data_);
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("share the vocabulary"), std::string::npos) << e.what();
  }
  EXPECT_NO_THROW(teacher()->check_vocabulary(*data_));
}

}  // namespace
}  // namespace llmkit::train
