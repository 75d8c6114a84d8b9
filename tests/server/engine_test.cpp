// server::Engine against infer::generate on a lone Session (the independent path): greedy jobs
// decoded together in batched steps give exactly the tokens each gives alone; prefix reuse;
// cancellation, deadlines, the queue limit, context overflow and shutdown.
#include "llmkit/server/engine.h"

#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <vector>

#include "llmkit/infer/generator.h"
#include "llmkit/infer/session.h"
#include "tests/infer/generate_test_util.h"

namespace llmkit::server {
namespace {

using namespace std::chrono_literals;

struct Outcome {
  std::vector<int32_t> tokens;
  std::string text;
  JobEvent end;
};

Outcome drain(JobHandle& job) {
  Outcome out;
  JobEvent e;
  for (;;) {
    if (!job.next(e, 30000ms)) {
      ADD_FAILURE() << "no event within 30 s";
      return out;
    }
    if (e.done) break;
    if (e.token >= 0) out.tokens.push_back(e.token);
    out.text += e.text;
  }
  out.end = e;
  return out;
}

infer::GenerateOptions greedy(int64_t max_tokens) {
  infer::GenerateOptions o;
  o.max_tokens = max_tokens;
  o.sampler.temperature = 0.0f;
  return o;
}

std::vector<int32_t> prompt_of(const infer::Model& model, const std::string& text) {
  return model.require_tokenizer().encode(text, /*add_bos=*/true, /*parse_special=*/false);
}

infer::GenerateStats alone(const std::shared_ptr<const infer::Model>& model,
                           const std::vector<int32_t>& prompt, const infer::GenerateOptions& o) {
  infer::SessionOptions so;
  so.n_ctx = 256;
  infer::Session session(model, so);
  return infer::generate(session, prompt, o, nullptr);
}

EngineOptions engine_options(int slots) {
  EngineOptions o;
  o.slots = slots;
  o.n_ctx = 256;
  o.prefill_chunk = 16;  // prompts load over several steps, beside decoding slots
  o.n_threads = 2;
  return o;
}

TEST(Engine, GreedyJobsDecodedTogetherEqualEachAlone) {
  auto tiny = infer::testing::tiny_model(models::Arch::kGemma3, 7);
  Engine engine(tiny.model, engine_options(3));
  const std::vector<std::string> texts = {
      "the quick brown fox", "a",
      "numbers and letters and more words to make a longer prompt "
      "that needs several prefill chunks to load into its slot, more than sixteen tokens",
      "hello there", "one two three four five"};
  std::vector<JobHandlePtr> jobs;
  std::vector<std::vector<int32_t>> prompts;
  for (size_t i = 0; i < texts.size(); ++i) {
    JobSpec spec;
    spec.prompt = prompt_of(*tiny.model, texts[i]);
    spec.options = greedy(12 + static_cast<int64_t>(i) * 3);
    spec.options.stop_tokens = std::vector<int32_t>{};  // fixed lengths
    prompts.push_back(spec.prompt);
    jobs.push_back(engine.submit(spec));
  }
  for (size_t i = 0; i < jobs.size(); ++i) {
    SCOPED_TRACE(texts[i]);
    const Outcome got = drain(*jobs[i]);
    infer::GenerateOptions o = greedy(12 + static_cast<int64_t>(i) * 3);
    o.stop_tokens = std::vector<int32_t>{};
    const infer::GenerateStats want = alone(tiny.model, prompts[i], o);
    EXPECT_EQ(got.tokens, want.tokens);
    EXPECT_EQ(got.text, want.text);
    EXPECT_EQ(got.end.stop_reason, "max tokens");
    EXPECT_EQ(got.end.generated_tokens, static_cast<int64_t>(want.tokens.size()));
    EXPECT_EQ(got.end.prompt_tokens, static_cast<int64_t>(prompts[i].size()));
  }
  const EngineStats s = engine.stats();
  EXPECT_EQ(s.slots_busy, 0);
  EXPECT_GT(s.steps, 0);
  // Five jobs of 12..24 tokens on three slots took fewer steps than decoding them one by one.
  EXPECT_LT(s.steps, s.generated_tokens);
}

TEST(Engine, ReusesTheSlotsPromptPrefix) {
  auto tiny = infer::testing::tiny_model(models::Arch::kLlama, 8);
  Engine engine(tiny.model, engine_options(2));
  JobSpec first;
  first.prompt = prompt_of(*tiny.model, "a shared beginning of a conversation");
  first.options = greedy(5);
  const Outcome a = drain(*engine.submit(first));
  EXPECT_EQ(a.end.cached_tokens, 0);
  JobSpec second = first;
  const std::vector<int32_t> more = prompt_of(*tiny.model, "and its next turn");
  second.prompt.insert(second.prompt.end(), more.begin() + 1, more.end());  // without BOS
  const Outcome b = drain(*engine.submit(second));
  EXPECT_GE(b.end.cached_tokens, static_cast<int64_t>(first.prompt.size()));
  EXPECT_LT(b.end.cached_tokens, static_cast<int64_t>(second.prompt.size()));
  EXPECT_EQ(b.tokens, alone(tiny.model, second.prompt, second.options).tokens);
  // The same prompt again: everything but its last token comes from the cache.
  const Outcome c = drain(*engine.submit(second));
  EXPECT_EQ(c.end.cached_tokens, static_cast<int64_t>(second.prompt.size()) - 1);
  EXPECT_EQ(c.tokens, b.tokens);
}

TEST(Engine, CancelDeadlineQueueLimitAndOverflow) {
  auto tiny = infer::testing::tiny_model(models::Arch::kGemma, 9);
  EngineOptions o = engine_options(1);
  o.max_queue = 1;
  Engine engine(tiny.model, o);
  JobSpec endless;
  endless.prompt = prompt_of(*tiny.model, "go on");
  endless.options = greedy(-1);
  endless.options.stop_tokens = std::vector<int32_t>{};
  JobHandlePtr running = engine.submit(endless);
  JobHandlePtr waiting = engine.submit(endless);
  try {
    engine.submit(endless);
    ADD_FAILURE() << "a third job fit one slot and a queue of one";
  } catch (const ApiError& e) {
    EXPECT_EQ(e.status, 429);
    EXPECT_EQ(e.code, "rate_limit_exceeded");
  }
  JobEvent e;
  ASSERT_TRUE(running->next(e, 30000ms));  // it is generating
  running->cancel();
  EXPECT_EQ(drain(*running).end.stop_reason, "cancelled");
  waiting->cancel();
  EXPECT_EQ(drain(*waiting).end.stop_reason, "cancelled");

  JobSpec late = endless;
  late.deadline = std::chrono::steady_clock::now() - 1ms;  // already past
  EXPECT_EQ(drain(*engine.submit(late)).end.stop_reason, "timeout");

  JobSpec huge;
  huge.prompt.assign(256, tiny.model->config().bos_id);
  try {
    engine.submit(huge);
    ADD_FAILURE() << "a prompt filling the context was accepted";
  } catch (const ApiError& err) {
    EXPECT_EQ(err.status, 400);
    EXPECT_EQ(err.code, "context_length_exceeded");
  }
  // A job that runs until the context is full ends with "context full".
  JobSpec fill = endless;
  EXPECT_EQ(drain(*engine.submit(fill)).end.stop_reason, "context full");

  engine.shutdown(1000ms);
  try {
    engine.submit(endless);
    ADD_FAILURE() << "a job was accepted after shutdown";
  } catch (const ApiError& err) {
    EXPECT_EQ(err.status, 503);
  }
}

}  // namespace
}  // namespace llmkit::server
