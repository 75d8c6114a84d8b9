// generate() on tiny random-weight models with a tokenizer trained here: greedy determinism (and
// agreement with the training path's argmax), the stop conditions (EOS, stop strings, max tokens,
// context full, callback), streaming text and errors.
#include "llmkit/infer/generator.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "llmkit/autograd/node.h"
#include "llmkit/base/error.h"
#include "llmkit/infer/chat_format.h"
#include "llmkit/tensor/creation.h"
#include "tests/infer/generate_test_util.h"

namespace llmkit::infer {
namespace {

using testing::chat_tokenizer;
using testing::tiny_model;
using testing::TinyModel;

std::vector<int32_t> prompt_ids() {
  std::vector<int32_t> ids{chat_tokenizer()->bos_id()};
  for (int32_t id : chat_tokenizer()->encode("The president of the nation")) ids.push_back(id);
  return ids;
}

GenerateOptions greedy(int64_t max_tokens) {
  GenerateOptions o;
  o.max_tokens = max_tokens;
  o.sampler.temperature = 0.0f;
  o.stop_tokens = std::vector<int32_t>{};  // none: run to max_tokens
  return o;
}

struct GenRun {
  GenerateStats stats;
  std::vector<std::string> pieces;
  int64_t position = 0;
};

GenRun run(const TinyModel& m, const GenerateOptions& o, int stop_after_calls = -1,
           const std::vector<int32_t>& prompt = prompt_ids(), int64_t n_ctx = 0) {
  SessionOptions so;
  so.n_ctx = n_ctx;
  Session session(m.model, so);
  GenRun r;
  r.stats = generate(session, prompt, o, [&](const std::string& piece, int32_t) {
    r.pieces.push_back(piece);
    return stop_after_calls < 0 || static_cast<int>(r.pieces.size()) < stop_after_calls;
  });
  r.position = session.position();
  return r;
}

std::string joined(const std::vector<std::string>& pieces) {
  std::string s;
  for (const std::string& p : pieces) s += p;
  return s;
}

class GeneratorArchTest : public ::testing::TestWithParam<models::Arch> {};

TEST_P(GeneratorArchTest, GreedyIsDeterministicAndFollowsTheTrainingPathArgmax) {
  TinyModel m = tiny_model(GetParam());
  GenRun a = run(m, greedy(12)), b = run(m, greedy(12));
  ASSERT_EQ(a.stats.tokens.size(), 12u);
  EXPECT_EQ(a.stats.tokens, b.stats.tokens);
  EXPECT_EQ(a.stats.text, b.stats.text);
  EXPECT_EQ(a.stats.stop_reason, "max tokens");
  EXPECT_EQ(a.stats.generated_tokens, 12);
  EXPECT_EQ(a.stats.prompt_tokens, static_cast<int64_t>(prompt_ids().size()));
  EXPECT_EQ(a.position, a.stats.prompt_tokens + 12);  // every generated token was decoded
  // The streamed text is the decode of the tokens, in valid UTF-8 pieces.
  EXPECT_EQ(joined(a.pieces), chat_tokenizer()->decode(a.stats.tokens));
  EXPECT_EQ(joined(a.pieces), a.stats.text);
  for (const std::string& p : a.pieces) EXPECT_TRUE(tokenizer::testing::is_valid_utf8(p));

  // Token i is the argmax of the training path's logits after prompt + tokens[0..i).
  autograd::NoGradGuard no_grad;
  std::vector<int32_t> ids = prompt_ids();
  const int64_t V = m.model->config().n_vocab;
  for (int32_t token : a.stats.tokens) {
    const int64_t T = static_cast<int64_t>(ids.size());
    std::vector<float> logits = m.lm->forward(from_ints(ids, {1, T})).to_vector();
    const float* last = logits.data() + (T - 1) * V;
    const float best = *std::max_element(last, last + V);
    EXPECT_GE(last[token], best - 1e-3f) << "token " << token << " at step " << T;
    ids.push_back(token);
  }
}

INSTANTIATE_TEST_SUITE_P(Archs, GeneratorArchTest,
                         ::testing::Values(models::Arch::kGemma3, models::Arch::kLlama),
                         [](const auto& info) {
                           return std::string(models::arch_name(info.param));
                         });

TEST(GeneratorTest, StopsAtAnEndOfGenerationTokenWithoutEmittingIt) {
  TinyModel m = tiny_model(models::Arch::kGemma3);
  GenRun unbounded = run(m, greedy(4));
  GenerateOptions o = greedy(4);
  o.stop_tokens = std::vector<int32_t>{unbounded.stats.tokens[0]};
  GenRun r = run(m, o);
  EXPECT_EQ(r.stats.stop_reason, "eos");
  EXPECT_EQ(r.stats.generated_tokens, 0);
  EXPECT_EQ(r.stats.text, "");
  EXPECT_TRUE(r.pieces.empty());
  EXPECT_EQ(r.position, r.stats.prompt_tokens);  // the EOS is not decoded

  // Stopping at the second token instead: one token out.
  o.stop_tokens = std::vector<int32_t>{unbounded.stats.tokens[1]};
  if (unbounded.stats.tokens[1] != unbounded.stats.tokens[0]) {
    GenRun r2 = run(m, o);
    EXPECT_EQ(r2.stats.generated_tokens, 1);
    EXPECT_EQ(r2.stats.stop_reason, "eos");
  }
}

TEST(GeneratorTest, DefaultStopTokensAreEosAndEndOfTurnTokens) {
  TinyModel m = tiny_model(models::Arch::kGemma3);
  auto tok = chat_tokenizer();
  std::vector<int32_t> ids = default_stop_tokens(*m.model);
  std::sort(ids.begin(), ids.end());
  std::vector<int32_t> want = {tok->eos_id(), tok->piece_to_id("<end_of_turn>"),
                               tok->piece_to_id("<|eot_id|>")};
  std::sort(want.begin(), want.end());
  EXPECT_EQ(ids, want);
}

TEST(GeneratorTest, StopStringCutsTheOutputBeforeIt) {
  TinyModel m = tiny_model(models::Arch::kGemma3);
  // Penalties keep the random model from repeating one piece, so the text has some variety.
  GenerateOptions o = greedy(30);
  o.sampler.presence_penalty = 3.0f;
  o.sampler.repeat_last_n = -1;
  GenRun unbounded = run(m, o);
  const std::string& text = unbounded.stats.text;
  ASSERT_GE(text.size(), 8u) << "the random model produced too little text: '" << text << "'";
  // A stop string starting in the middle of the output (on a character boundary).
  size_t start = text.size() / 2;
  while (start > 0 && (static_cast<unsigned char>(text[start]) & 0xC0) == 0x80) --start;
  size_t len = 1;
  while (start + len < text.size() && len < 3) ++len;
  while (start + len < text.size() &&
         (static_cast<unsigned char>(text[start + len]) & 0xC0) == 0x80) {
    ++len;
  }
  const std::string stop = text.substr(start, len);
  ASSERT_GT(text.find(stop), 0u) << "'" << stop << "' should not start the text '" << text << "'";
  o.stop_strings = {stop};
  GenRun r = run(m, o);
  const std::string want = text.substr(0, text.find(stop));
  EXPECT_EQ(r.stats.text, want) << "stop string '" << stop << "'";
  EXPECT_EQ(joined(r.pieces), want);
  EXPECT_EQ(r.stats.stop_reason, "stop string");
  EXPECT_LT(r.stats.generated_tokens, 30);
  // The tokens are the unbounded run's up to the one that completed the stop string.
  ASSERT_LE(r.stats.tokens.size(), unbounded.stats.tokens.size());
  EXPECT_TRUE(
      std::equal(r.stats.tokens.begin(), r.stats.tokens.end(), unbounded.stats.tokens.begin()));
  EXPECT_NE(chat_tokenizer()->decode(r.stats.tokens).find(stop), std::string::npos);

  // A stop string that never occurs changes nothing.
  o.stop_strings = {"\x01never\x02"};
  GenRun same = run(m, o);
  EXPECT_EQ(same.stats.text, text);
  EXPECT_EQ(same.stats.stop_reason, "max tokens");
}

TEST(GeneratorTest, MaxTokensAndContextFull) {
  TinyModel m = tiny_model(models::Arch::kLlama);
  GenRun five = run(m, greedy(5));
  EXPECT_EQ(five.stats.generated_tokens, 5);
  GenRun none = run(m, greedy(0));
  EXPECT_EQ(none.stats.generated_tokens, 0);
  EXPECT_EQ(none.stats.stop_reason, "max tokens");
  EXPECT_EQ(none.position, none.stats.prompt_tokens);  // the prompt was still prefilled

  const int64_t n_ctx = 16;
  GenRun full = run(m, greedy(-1), -1, prompt_ids(), n_ctx);
  EXPECT_EQ(full.stats.stop_reason, "context full");
  EXPECT_EQ(full.stats.generated_tokens, n_ctx - static_cast<int64_t>(prompt_ids().size()));
  EXPECT_EQ(full.position, n_ctx);
  // Same tokens as an unbounded context gives for the first steps.
  GenRun longer = run(m, greedy(full.stats.generated_tokens));
  EXPECT_EQ(full.stats.tokens, longer.stats.tokens);
}

TEST(GeneratorTest, CallbackReturningFalseStops) {
  TinyModel m = tiny_model(models::Arch::kGemma3);
  GenRun r = run(m, greedy(20), /*stop_after_calls=*/3);
  EXPECT_EQ(r.stats.stop_reason, "callback");
  EXPECT_EQ(r.stats.generated_tokens, 3);
  EXPECT_EQ(r.position, r.stats.prompt_tokens + 3);
}

TEST(GeneratorTest, SeededSamplingIsReproducible) {
  TinyModel m = tiny_model(models::Arch::kGemma3);
  GenerateOptions o;
  o.max_tokens = 16;
  o.stop_tokens = std::vector<int32_t>{};
  o.sampler.temperature = 1.0f;
  o.sampler.seed = 5;
  GenRun a = run(m, o), b = run(m, o);
  EXPECT_EQ(a.stats.tokens, b.stats.tokens);
  o.sampler.seed = 6;
  GenRun c = run(m, o);
  EXPECT_NE(a.stats.tokens, c.stats.tokens);
}

TEST(GeneratorTest, ContinuesAfterEarlierContentInTheSession) {
  // Generating in two calls on one session equals one call over the concatenated prompt.
  TinyModel m = tiny_model(models::Arch::kGemma3);
  Session s(m.model);
  std::vector<int32_t> p = prompt_ids();
  std::vector<int32_t> head(p.begin(), p.begin() + 2), tail(p.begin() + 2, p.end());
  generate(s, head, greedy(0), nullptr);
  GenerateStats second = generate(s, tail, greedy(6), nullptr);
  GenRun whole = run(m, greedy(6));
  EXPECT_EQ(second.tokens, whole.stats.tokens);
}

TEST(GeneratorTest, ChatTurnsAppendedToOneSessionEqualAFreshPrefill) {
  // What `llmkit chat` does: the second turn appends only its tokens after the first answer,
  // which must give the same answer as a fresh session reading the whole conversation.
  TinyModel m = tiny_model(models::Arch::kGemma3);
  ChatFormat format(models::Arch::kGemma3, *chat_tokenizer());
  std::vector<ChatMessage> first = {{"system", "Be brief."}, {"user", "Hello there"}};
  Session chat(m.model);
  std::vector<int32_t> turn1 = format.encode(first);
  GenerateStats answer1 = generate(chat, turn1, greedy(5), nullptr);
  std::vector<int32_t> turn2 = format.encode_next_turn("And the nation?");
  GenerateStats answer2 = generate(chat, turn2, greedy(5), nullptr);

  std::vector<int32_t> all = turn1;
  all.insert(all.end(), answer1.tokens.begin(), answer1.tokens.end());
  all.insert(all.end(), turn2.begin(), turn2.end());
  Session fresh(m.model);
  EXPECT_EQ(generate(fresh, all, greedy(5), nullptr).tokens, answer2.tokens);
  EXPECT_EQ(chat.position(), fresh.position());
}

TEST(GeneratorTest, RejectsBadInput) {
  TinyModel m = tiny_model(models::Arch::kGemma3);
  SessionOptions so;
  so.n_ctx = 8;
  Session s(m.model, so);
  std::vector<int32_t> empty;
  EXPECT_THROW(generate(s, empty, greedy(1), nullptr), Error);
  std::vector<int32_t> too_long(9, 5);
  EXPECT_THROW(generate(s, too_long, greedy(1), nullptr), Error);
  GenerateOptions bad = greedy(-2);
  EXPECT_THROW(generate(s, prompt_ids(), bad, nullptr), Error);
  bad = greedy(1);
  bad.sampler.top_p = 0.0f;
  EXPECT_THROW(generate(s, prompt_ids(), bad, nullptr), Error);
  bad = greedy(1);
  bad.stop_strings = {""};
  EXPECT_THROW(generate(s, prompt_ids(), bad, nullptr), Error);
}

}  // namespace
}  // namespace llmkit::infer
