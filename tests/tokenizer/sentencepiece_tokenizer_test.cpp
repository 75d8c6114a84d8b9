// SentencePieceTokenizer on small trained BPE and unigram models: special ids, the chat tokens,
// lossless round trips (byte fallback for unseen characters), digit splitting, piece <-> id maps,
// save/load/fingerprint, load errors, and agreement with the sentencepiece command-line tool.
#include <gtest/gtest.h>

#include <cstdio>
#include <sstream>

#include "llmkit/base/error.h"
#include "tests/tokenizer/tokenizer_test_util.h"

namespace llmkit::tokenizer {
namespace {

using testing::TempDir;
using testing::trained_model;

// Texts the round trip must reproduce exactly: training-like prose, whitespace of every kind,
// digits, characters never seen in training (byte fallback) and text that looks like tokens.
const std::vector<std::string> kTexts = {
    "The president of the union was in the state.",
    "  leading spaces, trailing spaces   ",
    "runs   of    spaces\tand\ttabs\nand\nnewlines\n",
    "In 2024 the budget was 1234567 dollars, or 3.14 per citizen.",
    "café naïve Zürich 日本 東京 résumé",
    "unseen: 🙂 Ω 한국어 ñandú \u00a0 — «quotes» \xe2\x80\x8b",
    "<bos> and <eos> and <unk> are plain text here",
    "x",
    "",
    "\n",
};

class SentencePieceTokenizerTest : public ::testing::TestWithParam<TokenizerModelType> {
 protected:
  const SentencePieceTokenizer& tok() const { return trained_model(GetParam()).tok; }
  const std::string& path() const { return trained_model(GetParam()).path; }
};

TEST_P(SentencePieceTokenizerTest, SpecialIdsFollowGemmaOrder) {
  const auto& t = tok();
  EXPECT_EQ(t.n_vocab(), testing::kTestVocab);
  EXPECT_EQ(t.pad_id(), 0);
  EXPECT_EQ(t.eos_id(), 1);
  EXPECT_EQ(t.bos_id(), 2);
  EXPECT_EQ(t.unk_id(), 3);
  EXPECT_EQ(t.id_to_piece(0), "<pad>");
  EXPECT_EQ(t.id_to_piece(1), "<eos>");
  EXPECT_EQ(t.id_to_piece(2), "<bos>");
  EXPECT_EQ(t.id_to_piece(3), "<unk>");
  for (int32_t id = 0; id < 6; ++id) EXPECT_TRUE(t.is_special(id)) << id;
  // Byte pieces follow the user-defined symbols: <0x00> is id 6, <0xFF> id 261.
  EXPECT_EQ(t.id_to_piece(6), "<0x00>");
  EXPECT_EQ(t.id_to_piece(261), "<0xFF>");
  for (int32_t id = 6; id < 262; ++id) {
    EXPECT_TRUE(t.is_byte(id)) << id;
    EXPECT_FALSE(t.is_special(id)) << id;
  }
  for (int32_t id = 262; id < t.n_vocab(); ++id) {
    EXPECT_FALSE(t.is_special(id)) << id << " " << t.id_to_piece(id);
    EXPECT_FALSE(t.is_byte(id)) << id;
  }
  EXPECT_FALSE(t.is_special(-1));
  EXPECT_FALSE(t.is_special(t.n_vocab()));
}

TEST_P(SentencePieceTokenizerTest, ChatTokensAreOneIdEach) {
  const auto& t = tok();
  EXPECT_EQ(t.piece_to_id("<start_of_turn>"), 4);
  EXPECT_EQ(t.piece_to_id("<end_of_turn>"), 5);
  EXPECT_EQ(t.encode("<start_of_turn>"), std::vector<int32_t>{4});
  EXPECT_EQ(t.encode("<end_of_turn>"), std::vector<int32_t>{5});
  std::string chat =
      "<start_of_turn>user\nWhat is the budget?<end_of_turn>\n<start_of_turn>model\n";
  std::vector<int32_t> ids = t.encode(chat);
  EXPECT_EQ(std::count(ids.begin(), ids.end(), 4), 2);
  EXPECT_EQ(std::count(ids.begin(), ids.end(), 5), 1);
  EXPECT_EQ(ids.front(), 4);
  EXPECT_EQ(t.decode(ids), chat);
}

TEST_P(SentencePieceTokenizerTest, EncodeAddsNoBosOrEos) {
  const auto& t = tok();
  for (const std::string& text : kTexts) {
    for (int32_t id : t.encode(text)) {
      EXPECT_NE(id, t.bos_id());
      EXPECT_NE(id, t.eos_id());
      EXPECT_NE(id, t.pad_id());
    }
  }
  EXPECT_TRUE(t.encode("").empty());
  // Control ids decode to nothing.
  std::vector<int32_t> ids = t.encode("the state");
  std::vector<int32_t> wrapped = {t.bos_id()};
  wrapped.insert(wrapped.end(), ids.begin(), ids.end());
  wrapped.push_back(t.eos_id());
  wrapped.push_back(t.pad_id());
  EXPECT_EQ(t.decode(wrapped), "the state");
}

TEST_P(SentencePieceTokenizerTest, RoundTripIsLossless) {
  const auto& t = tok();
  for (const std::string& text : kTexts) {
    std::vector<int32_t> ids = t.encode(text);
    EXPECT_EQ(t.decode(ids), text) << "text: " << text;
    for (int32_t id : ids) EXPECT_NE(id, t.unk_id()) << "text: " << text;
  }
  std::string corpus = testing::make_corpus(50, 99);  // other lines than the training corpus
  EXPECT_EQ(t.decode(t.encode(corpus)), corpus);
}

// Decodes pieces with rules written here, independently of sentencepiece: "▁" is a space, <0xNN>
// is the byte NN, control pieces are empty, every other piece is its own text.
std::string decode_pieces_independently(const SentencePieceTokenizer& t,
                                        const std::vector<int32_t>& ids) {
  std::string out;
  for (int32_t id : ids) {
    std::string p = t.id_to_piece(id);
    if (id == t.bos_id() || id == t.eos_id() || id == t.pad_id()) continue;
    if (p.size() == 6 && p.rfind("<0x", 0) == 0 && p[5] == '>') {
      out += static_cast<char>(std::stoi(p.substr(3, 2), nullptr, 16));
      continue;
    }
    size_t pos = 0;
    while ((pos = p.find("\xe2\x96\x81", pos)) != std::string::npos) p.replace(pos, 3, " ");
    out += p;
  }
  return out;
}

TEST_P(SentencePieceTokenizerTest, PiecesSpellTheText) {
  const auto& t = tok();
  for (const std::string& text : kTexts) {
    EXPECT_EQ(decode_pieces_independently(t, t.encode(text)), text) << "text: " << text;
  }
}

TEST_P(SentencePieceTokenizerTest, UnseenCharactersFallBackToTheirUtf8Bytes) {
  const auto& t = tok();
  const std::string emoji = "\xF0\x9F\x99\x82";  // U+1F642, four UTF-8 bytes
  std::vector<int32_t> ids = t.encode(emoji);
  ASSERT_EQ(ids.size(), 4u);
  for (size_t i = 0; i < 4; ++i) {
    char expect[8];
    std::snprintf(expect, sizeof(expect), "<0x%02X>", static_cast<unsigned char>(emoji[i]));
    EXPECT_EQ(t.id_to_piece(ids[i]), expect);
    EXPECT_TRUE(t.is_byte(ids[i]));
    // Byte piece k has id 6 + k.
    EXPECT_EQ(ids[i], 6 + static_cast<unsigned char>(emoji[i]));
  }
  EXPECT_EQ(t.decode(ids), emoji);
}

TEST_P(SentencePieceTokenizerTest, DigitsAreSingleDigitPieces) {
  const auto& t = tok();
  std::string text = "In 2024 there were 1234567 people, 42 states and 3.14159 pies, 000 9";
  int digit_pieces = 0;
  for (int32_t id : t.encode(text)) {
    std::string p = t.id_to_piece(id);
    ASSERT_FALSE(t.is_byte(id)) << "every character here is in the training text";
    bool has_digit = p.find_first_of("0123456789") != std::string::npos;
    if (has_digit) {
      EXPECT_EQ(p.size(), 1u) << "piece '" << p << "'";
      ++digit_pieces;
    }
  }
  EXPECT_EQ(digit_pieces, 4 + 7 + 2 + 6 + 3 + 1);
  // Over the whole vocabulary: no learned piece holds a digit next to anything else.
  for (int32_t id = 0; id < t.n_vocab(); ++id) {
    std::string p = t.id_to_piece(id);
    if (!t.is_byte(id) && p.find_first_of("0123456789") != std::string::npos) {
      EXPECT_EQ(p.size(), 1u) << "piece '" << p << "'";
    }
  }
}

TEST_P(SentencePieceTokenizerTest, PieceIdMapsAreInverse) {
  const auto& t = tok();
  for (int32_t id = 0; id < t.n_vocab(); ++id) EXPECT_EQ(t.piece_to_id(t.id_to_piece(id)), id);
  EXPECT_EQ(t.piece_to_id("no-such-piece-in-this-vocabulary"), -1);
  EXPECT_EQ(t.piece_to_id(""), -1);
  EXPECT_EQ(t.piece_to_id("<unk>"), 3);
  for (int32_t bad : {-1, t.n_vocab(), 1 << 30}) {
    try {
      t.id_to_piece(bad);
      FAIL() << "id_to_piece(" << bad << ") did not throw";
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), ErrorCode::kOutOfRange);
      EXPECT_NE(std::string(e.what()).find(std::to_string(bad)), std::string::npos) << e.what();
    }
    EXPECT_THROW(t.decode({4, bad}), Error);
  }
}

