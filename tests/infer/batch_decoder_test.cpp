// infer::BatchDecoder against the training path (models::TransformerLM) on the same random
// weights: several sessions at different positions decoded in one step, mixed prefill and decode
// rows, sliding windows crossed, and input errors that leave every session unchanged.
#include "llmkit/infer/batch_decoder.h"

#include <gtest/gtest.h>

#include <vector>

#include "../support/expect_error.h"
#include "infer_test_util.h"
#include "llmkit/models/arch.h"

namespace llmkit::infer {
namespace {

using models::Arch;

constexpr int64_t kVocab = 64;

models::ModelConfig tiny_config(Arch arch) {
  models::ModelConfig c = models::preset(arch, "tiny");
  c.n_vocab = kVocab;
  c.n_ctx = 64;
  if (c.sliding_window > 0) c.sliding_window = 5;  // binds within the test sequences
  return c;
}

SessionOptions session_options() {
  SessionOptions o;
  o.n_ctx = 40;
  o.n_batch = 16;
  return o;
}

class BatchPerArch : public ::testing::TestWithParam<Arch> {};

// Three sequences of different lengths: each is prefilled alone to a different position, then all
// three advance together one token per step (one of them also takes a 4-token chunk in a step).
// Every returned row equals the training path's logits of that sequence at that position.
TEST_P(BatchPerArch, RowsEqualTrainingPathPerSession) {
  const models::ModelConfig config = tiny_config(GetParam());
  auto lm = testing::random_lm(config, 21);
  auto model = Model::from_weights(config, lm->named_parameters());
  const std::vector<int64_t> prefill = {2, 7, 11};
  const int64_t steps = 9;
  std::vector<std::vector<int32_t>> seqs;
  std::vector<std::vector<float>> want;
  for (size_t i = 0; i < prefill.size(); ++i) {
    seqs.push_back(testing::random_tokens(prefill[i] + steps + 3, kVocab, 100 + i));
    want.push_back(testing::training_logits(*lm, seqs.back()));
  }
  std::vector<Session> sessions;
  for (size_t i = 0; i < prefill.size(); ++i) {
    sessions.emplace_back(model, session_options());
    sessions[i].decode(std::span(seqs[i]).first(prefill[i]));
  }
  BatchDecoder batch(model, 8, 2);
  float worst = 0.0f;
  for (int64_t step = 0; step < steps; ++step) {
    std::vector<Session*> ptrs;
    std::vector<std::span<const int32_t>> inputs;
    for (size_t i = 0; i < sessions.size(); ++i) {
      const int64_t n = (step == 3 && i == 1) ? 4 : 1;  // one chunk of several tokens
      ptrs.push_back(&sessions[i]);
      inputs.push_back(std::span(seqs[i]).subspan(sessions[i].position(), n));
    }
    std::span<const float> logits = batch.decode(ptrs, inputs);
    ASSERT_EQ(logits.size(), sessions.size() * kVocab);
    for (size_t i = 0; i < sessions.size(); ++i) {
      const int64_t last = sessions[i].position() - 1;
      ASSERT_LT(last, static_cast<int64_t>(seqs[i].size()));
      worst = std::max(worst, testing::max_abs_diff(logits.data() + i * kVocab,
                                                    want[i].data() + last * kVocab, kVocab));
    }
  }
  std::printf("%s: batch vs training max |diff| = %.3g\n", models::arch_name(GetParam()), worst);
  EXPECT_LE(worst, 1e-4f);
  EXPECT_EQ(sessions[1].position(), prefill[1] + steps + 3);
  // The sessions go on alone from where the batch left them.
  const int64_t pos = sessions[0].position();
  std::span<const float> alone = sessions[0].decode(std::span(seqs[0]).subspan(pos, 1));
  EXPECT_LE(testing::max_abs_diff(alone.data(), want[0].data() + pos * kVocab, kVocab), 1e-4f);
}

INSTANTIATE_TEST_SUITE_P(Archs, BatchPerArch,
                         ::testing::Values(Arch::kGemma, Arch::kGemma2, Arch::kGemma3,
                                           Arch::kLlama),
                         [](const auto& info) {
                           return std::string(models::arch_name(info.param));
                         });

TEST(BatchDecoder, BadInputsNameTheSessionAndChangeNothing) {
  const models::ModelConfig config = tiny_config(Arch::kLlama);
  auto model = Model::from_weights(config, testing::random_lm(config, 3)->named_parameters());
  auto other = Model::from_weights(config, testing::random_lm(config, 4)->named_parameters());
  SessionOptions small = session_options();
  small.n_ctx = 4;
  Session a(model, session_options()), b(model, small), c(other, session_options()),
      d(model, session_options());
  const std::vector<int32_t> one = {1}, three = {1, 2, 3}, bad = {1, kVocab};
  b.decode(three);
  BatchDecoder batch(model, 4);
  auto run = [&](std::vector<Session*> s, std::vector<std::span<const int32_t>> in) {
    batch.decode(s, in);
  };
  test::expect_error(
      [&] {
        run({&a, &b}, {one, three});
      },
      ErrorCode::kOutOfRange, {"session 1", "context is full"});
  test::expect_error(
      [&] {
        run({&a, &b}, {bad, one});
      },
      ErrorCode::kOutOfRange, {"session 0", "outside the vocabulary"});
  test::expect_error(
      [&] {
        run({&a, &a}, {one, one});
      },
      ErrorCode::kInvalidArgument, {"more than once"});
  test::expect_error(
      [&] {
        run({&a, &c}, {one, one});
      },
      ErrorCode::kInvalidArgument, {"session 1", "another model"});
  test::expect_error(
      [&] {
        run({&a, &d}, {three, three});
      },
      ErrorCode::kInvalidArgument, {"6 tokens", "max_rows"});
  test::expect_error([&] { run({&a}, {}); }, ErrorCode::kInvalidArgument, {"one input per"});
  EXPECT_EQ(a.position(), 0);
  EXPECT_EQ(b.position(), 3);
  run({&a, &b}, {three, one});
  EXPECT_EQ(a.position(), 3);
  EXPECT_EQ(b.position(), 4);
}

}  // namespace
}  // namespace llmkit::infer
