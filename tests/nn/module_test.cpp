#include "llmkit/nn/module.h"

#include <gtest/gtest.h>

#include "llmkit/nn/linear.h"
#include "llmkit/nn/transformer_block.h"
#include "llmkit/tensor/creation.h"

namespace llmkit::nn {
namespace {

class TwoLayer : public Module {
 public:
  explicit TwoLayer(Generator& gen) {
    fc1 = register_module("fc1", std::make_shared<Linear>(3, 4, true, gen));
    fc2 = register_module("fc2", std::make_shared<Linear>(4, 2, false, gen));
    scale = register_parameter("scale", ones({2}));
  }
  std::shared_ptr<Linear> fc1, fc2;
  Tensor scale;
};

BlockConfig small_block() {
  BlockConfig c;
  c.attention.n_embd = 8;
  c.attention.n_head = 2;
  c.attention.n_head_kv = 1;
  c.attention.qk_norm = true;
  c.mlp.n_embd = 8;
  c.mlp.n_ff = 16;
  c.mlp.kind = MlpKind::kGeGLU;
  c.post_norms = true;
  return c;
}

TEST(Module, HierarchicalNamesInRegistrationOrder) {
  Generator gen(1);
  TwoLayer m(gen);
  std::vector<std::string> names;
  for (auto& [n, t] : m.named_parameters()) names.push_back(n);
  EXPECT_EQ(names, (std::vector<std::string>{"scale", "fc1.weight", "fc1.bias", "fc2.weight"}));
  EXPECT_EQ(m.parameter_count(), 2 + 12 + 4 + 8);
}

TEST(Module, InlinedChildrenGiveGgufNames) {
  Generator gen(1);
  TransformerBlock block(small_block(), gen);
  std::vector<std::string> names;
  for (auto& [n, t] : block.named_parameters()) names.push_back(n);
  std::vector<std::string> expected{"attn_norm.weight",    "attn_q.weight",
                                    "attn_k.weight",       "attn_v.weight",
                                    "attn_output.weight",  "attn_q_norm.weight",
                                    "attn_k_norm.weight",  "post_attention_norm.weight",
                                    "ffn_norm.weight",     "ffn_gate.weight",
                                    "ffn_up.weight",       "ffn_down.weight",
                                    "post_ffw_norm.weight"};
  EXPECT_EQ(names, expected);
  // q: 8 -> 2 heads * 4, k/v: 8 -> 1 * 4, o: 8 -> 8, norms 8 each (4), qk norms 4 each, mlp 3 *
  // 128.
  EXPECT_EQ(block.parameter_count(), 64 + 32 + 32 + 64 + 4 * 8 + 2 * 4 + 3 * 128);
}

TEST(Module, FreezeAndTrainMode) {
  Generator gen(1);
  TwoLayer m(gen);
  m.fc1->freeze();
  EXPECT_EQ(m.parameter_count(true), 2 + 8);
  EXPECT_EQ(m.trainable_parameters().size(), 2u);
  m.unfreeze();
  EXPECT_EQ(m.parameter_count(true), m.parameter_count());
  m.eval();
  EXPECT_FALSE(m.fc2->is_training());
  m.train();
  EXPECT_TRUE(m.fc2->is_training());
}

TEST(Module, StateDictRoundTripAndErrors) {
  Generator g1(1), g2(2);
  TwoLayer a(g1), b(g2);
  EXPECT_NE(a.fc1->weight().to_vector(), b.fc1->weight().to_vector());
  b.load_state_dict(a.state_dict());
  EXPECT_EQ(a.fc1->weight().to_vector(), b.fc1->weight().to_vector());
  EXPECT_EQ(a.fc2->weight().to_vector(), b.fc2->weight().to_vector());

  NamedTensors missing = a.state_dict();
  missing.pop_back();
  EXPECT_THROW(b.load_state_dict(missing), Error);
  EXPECT_NO_THROW(b.load_state_dict(missing, /*strict=*/false));

  NamedTensors wrong = a.state_dict();
  wrong[1].second = zeros({4, 4});
  try {
    b.load_state_dict(wrong);
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("fc1.weight"), std::string::npos) << e.what();
  }
  NamedTensors extra = a.state_dict();
  extra.emplace_back("bogus", zeros({1}));
  EXPECT_THROW(b.load_state_dict(extra), Error);
}

TEST(Module, DuplicateRegistrationThrows) {
  struct Bad : Module {
    Bad() {
      register_parameter("w", zeros({1}));
      register_parameter("w", zeros({1}));
    }
  };
  EXPECT_THROW(Bad(), Error);
}

}  // namespace
}  // namespace llmkit::nn