TEST_P(SentencePieceTokenizerTest, SaveLoadKeepsBytesAndFingerprint) {
  const auto& t = tok();
  TempDir dir;
  std::string copy = dir.file("copy.model");
  t.save(copy);
  EXPECT_EQ(testing::read_text(copy), testing::read_text(path()));
  SentencePieceTokenizer again = SentencePieceTokenizer::load(copy);
  EXPECT_EQ(again.fingerprint(), t.fingerprint());
  EXPECT_EQ(again.fingerprint(), fnv1a_64(testing::read_text(path())));
  SentencePieceTokenizer from_bytes = SentencePieceTokenizer::from_serialized(t.serialized());
  EXPECT_EQ(from_bytes.encode(kTexts[3]), t.encode(kTexts[3]));
  // The two model types are different tokenizers.
  const auto& other =
      trained_model(GetParam() == TokenizerModelType::kBpe ? TokenizerModelType::kUnigram
                                                           : TokenizerModelType::kBpe);
  EXPECT_NE(other.tok.fingerprint(), t.fingerprint());
}

TEST_P(SentencePieceTokenizerTest, AgreesWithSpmEncodeTool) {
  ASSERT_EQ(std::system("command -v spm_encode > /dev/null 2>&1"), 0)
      << "spm_encode not installed: run scripts/setup.sh (Debian package 'sentencepiece')";
  const auto& t = tok();
  TempDir dir;
  // spm_encode encodes line by line, so the inputs are single lines.
  std::vector<std::string> lines = {
      "The president of the union was in the state.",
      "In 2024 the budget was 1234567 dollars, or 3.14 per citizen.",
      "café naïve Zürich 日本 東京 résumé",
      "unseen: 🙂 Ω 한국어 ñandú",
      "  two leading spaces and a tab\there",
      "<start_of_turn>user hello<end_of_turn>",
  };
  std::istringstream more(testing::make_corpus(40, 123));
  for (std::string line; std::getline(more, line);) lines.push_back(line);
  std::string input = dir.file("lines.txt");
  std::string all;
  for (const std::string& l : lines) all += l + "\n";
  testing::write_text(input, all);

  std::vector<std::string> ids_out = testing::run_spm_encode(path(), "id", input);
  std::vector<std::string> pieces_out = testing::run_spm_encode(path(), "piece", input);
  ASSERT_EQ(ids_out.size(), lines.size());
  ASSERT_EQ(pieces_out.size(), lines.size());
  for (size_t i = 0; i < lines.size(); ++i) {
    std::string ids, pieces;
    for (int32_t id : t.encode(lines[i])) ids += (ids.empty() ? "" : " ") + std::to_string(id);
    for (const std::string& p : t.encode_pieces(lines[i]))
      pieces += (pieces.empty() ? "" : " ") + p;
    EXPECT_EQ(ids, ids_out[i]) << "line: " << lines[i];
    EXPECT_EQ(pieces, pieces_out[i]) << "line: " << lines[i];
  }
}

