// Grammar-constrained generation end to end: a random-weight model sampled at temperature 1
// under a JSON schema always produces JSON that Python's json and jsonschema accept
// (tests/infer/validate_json_schema.py), and a GBNF grammar's outputs are sentences of it.
#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>
#include <regex>
#include <set>

#include "llmkit/infer/generator.h"
#include "llmkit/infer/grammar.h"
#include "llmkit/infer/json_schema_grammar.h"
#include "tests/infer/generate_test_util.h"

namespace llmkit::infer {
namespace {

// A random-weight gemma3 "tiny" model on the test tokenizer, with room for long outputs.
std::shared_ptr<const Model> random_model(uint64_t seed) {
  auto tok = testing::chat_tokenizer();
  models::ModelConfig c = models::preset(models::Arch::kGemma3, "tiny");
  c.n_vocab = tok->n_vocab();
  c.bos_id = tok->bos_id();
  c.eos_id = tok->eos_id();
  c.pad_id = tok->pad_id();
  c.n_ctx = 2048;
  models::TransformerLM lm(c, seed);
  return Model::from_weights(lm.config(), lm.named_parameters(), tok);
}

// Pure sampling: every token the grammar allows can be drawn.
GenerateOptions sampling_options(uint64_t seed, std::shared_ptr<const Grammar> grammar) {
  GenerateOptions o;
  o.max_tokens = 400;
  o.sampler.temperature = 1.0f;
  o.sampler.top_k = 0;
  o.sampler.top_p = 1.0f;
  o.sampler.min_p = 0.0f;
  o.sampler.seed = seed;
  o.grammar = std::move(grammar);
  return o;
}

// Runs the independent validator; returns its output, status in *status.
std::string validate(const std::string& schema_path, const std::string& outputs_path, int* status) {
  const std::string cmd = std::string("/usr/bin/python3 '") + LLMKIT_SOURCE_DIR +
                          "/tests/infer/validate_json_schema.py' '" + schema_path + "' '" +
                          outputs_path + "' 2>&1";
  FILE* pipe = ::popen(cmd.c_str(), "r");
  std::string out;
  char buf[4096];
  while (pipe && std::fgets(buf, sizeof buf, pipe)) out += buf;
  *status = pipe ? ::pclose(pipe) : -1;
  return out;
}

TEST(ConstrainedGeneration, HundredSamplesUnderAJsonSchemaAllValidate) {
  const nlohmann::ordered_json schema = nlohmann::ordered_json::parse(R"({
    "type": "object",
    "properties": {
      "name": {"type": "string", "maxLength": 12},
      "age": {"type": "integer"},
      "score": {"type": "number"},
      "admin": {"type": "boolean"},
      "role": {"enum": ["user", "admin", "guest"]},
      "tags": {"type": "array", "items": {"type": "string", "maxLength": 6}, "maxItems": 3},
      "address": {
        "type": "object",
        "properties": {"city": {"type": "string", "maxLength": 10}, "zip": {"type": "integer"}},
        "required": ["city"]
      },
      "note": {"type": ["string", "null"], "maxLength": 8}
    },
    "required": ["name", "age", "role", "address"]
  })");
  auto grammar = Grammar::parse(json_schema_to_gbnf(schema));
  auto model = random_model(3);
  const tokenizer::Tokenizer& tok = model->require_tokenizer();
  const std::vector<int32_t> prompt = {tok.bos_id()};
  nlohmann::json outputs = nlohmann::json::array();
  int finished = 0;
  std::shared_ptr<const TokenTrie> trie = TokenTrie::build(tok);
  for (uint64_t seed = 1; seed <= 100; ++seed) {
    Session session(model, SessionOptions{.n_ctx = 2048});
    GenerateOptions o = sampling_options(seed, grammar);
    o.max_tokens = 1500;
    o.token_trie = trie;
    GenerateStats stats = generate(session, prompt, o, nullptr);
    finished += stats.stop_reason == "eos" || stats.stop_reason == "grammar";
    outputs.push_back(stats.text);
  }
  EXPECT_EQ(finished, 100) << "some generations hit the token limit before the JSON closed";
  tokenizer::testing::TempDir dir;
  const std::string schema_path = dir.file("schema.json"), outputs_path = dir.file("out.json");
  std::ofstream(schema_path) << schema.dump();
  std::ofstream(outputs_path) << outputs.dump();
  int status = 0;
  const std::string report = validate(schema_path, outputs_path, &status);
  EXPECT_EQ(status, 0) << report;
  // Sampling explores: the outputs are not all the same.
  std::set<std::string> distinct(outputs.begin(), outputs.end());
  EXPECT_GT(distinct.size(), 90u);
}

TEST(ConstrainedGeneration, GbnfOutputsAreSentencesOfTheGrammar) {
  // Comma-separated lists of one to four lowercase words, checked with std::regex.
  auto grammar = Grammar::parse(R"(root ::= word ("," " "? word){0,3}
word ::= [a-z]+)");
  auto tiny = testing::tiny_model(models::Arch::kLlama, 5);
  const tokenizer::Tokenizer& tok = tiny.model->require_tokenizer();
  const std::regex sentence("[a-z]+(, ?[a-z]+){0,3}");
  for (uint64_t seed = 1; seed <= 20; ++seed) {
    Session session(tiny.model, SessionOptions{.n_ctx = 256});
    GenerateOptions o = sampling_options(seed, grammar);
    o.max_tokens = 60;
    GenerateStats stats = generate(session, std::vector<int32_t>{tok.bos_id()}, o, nullptr);
    if (stats.stop_reason == "max tokens") {
      // Cut short: still a prefix of a sentence.
      EXPECT_TRUE(std::regex_match(stats.text, std::regex("[a-z]+(, ?[a-z]*)*"))) << stats.text;
    } else {
      EXPECT_TRUE(std::regex_match(stats.text, sentence))
          << stats.stop_reason << ": " << stats.text;
    }
  }
}

}  // namespace
}  // namespace llmkit::infer
