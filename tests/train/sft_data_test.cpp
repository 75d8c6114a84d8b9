// Supervised fine-tuning pieces: batches hold exactly the masked targets (checked position by
// position against the definition), the example order covers every example once per epoch, a
// short fine-tune of a tiny model lowers the loss on held-out answer tokens, and an interrupted
// run resumed from its checkpoint repeats an uninterrupted run's losses exactly.
#include "llmkit/train/sft_data.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <set>

#include <nlohmann/json.hpp>

#include "llmkit/models/arch.h"
#include "tests/train/data_test_util.h"

namespace llmkit::train {
namespace {
using testing::ByteTokenizer;
using testing::TempDir;

SftExample example(const std::vector<int32_t>& ids, const std::vector<uint8_t>& mask) {
  return {ids, mask};
}

TEST(SftBatch, TargetsAreTheMaskedNextTokensAndRowsArePadded) {
  const SftExample a = example({2, 10, 11, 12, 13, 14}, {0, 0, 0, 1, 1, 0});
  const SftExample b = example({2, 20, 21}, {0, 1, 1});
  Batch batch = make_sft_batch({&a, &b}, 64, /*pad_id=*/0);
  ASSERT_EQ(batch.inputs.shape(), (Shape{2, 5}));
  ASSERT_EQ(batch.targets.shape(), (Shape{2, 5}));
  EXPECT_EQ(batch.inputs.to_int_vector(),
            (std::vector<int32_t>{2, 10, 11, 12, 13, /**/ 2, 20, 21, 0, 0}));
  EXPECT_EQ(batch.targets.to_int_vector(),
            (std::vector<int32_t>{-100, -100, 12, 13, -100, /**/ 20, 21, -100, -100, -100}));
  // Capped at seq: the first 2 positions only.
  batch = make_sft_batch({&a}, 2, 0);
  EXPECT_EQ(batch.inputs.to_int_vector(), (std::vector<int32_t>{2, 10}));
  EXPECT_EQ(batch.targets.to_int_vector(), (std::vector<int32_t>{-100, -100}));
}

TEST(SftOrder, EveryEpochVisitsEveryExampleOnceAndIsReproducible) {
  SftOrder order(10, 3);
  std::vector<size_t> seen;
  for (int64_t k = 0; k < 5; ++k) {
    for (size_t i : order.batch(k, 4)) seen.push_back(i);  // 20 = two epochs
  }
  for (int epoch = 0; epoch < 2; ++epoch) {
    std::set<size_t> s(seen.begin() + epoch * 10, seen.begin() + epoch * 10 + 10);
    EXPECT_EQ(s.size(), 10u);
  }
  EXPECT_NE(std::vector<size_t>(seen.begin(), seen.begin() + 10),
            std::vector<size_t>(seen.begin() + 10, seen.end()));
  SftOrder again(10, 3);
  EXPECT_EQ(again.batch(3, 4), order.batch(3, 4));  // random access gives the same batch
}

// A copying task: BOS, 8 random letters, '=', then the 3rd, 5th and 7th letters and EOS; the
// answer (after '=') is masked in.
std::vector<SftExample> copy_task(const ByteTokenizer& tok, int n, uint64_t seed) {
  std::vector<SftExample> out;
  uint64_t s = seed * 0x9E3779B97F4A7C15ULL + 1;
  for (int i = 0; i < n; ++i) {
    std::string prompt;
    for (int k = 0; k < 8; ++k) {
      s = s * 6364136223846793005ULL + 1442695040888963407ULL;
      prompt += static_cast<char>('a' + (s >> 33) % 6);
    }
    const std::string answer = {prompt[2], prompt[4], prompt[6]};
    SftExample e;
    e.ids.push_back(tok.bos_id());
    for (int32_t id : tok.encode(prompt + "=")) e.ids.push_back(id);
    e.mask.assign(e.ids.size(), 0);
    for (int32_t id : tok.encode(answer)) e.ids.push_back(id);
    e.ids.push_back(tok.eos_id());
    e.mask.resize(e.ids.size(), 1);
    out.push_back(std::move(e));
  }
  return out;
}

class SftTrainingTest : public ::testing::Test {
 protected:
  void SetUp() override {
    train_ = std::make_shared<std::vector<SftExample>>(copy_task(tok_, 256, 1));
    val_ = copy_task(tok_, 32, 2);
    write_sft_shards(dir_.file("shards"), *train_, val_, tok_, "");
    data_ = TokenDataset::open(dir_.file("shards"));
  }
  std::shared_ptr<models::TransformerLM> tiny_model() const {
    models::ModelConfig c = models::preset(models::Arch::kGemma3, "tiny");
    c.n_vocab = tok_.n_vocab();
    return std::make_shared<models::TransformerLM>(c, 5);
  }
  TrainOptions options() const {
    TrainOptions o;
    o.steps = 60;
    o.batch = 8;
    o.seq = 16;
    o.lr = 3e-3f;
    o.min_lr = 3e-4f;
    o.warmup = 5;
    o.eval_every = 0;
    o.eval_batches = 2;
    o.save_every = 0;
    o.threads = 1;
    o.progress = false;
    return o;
  }
  std::shared_ptr<SftObjective> objective(const TrainOptions& o) const {
    return std::make_shared<SftObjective>(train_, o.batch, o.seq, o.seed, tok_.pad_id());
  }
  static std::vector<double> losses(const std::string& run) {
    std::vector<double> out;
    std::ifstream in(run + "/metrics.jsonl");
    for (std::string line; std::getline(in, line);) {
      out.push_back(nlohmann::json::parse(line)["loss"].get<double>());
    }
    return out;
  }

  TempDir dir_;
  ByteTokenizer tok_;
  std::shared_ptr<std::vector<SftExample>> train_;
  std::vector<SftExample> val_;
  std::shared_ptr<TokenDataset> data_;
};

TEST_F(SftTrainingTest, ShortFineTuneLowersHeldOutAnswerLoss) {
  auto model = tiny_model();
  const TrainOptions o = options();
  model->eval();
  const EvalResult before = evaluate_sft(*model, val_, 8, o.seq, tok_.pad_id());
  EXPECT_EQ(before.tokens, 32 * 4);  // 3 answer letters + EOS per example
  Trainer trainer(model, data_, dir_.file("run"), "", o, objective(o));
  trainer.run();
  model->eval();
  const EvalResult after = evaluate_sft(*model, val_, 8, o.seq, tok_.pad_id());
  EXPECT_LT(after.loss, 0.6 * before.loss) << before.loss << " -> " << after.loss;
  EXPECT_GT(after.accuracy, before.accuracy);
}

TEST_F(SftTrainingTest, ResumeRepeatsTheUninterruptedRun) {
  TrainOptions o = options();
  o.steps = 8;
  Trainer full(tiny_model(), data_, dir_.file("full"), "", o, objective(o));
  full.run();
  TrainOptions first = o;
  first.stop_after = 3;
  Trainer part(tiny_model(), data_, dir_.file("part"), "", first, objective(first));
  EXPECT_TRUE(part.run().interrupted);
  TrainOptions rest = o;
  rest.resume = true;
  Trainer resumed(tiny_model(), data_, dir_.file("part"), "", rest, objective(rest));
  resumed.run();
  const std::vector<double> a = losses(dir_.file("full")), b = losses(dir_.file("part"));
  ASSERT_EQ(a.size(), 8u);
  EXPECT_EQ(a, b);
}

}  // namespace
}  // namespace llmkit::train
