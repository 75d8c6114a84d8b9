// Every architecture's full language model memorises one repeated batch of random token ids:
// next-token loss falls from about ln V to near zero. Exercises the whole training path
// (embedding scale, blocks, soft-caps, tied/untied output, AdamW) per architecture.
#include <gtest/gtest.h>

#include <cmath>

#include "llmkit/autograd/backward.h"
#include "llmkit/autograd/functions.h"
#include "llmkit/models/arch.h"
#include "llmkit/models/transformer_lm.h"
#include "llmkit/optim/adamw.h"
#include "llmkit/optim/param_groups.h"

namespace llmkit {
namespace {

class LmOverfit : public ::testing::TestWithParam<models::Arch> {};

TEST_P(LmOverfit, RepeatedBatchLossFallsToNearZero) {
  models::ModelConfig c = models::preset(GetParam(), "tiny");
  c.n_layer = 2;
  c.n_vocab = 64;
  models::TransformerLM lm(c, 3);
  constexpr int64_t B = 2, T = 16;
  Generator gen(17);
  std::vector<int32_t> ids(B * (T + 1));
  for (auto& id : ids) id = static_cast<int32_t>(gen.next_bits() % c.n_vocab);
  Tensor all = from_ints(ids, {B, T + 1});
  Tensor inputs = contiguous(slice(all, 1, 0, T)), targets = contiguous(slice(all, 1, 1, T + 1));

  optim::AdamWOptions o;
  o.lr = 1e-2f;
  optim::AdamW opt(optim::decay_groups(lm, 0.0f), o);
  float first = 0, last = 0;
  int step = 0;
  for (; step < 200; ++step) {
    Tensor loss = cross_entropy(lm.forward(inputs), targets);
    last = loss.item();
    if (step == 0) first = last;
    if (last < 0.05f) break;
    opt.zero_grad();
    backward(loss);
    opt.step();
  }
  EXPECT_GT(first, 0.5f * std::log(64.0f)) << "initial loss should be near ln V";
  EXPECT_LT(last, 0.05f) << models::arch_name(GetParam()) << " after " << step << " steps";
}

INSTANTIATE_TEST_SUITE_P(AllArchitectures, LmOverfit,
                         ::testing::Values(models::Arch::kGemma, models::Arch::kGemma2,
                                           models::Arch::kGemma3, models::Arch::kLlama),
                         [](const auto& info) { return models::arch_name(info.param); });

}  // namespace
}  // namespace llmkit
