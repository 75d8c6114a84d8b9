// ChatFormat: the exact text and ids of each style (with a fake byte-level tokenizer whose ids
// are predictable), style selection from the architecture and vocabulary, the multi-turn
// identity, and the special tokens as single ids with the real trained tokenizer.
#include "llmkit/infer/chat_format.h"

#include <gtest/gtest.h>

#include <map>
#include <string>
#include <vector>

#include "llmkit/base/error.h"
#include "tests/infer/generate_test_util.h"

namespace llmkit::infer {
namespace {

// Byte-level: id = 1000 + byte; specials get small ids (bos 2, eos 1).
class FakeTokenizer : public tokenizer::Tokenizer {
 public:
  explicit FakeTokenizer(std::vector<std::string> specials, bool with_bos = true)
      : with_bos_(with_bos) {
    for (size_t i = 0; i < specials.size(); ++i)
      specials_[specials[i]] = 10 + static_cast<int32_t>(i);
  }
  std::vector<int32_t> encode(std::string_view text) const override {
    std::vector<int32_t> ids;
    for (unsigned char c : text) ids.push_back(1000 + c);
    return ids;
  }
  std::string decode(const std::vector<int32_t>&) const override { return ""; }
  std::string id_to_piece(int32_t id) const override {
    if (id == 2) return "<bos>";
    for (const auto& [piece, i] : specials_) {
      if (i == id) return piece;
    }
    return std::string(1, static_cast<char>(id - 1000));
  }
  int32_t piece_to_id(std::string_view piece) const override {
    auto it = specials_.find(std::string(piece));
    return it == specials_.end() ? -1 : it->second;
  }
  int32_t n_vocab() const override { return 1256; }
  int32_t bos_id() const override { return with_bos_ ? 2 : -1; }
  int32_t eos_id() const override { return 1; }
  int32_t pad_id() const override { return 0; }
  int32_t unk_id() const override { return 3; }
  bool is_special(int32_t id) const override { return id < 1000; }
  uint64_t fingerprint() const override { return 0; }

  int32_t id(const std::string& piece) const { return specials_.at(piece); }

