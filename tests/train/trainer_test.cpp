// Trainer: the loss falls, resume is bit-exact, run-folder files are written, bad input is refused.
#include "llmkit/train/trainer.h"

#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "data_test_util.h"
#include "llmkit/models/arch.h"
#include "llmkit/train/checkpoint.h"
#include "llmkit/train/token_shards.h"

namespace llmkit::train {
namespace {
using testing::ByteTokenizer;
using testing::TempDir;

class TrainerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    testing::write_corpus(dir_.path() / "corpus", 12, 30, 7);
    PrepareOptions o;
    o.inputs = {(dir_.path() / "corpus").string()};
    o.tokenizer = "byte-tokenizer";
    o.out = dir_.file("shards");
    o.val_fraction = 0.2;
    o.progress = false;
    prepare_data(o, tok_);
    data_ = TokenDataset::open(dir_.file("shards"));
  }

  std::shared_ptr<models::TransformerLM> tiny_model() const {
    models::ModelConfig c = models::preset(models::Arch::kGemma3, "tiny");
    c.n_vocab = data_->n_vocab();
    return std::make_shared<models::TransformerLM>(c, 42);
  }

  TrainOptions options() const {
    TrainOptions o;
    o.steps = 20;
    o.batch = 2;
    o.seq = 32;
    o.lr = 3e-3f;
    o.min_lr = 3e-4f;
    o.warmup = 4;
    o.eval_every = 5;
    o.eval_batches = 2;
    o.save_every = 0;
    o.threads = 1;
    o.progress = false;
    return o;
  }

  static std::vector<nlohmann::json> metrics(const std::string& run) {
    std::vector<nlohmann::json> lines;
    std::ifstream in(run + "/metrics.jsonl");
    for (std::string line; std::getline(in, line);) lines.push_back(nlohmann::json::parse(line));
    return lines;
  }

  TempDir dir_;
  ByteTokenizer tok_;
  std::shared_ptr<TokenDataset> data_;
};

TEST_F(TrainerTest, LossFallsAndRunFolderIsComplete) {
  std::string run = dir_.file("run");
  Trainer t(tiny_model(), data_, run, "", options());
  TrainSummary s = t.run();
  EXPECT_EQ(s.steps_done, 20);
  auto m = metrics(run);
  ASSERT_EQ(m.size(), 20u);
  EXPECT_LT(m.back()["loss"].get<double>(), m.front()["loss"].get<double>() - 0.5);
  for (const auto& line : m) {
    for (const char* key : {"step", "loss", "lr", "tokens_per_s", "grad_norm"}) {
      EXPECT_TRUE(line.contains(key)) << key;
    }
    EXPECT_EQ(line.contains("val_loss"), line["step"].get<int64_t>() % 5 == 0);
  }
  EXPECT_NEAR(m[9]["val_ppl"].get<double>(), std::exp(m[9]["val_loss"].get<double>()), 1e-6);
  EXPECT_TRUE(std::filesystem::exists(run + "/loss_curve.svg"));
  EXPECT_TRUE(std::filesystem::exists(run + "/summary.json"));
  EXPECT_FALSE(find_checkpoint(run).empty());
}

TEST_F(TrainerTest, ResumeIsBitExact) {
  std::string straight = dir_.file("straight"), split = dir_.file("split");
  Trainer(tiny_model(), data_, straight, "", options()).run();

  TrainOptions first = options();
  first.stop_after = 10;
  TrainSummary half = Trainer(tiny_model(), data_, split, "", first).run();
  EXPECT_TRUE(half.interrupted);
  EXPECT_EQ(half.steps_done, 10);
  TrainOptions second = options();
  second.resume = true;
  auto resumed_model = tiny_model();
  Trainer(resumed_model, data_, split, "", second).run();

  auto a = metrics(straight), b = metrics(split);
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(a[i]["loss"].get<double>(), b[i]["loss"].get<double>()) << "step " << i + 1;
    EXPECT_EQ(a[i].value("val_loss", -1.0), b[i].value("val_loss", -1.0)) << "step " << i + 1;
  }
}

TEST_F(TrainerTest, CorruptCheckpointIsReportedOnResume) {
  std::string run = dir_.file("run");
  TrainOptions o = options();
  o.steps = 2;
  o.warmup = 1;
  Trainer(tiny_model(), data_, run, "", o).run();
  std::string weights = find_checkpoint(run) + "/model.safetensors";
  std::filesystem::resize_file(weights, std::filesystem::file_size(weights) / 2);
  o.resume = true;
  try {
    Trainer(tiny_model(), data_, run, "", o).run();
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("model.safetensors"), std::string::npos) << e.what();
  }
}

TEST_F(TrainerTest, BadOptionsAreRefused) {
  TrainOptions o = options();
  o.seq = tiny_model()->config().n_ctx + 1;
  EXPECT_THROW(Trainer(tiny_model(), data_, dir_.file("r1"), "", o), Error);
  o = options();
  o.warmup = o.steps + 1;
  EXPECT_THROW(Trainer(tiny_model(), data_, dir_.file("r2"), "", o), Error);
  o = options();
  o.resume = true;
  EXPECT_THROW(Trainer(tiny_model(), data_, dir_.file("none"), "", o).run(), Error);
}

}  // namespace
}  // namespace llmkit::train
