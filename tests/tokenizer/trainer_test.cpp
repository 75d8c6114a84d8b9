// train_sentencepiece: byte-identical retraining, seeded input sampling, option plumbing, and clear
// errors for missing/empty inputs and vocabulary sizes that do not fit, with nothing overwritten.
#include <gtest/gtest.h>

#include "llmkit/base/error.h"
#include "tests/tokenizer/tokenizer_test_util.h"

namespace llmkit::tokenizer {
namespace {

using testing::read_text;
using testing::TempDir;
using testing::write_text;

TokenizerTrainOptions small_options(const std::string& corpus, TokenizerModelType type) {
  TokenizerTrainOptions o;
  o.inputs = {corpus};
  o.vocab_size = 400;
  o.type = type;
  o.num_threads = 2;
  return o;
}

class TrainerTest : public ::testing::TestWithParam<TokenizerModelType> {};

TEST_P(TrainerTest, RetrainingGivesByteIdenticalModels) {
  TempDir dir;
  std::string corpus = dir.file("corpus.txt");
  write_text(corpus, testing::make_corpus(300, 11));
  TokenizerTrainOptions o = small_options(corpus, GetParam());
  TokenizerTrainResult r1 = train_sentencepiece(o, dir.file("a.model"));
  TokenizerTrainResult r2 = train_sentencepiece(o, dir.file("b.model"));
  std::string a = read_text(dir.file("a.model")), b = read_text(dir.file("b.model"));
  ASSERT_FALSE(a.empty());
  EXPECT_EQ(a, b);
  EXPECT_EQ(r1.fingerprint, r2.fingerprint);
  EXPECT_EQ(r1.fingerprint, fnv1a_64(a));
  EXPECT_EQ(r1.n_vocab, 400);
  EXPECT_EQ(r1.lines_read, 300);
  EXPECT_EQ(r1.lines_used, 300);
  // The input is read, not just the options: other text gives another model.
  write_text(corpus, testing::make_corpus(300, 12));
  train_sentencepiece(o, dir.file("c.model"));
  EXPECT_NE(read_text(dir.file("c.model")), a);
}

TEST_P(TrainerTest, SampleOfTheInputDependsOnlyOnTheSeed) {
  TempDir dir;
  std::string corpus = dir.file("corpus.txt");
  write_text(corpus, testing::make_corpus(300, 21));
  TokenizerTrainOptions o = small_options(corpus, GetParam());
  o.input_sentence_size = 120;
  o.seed = 5;
  TokenizerTrainResult r = train_sentencepiece(o, dir.file("s5a.model"));
  EXPECT_EQ(r.lines_read, 300);
  EXPECT_EQ(r.lines_used, 120);
  train_sentencepiece(o, dir.file("s5b.model"));
  o.seed = 6;
  train_sentencepiece(o, dir.file("s6.model"));
  EXPECT_EQ(read_text(dir.file("s5a.model")), read_text(dir.file("s5b.model")));
  EXPECT_NE(read_text(dir.file("s5a.model")), read_text(dir.file("s6.model")));
}

TEST_P(TrainerTest, SeveralInputFilesAreAllRead) {
  TempDir dir;
  std::string corpus = testing::make_corpus(200, 31);
  size_t half = corpus.find('\n', corpus.size() / 2) + 1;
  write_text(dir.file("one.txt"), corpus);
  write_text(dir.file("first.txt"), corpus.substr(0, half));
  write_text(dir.file("second.txt"), "\n\r\n" + corpus.substr(half));  // blank lines are skipped
  TokenizerTrainOptions o = small_options(dir.file("one.txt"), GetParam());
  TokenizerTrainResult whole = train_sentencepiece(o, dir.file("one.model"));
  o.inputs = {dir.file("first.txt"), dir.file("second.txt")};
  TokenizerTrainResult split = train_sentencepiece(o, dir.file("two.model"));
  EXPECT_EQ(split.lines_read, 200);
  // Same lines in the same order: the same model.
  EXPECT_EQ(whole.fingerprint, split.fingerprint);
}

TEST_P(TrainerTest, WithoutByteFallbackUnseenCharactersAreUnknown) {
  TempDir dir;
  std::string corpus = dir.file("corpus.txt");
  write_text(corpus, testing::make_corpus(200, 41));
  TokenizerTrainOptions o = small_options(corpus, GetParam());
  o.byte_fallback = false;
  o.vocab_size = 150;
  o.user_defined_symbols = {"<tool>"};
  train_sentencepiece(o, dir.file("m.model"));
  SentencePieceTokenizer t = SentencePieceTokenizer::load(dir.file("m.model"));
  EXPECT_EQ(t.n_vocab(), 150);
  EXPECT_EQ(t.piece_to_id("<tool>"), 4);
  EXPECT_EQ(t.piece_to_id("<start_of_turn>"), -1);
  EXPECT_EQ(t.piece_to_id("<0x41>"), -1);
  EXPECT_EQ(t.encode("\xF0\x9F\x99\x82"), std::vector<int32_t>{t.unk_id()});
}

INSTANTIATE_TEST_SUITE_P(Types, TrainerTest,
                         ::testing::Values(TokenizerModelType::kBpe, TokenizerModelType::kUnigram),
                         [](const auto& info) {
                           return std::string(tokenizer_model_type_name(info.param));
                         });

// Expects train_sentencepiece to throw with `code` and a message containing every one of `parts`,
// and the existing output file to be left as it was.
void expect_train_error(const TokenizerTrainOptions& o, const std::string& out, ErrorCode code,
                        const std::vector<std::string>& parts) {
  write_text(out, "previous model");
  try {
    train_sentencepiece(o, out);
    FAIL() << "training did not throw";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), code) << e.what();
    for (const std::string& p : parts) {
      EXPECT_NE(std::string(e.what()).find(p), std::string::npos)
          << "'" << p << "' not in: " << e.what();
    }
  }
  EXPECT_EQ(read_text(out), "previous model");
}