 private:
  std::map<std::string, int32_t> specials_;
  bool with_bos_;
};

const std::vector<std::string> kGemmaTokens = {"<start_of_turn>", "<end_of_turn>"};
const std::vector<std::string> kLlamaTokens = {"<|start_header_id|>", "<|end_header_id|>",
                                               "<|eot_id|>"};

// Expected ids from a list of parts: a special piece (in the fake's table) or text (its bytes).
std::vector<int32_t> ids_of(const FakeTokenizer& tok, const std::vector<std::string>& parts) {
  std::vector<int32_t> ids;
  for (const std::string& p : parts) {
    if (p == "<bos>") {
      ids.push_back(2);
    } else if (tok.piece_to_id(p) >= 0) {
      ids.push_back(tok.id(p));
    } else {
      for (int32_t id : tok.encode(p)) ids.push_back(id);
    }
  }
  return ids;
}

TEST(ChatFormatTest, GemmaMergesTheSystemTextIntoTheFirstUserTurn) {
  FakeTokenizer tok(kGemmaTokens);
  ChatFormat f(models::Arch::kGemma3, tok);
  ASSERT_EQ(f.style(), ChatStyle::kGemma);
  std::vector<ChatMessage> m = {{"system", " Be brief. "}, {"user", "Hi!\n"}};
  EXPECT_EQ(f.render(m),
            "<bos><start_of_turn>user\nBe brief.\n\nHi!<end_of_turn>\n<start_of_turn>model\n");
  EXPECT_EQ(f.encode(m), ids_of(tok, {"<bos>", "<start_of_turn>", "user\nBe brief.\n\nHi!",
                                      "<end_of_turn>", "\n", "<start_of_turn>", "model\n"}));
  m.push_back({"assistant", "Hello."});
  m.push_back({"user", "Bye"});
  EXPECT_EQ(f.render(m, false, false),
            "<start_of_turn>user\nBe brief.\n\nHi!<end_of_turn>\n<start_of_turn>model\n"
            "Hello.<end_of_turn>\n<start_of_turn>user\nBye<end_of_turn>\n");
  EXPECT_EQ(f.stop_tokens(), (std::vector<int32_t>{tok.id("<end_of_turn>"), 1}));
  EXPECT_TRUE(f.stop_strings().empty());
}

TEST(ChatFormatTest, Llama3HeadersWhenTheVocabularyHasThem) {
  FakeTokenizer tok(kLlamaTokens);
  ChatFormat f(models::Arch::kLlama, tok);
  ASSERT_EQ(f.style(), ChatStyle::kLlama3);
  std::vector<ChatMessage> m = {{"system", "S"}, {"user", "U"}};
  EXPECT_EQ(f.render(m),
            "<bos><|start_header_id|>system<|end_header_id|>\n\nS<|eot_id|>"
            "<|start_header_id|>user<|end_header_id|>\n\nU<|eot_id|>"
            "<|start_header_id|>assistant<|end_header_id|>\n\n");
  EXPECT_EQ(
      f.encode(m, /*add_bos=*/false),
      ids_of(tok, {"<|start_header_id|>", "system", "<|end_header_id|>", "\n\nS", "<|eot_id|>",
                   "<|start_header_id|>", "user", "<|end_header_id|>", "\n\nU", "<|eot_id|>",
                   "<|start_header_id|>", "assistant", "<|end_header_id|>", "\n\n"}));
  EXPECT_EQ(f.stop_tokens(), (std::vector<int32_t>{tok.id("<|eot_id|>"), 1}));
}

TEST(ChatFormatTest, PlainFallbackAndStyleSelection) {
  FakeTokenizer gemma_vocab(kGemmaTokens), none({}), no_bos({}, false);
  // llama without the Llama 3 tokens, gemma without the Gemma tokens: plain
  EXPECT_EQ(ChatFormat(models::Arch::kLlama, gemma_vocab).style(), ChatStyle::kPlain);
  EXPECT_EQ(ChatFormat(models::Arch::kGemma2, none).style(), ChatStyle::kPlain);
  EXPECT_EQ(ChatFormat(models::Arch::kGemma, gemma_vocab).style(), ChatStyle::kGemma);
  ChatFormat f(models::Arch::kLlama, no_bos);
  std::vector<ChatMessage> m = {
      {"system", "S"}, {"user", "U1"}, {"assistant", "A1"}, {"user", "U2"}};
  EXPECT_EQ(f.render(m), "S\n\nUser: U1\nAssistant: A1\nUser: U2\nAssistant:");  // no BOS
  EXPECT_EQ(f.encode(m), ids_of(no_bos, {"S\n\nUser: U1\nAssistant: A1\nUser: U2\nAssistant:"}));
  EXPECT_EQ(f.stop_strings(), (std::vector<std::string>{"\nUser:"}));
  EXPECT_EQ(f.stop_tokens(), (std::vector<int32_t>{1}));
  // A forced style whose tokens are missing is an error naming the token.
  try {
    ChatFormat bad(ChatStyle::kLlama3, gemma_vocab);
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("<|start_header_id|>"), std::string::npos);
  }
  std::vector<ChatMessage> bad_role = {{"tool", "x"}};
  EXPECT_THROW(f.encode(bad_role), Error);
}

TEST(ChatFormatTest, NextTurnContinuesAGeneratedAnswer) {
  // render(history + answer + user) == render(history) + answer + next_turn_text(user)
  FakeTokenizer gemma(kGemmaTokens), llama(kLlamaTokens), plain({});
  struct Case {
    const FakeTokenizer* tok;
    models::Arch arch;
    std::string generated;  // the answer as the model writes it after the generation prompt
  };
  for (const Case& c :
       {Case{&gemma, models::Arch::kGemma3, "A1"}, Case{&llama, models::Arch::kLlama, "A1"},
        Case{&plain, models::Arch::kLlama, " A1"}}) {
    ChatFormat f(c.arch, *c.tok);
    std::vector<ChatMessage> first = {{"system", "S"}, {"user", "U1"}};
    std::vector<ChatMessage> all = first;
    all.push_back({"assistant", "A1"});
    all.push_back({"user", " U2 "});
    EXPECT_EQ(f.render(all), f.render(first) + c.generated + f.next_turn_text(" U2 "))
        << chat_style_name(f.style());
    std::vector<int32_t> ids = f.encode(first);
    std::vector<int32_t> answer = c.tok->encode(c.generated);
    std::vector<int32_t> next = f.encode_next_turn(" U2 ");
    ids.insert(ids.end(), answer.begin(), answer.end());
    ids.insert(ids.end(), next.begin(), next.end());
    // With a byte-level tokenizer the ids agree too (a real one may split differently).
    EXPECT_EQ(f.encode(all), ids) << chat_style_name(f.style());
  }
}

TEST(ChatFormatTest, SpecialTokensAreSingleIdsWithTheTrainedTokenizer) {
  auto tok = testing::chat_tokenizer();
  ChatFormat f(models::Arch::kGemma3, *tok);
  std::vector<ChatMessage> m = {{"user", "Hello there"}};
  std::vector<int32_t> ids = f.encode(m);
  const int32_t start = tok->piece_to_id("<start_of_turn>"),
                end = tok->piece_to_id("<end_of_turn>");
  ASSERT_GE(start, 0);
  EXPECT_EQ(ids[0], tok->bos_id());
  EXPECT_EQ(ids[1], start);
  EXPECT_EQ(std::count(ids.begin(), ids.end(), start), 2);
  EXPECT_EQ(std::count(ids.begin(), ids.end(), end), 1);
  // Between the specials: the text, tokenized normally.
  std::vector<int32_t> user_text(ids.begin() + 2, std::find(ids.begin(), ids.end(), end));
  EXPECT_EQ(user_text, tok->encode("user\nHello there"));
}

}  // namespace
}  // namespace llmkit::infer
