// StreamingDecoder: every chunk is valid UTF-8 on its own and the chunks (plus flush) add up to
// decode(all ids), for real texts, for random id sequences (invalid byte runs, control tokens), on
// the trained Gemma-style models and on a Llama-style model whose decoder drops a dummy-prefix
// space (the case that needs context across pushes).
#include <gtest/gtest.h>
#include <sentencepiece_trainer.h>

#include <random>

#include "llmkit/base/error.h"
#include "tests/tokenizer/tokenizer_test_util.h"

namespace llmkit::tokenizer {
namespace {

using testing::is_valid_utf8;
using testing::TempDir;
using testing::trained_model;

// Streams ids one at a time; checks each chunk; returns the concatenation including flush().
std::string stream_all(StreamingDecoder& dec, const std::vector<int32_t>& ids) {
  std::string out;
  for (int32_t id : ids) {
    std::string chunk = dec.push(id);
    EXPECT_TRUE(is_valid_utf8(chunk)) << "chunk after id " << id;
    out += chunk;
  }
  std::string rest = dec.flush();
  EXPECT_TRUE(is_valid_utf8(rest));
  return out + rest;
}

const std::vector<std::string> kTexts = {
    "The president of the union was in the state.",
    "  two leading spaces, then 2024 and 1234567 and 3.14   ",
    "café naïve Zürich 日本 東京 résumé",
    "unseen 🙂🙃 characters: Ω 한국어 ñandú — «quotes»\n\tand a tab",
    "<start_of_turn>user\nhello<end_of_turn>\n",
    "🙂",
};

// Sequences of random ids, biased towards byte pieces (ids 6..261) so that incomplete and
// invalid UTF-8 byte runs are common, with control and user-defined tokens mixed in.
std::vector<std::vector<int32_t>> random_sequences(int32_t n_vocab, int count, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::vector<std::vector<int32_t>> seqs;
  for (int s = 0; s < count; ++s) {
    std::vector<int32_t> ids(1 + rng() % 40);
    for (int32_t& id : ids) {
      uint64_t r = rng() % 10;
      if (r < 4) {
        id = static_cast<int32_t>(6 + 0xC0 + rng() % 0x40);  // UTF-8 lead bytes C0..FF
      } else if (r < 7) {
        id = static_cast<int32_t>(6 + 0x80 + rng() % 0x40);  // continuation bytes 80..BF
      } else if (r < 8) {
        id = static_cast<int32_t>(rng() % 6);  // pad, eos, bos, unk, chat tokens
      } else {
        id = static_cast<int32_t>(rng() % static_cast<uint64_t>(n_vocab));
      }
    }
    seqs.push_back(std::move(ids));
  }
  return seqs;
}

class StreamingDecoderTest : public ::testing::TestWithParam<TokenizerModelType> {
 protected:
  const SentencePieceTokenizer& tok() const { return trained_model(GetParam()).tok; }
};

TEST_P(StreamingDecoderTest, ChunksAddUpToTheText) {
  StreamingDecoder dec(tok());
  for (const std::string& text : kTexts) {
    std::vector<int32_t> ids = tok().encode(text);
    EXPECT_EQ(stream_all(dec, ids), text);
  }
}

TEST_P(StreamingDecoderTest, HoldsBackOnlyIncompleteCharacters) {
  const auto& t = tok();
  StreamingDecoder dec(t);
  std::vector<int32_t> word = t.encode("the");
  std::string first;
  for (int32_t id : word) first += dec.push(id);
  EXPECT_EQ(first, "the");  // ordinary pieces come out at once
  std::vector<int32_t> emoji = t.encode("\xF0\x9F\x99\x82");
  ASSERT_EQ(emoji.size(), 4u);
  for (int i = 0; i < 3; ++i) EXPECT_EQ(dec.push(emoji[i]), "") << "byte " << i;
  EXPECT_EQ(dec.push(emoji[3]), "\xF0\x9F\x99\x82");
  EXPECT_EQ(dec.flush(), "");
  // An incomplete character at the end comes out of flush() as U+FFFD per byte, like decode().
  EXPECT_EQ(dec.push(emoji[0]), "");
  EXPECT_EQ(dec.push(emoji[1]), "");
  EXPECT_EQ(dec.flush(), t.decode({emoji[0], emoji[1]}));
  EXPECT_EQ(t.decode({emoji[0], emoji[1]}), "\xEF\xBF\xBD\xEF\xBF\xBD");
}

TEST_P(StreamingDecoderTest, RandomIdSequences) {
  const auto& t = tok();
  StreamingDecoder dec(t);
  for (const auto& ids : random_sequences(t.n_vocab(), 300, 17)) {
    EXPECT_EQ(stream_all(dec, ids), t.decode(ids));
  }
}

TEST_P(StreamingDecoderTest, BadIdThrowsAndLeavesTheStreamIntact) {
  const auto& t = tok();
  StreamingDecoder dec(t);
  std::vector<int32_t> ids = t.encode("café 🙂 日本");
  std::string out;
  for (size_t i = 0; i < ids.size(); ++i) {
    if (i == ids.size() / 2) {
      EXPECT_THROW(dec.push(t.n_vocab()), Error);
    }
    out += dec.push(ids[i]);
  }
  out += dec.flush();
  EXPECT_EQ(out, "café 🙂 日本");
}

INSTANTIATE_TEST_SUITE_P(Types, StreamingDecoderTest,
                         ::testing::Values(TokenizerModelType::kBpe, TokenizerModelType::kUnigram),
                         [](const auto& info) {
                           return std::string(tokenizer_model_type_name(info.param));
                         });

// A Llama-style model trained with sentencepiece directly: add_dummy_prefix=true makes decode()
// drop the space of the first piece of a text, so a chunk depends on the ids before it.
TEST(StreamingDecoderDummyPrefix, ChunksAddUpToTheText) {
  TempDir dir;
  std::string corpus = dir.file("corpus.txt");
  testing::write_text(corpus, testing::make_corpus(300, 5));
  auto status = sentencepiece::SentencePieceTrainer::Train(
      "--input=" + corpus + " --model_prefix=" + dir.file("llama") +
      " --vocab_size=400 --model_type=bpe --byte_fallback=true --add_dummy_prefix=true"
      " --pad_id=3 --minloglevel=2");
  ASSERT_TRUE(status.ok()) << status.ToString();
  SentencePieceTokenizer t = SentencePieceTokenizer::load(dir.file("llama.model"));
  std::vector<int32_t> hello = t.encode("Hello world");
  ASSERT_EQ(t.id_to_piece(hello[0]).rfind("\xe2\x96\x81", 0), 0u) << "first piece has the prefix";
  ASSERT_EQ(t.decode(hello), "Hello world");

  StreamingDecoder dec(t);
  for (const std::string& text : kTexts) {
    std::vector<int32_t> ids = t.encode(text);
    std::vector<int32_t> with_bos = {t.bos_id(), t.bos_id()};
    with_bos.insert(with_bos.end(), ids.begin(), ids.end());
    EXPECT_EQ(stream_all(dec, ids), t.decode(ids)) << text;
    EXPECT_EQ(stream_all(dec, with_bos), t.decode(with_bos)) << text;
  }
  // A lone "▁" piece at the start is consumed as the dummy prefix; the next one is a space.
  int32_t space = t.piece_to_id("\xe2\x96\x81");
  if (space >= 0) {
    std::vector<int32_t> ids = {t.bos_id(), space, t.bos_id(), space, hello[0]};
    EXPECT_EQ(stream_all(dec, ids), t.decode(ids));
  }
  // The byte range differs here (no user-defined symbols: bytes start at id 4); random ids still
  // exercise control tokens, unk and unfinished byte runs.
  for (const auto& ids : random_sequences(t.n_vocab(), 300, 29)) {
    EXPECT_EQ(stream_all(dec, ids), t.decode(ids));
  }
}

}  // namespace
}  // namespace llmkit::tokenizer
