// End-to-end learning checks of the whole stack (tensors, autodiff, nn, optim).
#include <gtest/gtest.h>

#include <cstdio>

#include "llmkit/autograd/backward.h"
#include "llmkit/autograd/functions.h"
#include "llmkit/nn/linear.h"
#include "llmkit/nn/loss.h"
#include "llmkit/nn/transformer_block.h"
#include "llmkit/optim/adamw.h"
#include "llmkit/optim/param_groups.h"
#include "llmkit/optim/sgd.h"

namespace llmkit {
namespace {

class XorNet : public nn::Module {
 public:
  explicit XorNet(Generator& gen) {
    fc1 = register_module("fc1", std::make_shared<nn::Linear>(2, 8, true, gen, 0.0f));
    fc2 = register_module("fc2", std::make_shared<nn::Linear>(8, 1, true, gen, 0.0f));
  }
  Tensor forward(const Tensor& x) const { return fc2->forward(tanh(fc1->forward(x))); }
  std::shared_ptr<nn::Linear> fc1, fc2;
};

TEST(Learning, TwoLayerMlpLearnsXor) {
  Generator gen(3);
  XorNet net(gen);
  optim::AdamWOptions o;
  o.lr = 0.05f;
  optim::AdamW opt(optim::decay_groups(net, 0.0f), o);
  Tensor x = from_vector({0, 0, 0, 1, 1, 0, 1, 1}, {4, 2});
  Tensor y = from_vector({0, 1, 1, 0}, {4, 1});
  float first = 0, last = 0;
  for (int step = 0; step < 500; ++step) {
    Tensor loss = nn::mse_loss(net.forward(x), y);
    if (step == 0) first = loss.item();
    last = loss.item();
    opt.zero_grad();
    backward(loss);
    opt.step();
  }
  EXPECT_LT(last, 1e-3f) << "first loss " << first;
  std::vector<float> pred = net.forward(x).to_vector();
  EXPECT_LT(pred[0], 0.5f);
  EXPECT_GT(pred[1], 0.5f);
  EXPECT_GT(pred[2], 0.5f);
  EXPECT_LT(pred[3], 0.5f);
}

// A tiny LM: embedding -> one Gemma-3-style block -> RMSNorm -> tied output projection, trained on
// one fixed batch of random token ids until it has memorised it.
struct TinyLm : nn::Module {
  static constexpr int64_t kV = 32, kC = 32;
  explicit TinyLm(Generator& gen) {
    nn::BlockConfig c;
    c.attention.n_embd = kC;
    c.attention.n_head = 4;
    c.attention.n_head_kv = 2;
    c.attention.qk_norm = true;
    c.attention.norm_unit_offset = true;
    c.mlp.n_embd = kC;
    c.mlp.n_ff = 64;
    c.mlp.kind = nn::MlpKind::kGeGLU;
    c.norm_unit_offset = true;
    c.post_norms = true;
    emb = register_module("token_embd", std::make_shared<nn::Embedding>(kV, kC, gen, 0.1f));
    blk = register_module("blk.0", std::make_shared<nn::TransformerBlock>(c, gen));
    norm = register_module("output_norm", std::make_shared<nn::RMSNorm>(kC, 1e-6f, true));
  }
  Tensor forward(const Tensor& ids, const Tensor& pos) const {
    Tensor h = blk->forward(emb->forward(ids), pos);
    return matmul(norm->forward(h), transpose(emb->weight(), 0, 1));  // [B, T, V]
  }
  std::shared_ptr<nn::Embedding> emb;
  std::shared_ptr<nn::TransformerBlock> blk;
  std::shared_ptr<nn::RMSNorm> norm;
};

TEST(Learning, TransformerBlockOverfitsFixedBatch) {
  constexpr int64_t V = TinyLm::kV, B = 2, T = 16;
  Generator gen(5);
  TinyLm lm(gen);

  std::vector<int32_t> ids(B * (T + 1));
  for (auto& id : ids) id = static_cast<int32_t>(gen.next_bits() % V);
  Tensor all = from_ints(ids, {B, T + 1});
  Tensor inputs = contiguous(slice(all, 1, 0, T));
  Tensor targets = contiguous(slice(all, 1, 1, T + 1));
  Tensor pos = arange(T);

  optim::AdamWOptions o;
  o.lr = 1e-2f;
  optim::AdamW opt(optim::decay_groups(lm, 0.0f), o);
  float loss_value = 0, first_loss = 0;
  int steps = 0;
  for (; steps < 300; ++steps) {
    Tensor loss = nn::cross_entropy_loss(lm.forward(inputs, pos), targets);
    loss_value = loss.item();
    if (steps == 0) first_loss = loss_value;
    if (loss_value < 0.05f) break;
    opt.zero_grad();
    backward(loss);
    opt.step();
  }
  EXPECT_GT(first_loss, 3.0f);  // near-uniform start: ln 32 = 3.47
  EXPECT_LT(loss_value, 0.05f) << "after " << steps << " steps";
  std::printf("overfit: loss %.3f -> %.4f in %d steps\n", first_loss, loss_value, steps);
}

// Causality of the whole stack: changing the token at position t must leave the logits of every
// earlier position unchanged, and change position t's.
TEST(Learning, LogitsDoNotSeeTheFuture) {
  Generator gen(9);
  TinyLm lm(gen);
  constexpr int64_t T = 12;
  std::vector<int32_t> ids(T);
  for (auto& id : ids) id = static_cast<int32_t>(gen.next_bits() % TinyLm::kV);
  Tensor pos = arange(T);
  Tensor base = lm.forward(from_ints(ids, {1, T}), pos);
  for (int64_t t : {0, 5, 11}) {
    std::vector<int32_t> changed = ids;
    changed[t] = (changed[t] + 7) % TinyLm::kV;
    Tensor other = lm.forward(from_ints(changed, {1, T}), pos);
    for (int64_t u = 0; u < T; ++u) {
      std::vector<float> a = select(select(base, 0, 0), 0, u).to_vector();
      std::vector<float> b = select(select(other, 0, 0), 0, u).to_vector();
      if (u < t) {
        EXPECT_EQ(a, b) << "position " << u << " changed when token " << t << " changed";
      } else if (u == t) {
        EXPECT_NE(a, b);
      }
    }
  }
}

}  // namespace
}  // namespace llmkit