INSTANTIATE_TEST_SUITE_P(Types, SentencePieceTokenizerTest,
                         ::testing::Values(TokenizerModelType::kBpe, TokenizerModelType::kUnigram),
                         [](const auto& info) {
                           return std::string(tokenizer_model_type_name(info.param));
                         });

TEST(Fnv1a64, MatchesPublishedTestVectors) {
  // Test vectors from the FNV reference (Fowler/Noll/Vo), 64-bit FNV-1a.
  EXPECT_EQ(fnv1a_64(""), 0xcbf29ce484222325ULL);
  EXPECT_EQ(fnv1a_64("a"), 0xaf63dc4c8601ec8cULL);
  EXPECT_EQ(fnv1a_64("foobar"), 0x85944171f73967e8ULL);
}

void expect_load_error(const std::string& path, ErrorCode code) {
  try {
    SentencePieceTokenizer::load(path);
    FAIL() << "load('" << path << "') did not throw";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), code) << e.what();
    EXPECT_NE(std::string(e.what()).find(path), std::string::npos) << e.what();
  }
}

TEST(SentencePieceTokenizerLoad, MissingOrCorruptFilesGiveErrorsNamingThePath) {
  TempDir dir;
  expect_load_error(dir.file("does_not_exist.model"), ErrorCode::kNotFound);

  std::string empty = dir.file("empty.model");
  testing::write_text(empty, "");
  expect_load_error(empty, ErrorCode::kCorruptData);

  std::string text = dir.file("text.model");
  testing::write_text(text, "this is not a protobuf file\n");
  expect_load_error(text, ErrorCode::kCorruptData);

  std::string good = testing::read_text(trained_model(TokenizerModelType::kBpe).path);
  std::string truncated = dir.file("truncated.model");
  testing::write_text(truncated, good.substr(0, good.size() / 2));
  expect_load_error(truncated, ErrorCode::kCorruptData);

  std::string flipped = good;
  flipped[0] = static_cast<char>(0xFF);  // the first field key becomes invalid
  std::string flipped_path = dir.file("flipped.model");
  testing::write_text(flipped_path, flipped);
  expect_load_error(flipped_path, ErrorCode::kCorruptData);
}

}  // namespace
}  // namespace llmkit::tokenizer
