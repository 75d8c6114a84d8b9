// SentencePieceTokenizer on models trained by llmkit against Debian's `spm_encode
// --output_format=id` (the sentencepiece command-line tool) on every line of the hostile corpus
// (tests/tokenizer/hostile_corpus.h) and on lines with invalid UTF-8: the ids must be identical.
// Models: the small BPE and unigram models of tokenizer_test_util.h (trained on English-like text,
// so most hostile characters go through byte fallback) and a BPE model trained on the hostile
// corpus itself (so CJK, Hangul, emoji pieces are in the vocabulary).
#include <gtest/gtest.h>
#include <stdio.h>

#include <cstdio>
#include <sstream>
#include <string>
#include <vector>

#include "tests/tokenizer/hostile_corpus.h"
#include "tests/tokenizer/tokenizer_test_util.h"

namespace llmkit::tokenizer {
namespace {

using testing::TempDir;

// `spm_encode --output_format=id` of every line of input_file: one string of ids per line.
std::vector<std::string> spm_encode_ids(const std::string& model, const std::string& input_file) {
  return testing::run_spm_encode(model, "id", input_file);
}

std::string join_ids(const std::vector<int32_t>& ids) {
  std::string s;
  for (int32_t id : ids) s += (s.empty() ? "" : " ") + std::to_string(id);
  return s;
}

// Compares llmkit's ids with spm_encode's for every line; prints matched / total and fails with
// the first few mismatches.
void expect_same_as_spm_encode(const std::string& model_path, const std::vector<std::string>& lines,
                               const std::string& what) {
  ASSERT_EQ(std::system("command -v spm_encode > /dev/null 2>&1"), 0)
      << "spm_encode not installed: run scripts/setup.sh (Debian package 'sentencepiece')";
  SentencePieceTokenizer tok = SentencePieceTokenizer::load(model_path);
  TempDir dir;
  std::string input = dir.file("lines.txt");
  std::string all;
  for (const std::string& l : lines) all += l + "\n";
  testing::write_text(input, all);
  std::vector<std::string> want = spm_encode_ids(model_path, input);
  ASSERT_EQ(want.size(), lines.size()) << what;
  size_t matched = 0;
  std::string first;
  int shown = 0;
  for (size_t i = 0; i < lines.size(); ++i) {
    std::string got = join_ids(tok.encode(lines[i]));
    if (got == want[i]) {
      ++matched;
    } else if (shown++ < 4) {
      first += "\n  line " + std::to_string(i) + ": '" + lines[i] + "'\n    llmkit     " + got +
               "\n    spm_encode " + want[i];
    }
  }
  std::printf("%s: %zu/%zu lines identical to spm_encode\n", what.c_str(), matched, lines.size());
  EXPECT_EQ(matched, lines.size()) << what << ": first mismatches:" << first;
}

class SpmReferenceTest : public ::testing::TestWithParam<TokenizerModelType> {};

TEST_P(SpmReferenceTest, HostileLinesMatchSpmEncode) {
  const auto& model = testing::trained_model(GetParam());
  expect_same_as_spm_encode(model.path, testing::make_hostile_corpus().lines,
                            std::string(tokenizer_model_type_name(GetParam())) + " hostile lines");
}

TEST_P(SpmReferenceTest, InvalidUtf8LinesMatchSpmEncode) {
  const auto& model = testing::trained_model(GetParam());
  expect_same_as_spm_encode(model.path, testing::make_invalid_utf8_lines(),
                            std::string(tokenizer_model_type_name(GetParam())) + " invalid lines");
}

INSTANTIATE_TEST_SUITE_P(Types, SpmReferenceTest,
                         ::testing::Values(TokenizerModelType::kBpe, TokenizerModelType::kUnigram),
                         [](const auto& info) {
                           return std::string(tokenizer_model_type_name(info.param));
                         });

TEST(SpmReference, ModelTrainedOnHostileTextMatchesSpmEncode) {
  testing::HostileCorpus corpus = testing::make_hostile_corpus();
  TempDir dir;
  std::string text = dir.file("hostile.txt");
  testing::write_text(text, corpus.whole);
  TokenizerTrainOptions o;
  o.inputs = {text};
  o.vocab_size = 1200;
  o.type = TokenizerModelType::kBpe;
  o.num_threads = 2;
  std::string model = dir.file("hostile.model");
  train_sentencepiece(o, model);
  expect_same_as_spm_encode(model, corpus.lines, "hostile-trained bpe, hostile lines");
  expect_same_as_spm_encode(model, testing::make_invalid_utf8_lines(),
                            "hostile-trained bpe, invalid lines");
}

}  // namespace
}  // namespace llmkit::tokenizer
