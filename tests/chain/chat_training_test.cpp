// Conversations rendered for fine-tuning: the mask covers exactly each assistant answer and its
// end-of-turn token, checked against an independent tokenisation of the text the format writes
// around the answer; the Jinja version of the built-in gemma format encodes the same ids.
#include "llmkit/chain/chat_training.h"

#include <gtest/gtest.h>

#include "tests/infer/generate_test_util.h"

namespace llmkit::chain {
namespace {

struct MaskRun {
  size_t begin, end;
};

std::vector<MaskRun> runs(const std::vector<uint8_t>& mask) {
  std::vector<MaskRun> out;
  for (size_t i = 0; i < mask.size(); ++i) {
    if (mask[i] && (i == 0 || !mask[i - 1])) out.push_back({i, i});
    if (mask[i]) out.back().end = i + 1;
  }
  return out;
}

Messages conversation() {
  return {system_message("Be brief."), user_message("Capital of France?"),
          assistant_message(" Paris is the capital [1]. "), user_message("And of Spain?"),
          assistant_message("Madrid [2]")};
}

TEST(ChatTraining, GemmaMaskCoversTheAnswersAndTheirEndOfTurn) {
  auto model = infer::testing::tiny_model(models::Arch::kGemma3).model;
  const ChatFormatter f(model);
  ASSERT_EQ(f.description(), "built-in gemma");
  const tokenizer::Tokenizer& tok = model->require_tokenizer();
  const int32_t end_of_turn = tok.piece_to_id("<end_of_turn>");
  const Messages m = conversation();
  const MaskedConversation mc = render_for_training(f, m);
  EXPECT_EQ(mc.ids, f.encode(m, {}, false));
  ASSERT_EQ(mc.mask.size(), mc.ids.size());
  const std::vector<MaskRun> r = runs(mc.mask);
  const std::vector<std::string> answers = {"Paris is the capital [1].", "Madrid [2]"};
  ASSERT_EQ(r.size(), answers.size());
  for (size_t k = 0; k < r.size(); ++k) {
    const std::vector<int32_t> run(mc.ids.begin() + r[k].begin, mc.ids.begin() + r[k].end);
    EXPECT_EQ(run.back(), end_of_turn);
    const std::vector<int32_t> answer_ids(run.begin(), run.end() - 1);
    EXPECT_EQ(tok.decode(answer_ids), answers[k]);
    // The format writes "model\n" + answer as one text piece: tokenised on its own, it must be
    // the two tokens before the run ("<start_of_turn>" is a separate id) followed by the run.
    const std::vector<int32_t> segment = tok.encode("model\n" + answers[k]);
    ASSERT_GE(segment.size(), answer_ids.size());
    EXPECT_TRUE(std::equal(answer_ids.rbegin(), answer_ids.rend(), segment.rbegin()));
    const std::vector<int32_t> lead(segment.begin(), segment.end() - answer_ids.size());
    ASSERT_GE(r[k].begin, lead.size() + 1);
    EXPECT_EQ(std::vector<int32_t>(mc.ids.begin() + r[k].begin - lead.size(),
                                   mc.ids.begin() + r[k].begin),
              lead);
    EXPECT_EQ(mc.ids[r[k].begin - lead.size() - 1], tok.piece_to_id("<start_of_turn>"));
    ASSERT_LT(r[k].end, mc.ids.size());
    EXPECT_EQ(tok.decode({mc.ids[r[k].end]}), "\n");  // the newline after the turn is not trained
  }
}

TEST(ChatTraining, Llama3MaskEndsWithEotId) {
  auto model = infer::testing::tiny_model(models::Arch::kLlama).model;
  const ChatFormatter f(model);
  const tokenizer::Tokenizer& tok = model->require_tokenizer();
  const MaskedConversation mc = render_for_training(f, conversation());
  const std::vector<MaskRun> r = runs(mc.mask);
  ASSERT_EQ(r.size(), 2u);
  EXPECT_EQ(mc.ids[r[1].end - 1], tok.piece_to_id("<|eot_id|>"));
  EXPECT_EQ(r[1].end, mc.ids.size());
  const std::vector<int32_t> answer(mc.ids.begin() + r[1].begin, mc.ids.begin() + r[1].end - 1);
  EXPECT_EQ(tok.decode(answer), "Madrid [2]");
}

TEST(ChatTraining, NeedsAnAssistantMessage) {
  auto model = infer::testing::tiny_model(models::Arch::kGemma3).model;
  const ChatFormatter f(model);
  EXPECT_THROW(render_for_training(f, {user_message("hi")}), Error);
}

TEST(ChatTraining, GemmaJinjaTemplateEncodesLikeTheBuiltInFormat) {
  auto model = infer::testing::tiny_model(models::Arch::kGemma3).model;
  const ChatFormatter builtin(model);
  const ChatFormatter jinja(model, gemma_chat_template(), "gemma (jinja)");
  const std::vector<Messages> cases = {
      conversation(),
      {user_message("  hello  ")},
      {system_message("A"), system_message("B"), user_message("q"), assistant_message("a")},
      {user_message("q"), assistant_message("a"), system_message("late system")}};
  for (const Messages& m : cases) {
    for (bool prompt : {true, false}) {
      EXPECT_EQ(jinja.render(m, {}, prompt), builtin.render(m, {}, prompt));
      EXPECT_EQ(jinja.encode(m, {}, prompt), builtin.encode(m, {}, prompt));
    }
  }
}

}  // namespace
}  // namespace llmkit::chain