TEST(TrainerErrors, MissingAndEmptyInputs) {
  TempDir dir;
  std::string good = dir.file("good.txt");
  write_text(good, testing::make_corpus(50, 1));
  std::string out = dir.file("out.model");

  TokenizerTrainOptions o = small_options(dir.file("missing.txt"), TokenizerModelType::kBpe);
  o.inputs = {good, dir.file("missing.txt")};
  expect_train_error(o, out, ErrorCode::kNotFound, {dir.file("missing.txt"), "does not exist"});

  write_text(dir.file("empty.txt"), "");
  o.inputs = {good, dir.file("empty.txt")};
  expect_train_error(o, out, ErrorCode::kInvalidArgument, {dir.file("empty.txt"), "empty"});

  write_text(dir.file("blank.txt"), "\n\n\r\n\n");
  o.inputs = {dir.file("blank.txt")};
  expect_train_error(o, out, ErrorCode::kInvalidArgument, {dir.file("blank.txt"), "empty"});

  o.inputs = {};
  expect_train_error(o, out, ErrorCode::kInvalidArgument, {"no input"});

  o.inputs = {dir.file("")};  // the folder itself
  expect_train_error(o, out, ErrorCode::kInvalidArgument, {"not a regular file"});
}

TEST(TrainerErrors, VocabularySizesThatDoNotFitTheData) {
  TempDir dir;
  std::string corpus = dir.file("corpus.txt");
  write_text(corpus, testing::make_corpus(100, 2));
  std::string out = dir.file("out.model");
  for (TokenizerModelType type : {TokenizerModelType::kBpe, TokenizerModelType::kUnigram}) {
    TokenizerTrainOptions o = small_options(corpus, type);
    // Not even room for the 262 reserved pieces.
    o.vocab_size = 100;
    expect_train_error(o, out, ErrorCode::kInvalidArgument, {"vocab size 100", "262 reserved"});
    o.vocab_size = 0;
    expect_train_error(o, out, ErrorCode::kInvalidArgument, {"vocab size 0"});
    // Room for the reserved pieces but not for every character of the text (sentencepiece's
    // check, passed on with its message).
    o.vocab_size = 270;
    expect_train_error(o, out, ErrorCode::kInvalidArgument,
                       {"vocab size 270", "smaller than required_chars"});
    // More pieces than the text can yield.
    o.vocab_size = 50000;
    expect_train_error(o, out, ErrorCode::kInvalidArgument,
                       {"vocab size 50000", "Vocabulary size too high"});
  }
}

TEST(TrainerErrors, BadOptions) {
  TempDir dir;
  std::string corpus = dir.file("corpus.txt");
  write_text(corpus, testing::make_corpus(20, 3));
  std::string out = dir.file("out.model");
  TokenizerTrainOptions o = small_options(corpus, TokenizerModelType::kBpe);
  o.character_coverage = 0.5;
  expect_train_error(o, out, ErrorCode::kInvalidArgument, {"character coverage 0.5"});
  o = small_options(corpus, TokenizerModelType::kBpe);
  o.user_defined_symbols = {"<a>,<b>"};
  expect_train_error(o, out, ErrorCode::kInvalidArgument, {"'<a>,<b>'"});
  o.user_defined_symbols = {"<x>", "<x>"};
  expect_train_error(o, out, ErrorCode::kInvalidArgument, {"'<x>'", "twice"});
  o.user_defined_symbols = {"<eos>"};
  expect_train_error(o, out, ErrorCode::kInvalidArgument, {"'<eos>'"});
  o = small_options(corpus, TokenizerModelType::kBpe);
  o.num_threads = 0;
  expect_train_error(o, out, ErrorCode::kInvalidArgument, {"thread count 0"});
  o = small_options(corpus, TokenizerModelType::kBpe);
  o.input_sentence_size = 0;
  expect_train_error(o, out, ErrorCode::kInvalidArgument, {"input sentence size 0"});
  EXPECT_EQ(parse_tokenizer_model_type("bpe"), TokenizerModelType::kBpe);
  EXPECT_EQ(parse_tokenizer_model_type("unigram"), TokenizerModelType::kUnigram);
  EXPECT_THROW(parse_tokenizer_model_type("wordpiece"), Error);
}

}  // namespace
}  // namespace llmkit::tokenizer
