// GGUF "gpt2" (byte-level BPE) vocabularies (llmkit/tokenizer/gguf_bpe.h) through
// tokenizer_from_gguf, on a tiny hand-made vocabulary whose ids are derived by hand.
#include "llmkit/tokenizer/gguf_bpe.h"

#include <gtest/gtest.h>

#include "llmkit/base/error.h"
#include "llmkit/io/gguf.h"
#include "llmkit/tokenizer/gguf_vocab.h"
#include "llmkit/tokenizer/hf_tokenizer.h"
#include "tokenizer_test_util.h"

namespace llmkit::tokenizer {
namespace {

using io::GgufValue;
using Ids = std::vector<int32_t>;

// a0 b1 Ġ2 Ġa3 ab4 <|begin_of_text|>5 (control) <|x|>6 (user-defined) 1 7 2 8 12 9;
// merges (Ġ,a) rank 0, (a,b) rank 1, (1,2) rank 2.
void write_vocab(const std::string& path, const std::string& pre, bool with_merges = true) {
  io::GgufWriter w;
  w.set("tokenizer.ggml.model", GgufValue::string("gpt2"));
  w.set("tokenizer.ggml.pre", GgufValue::string(pre));
  w.set("tokenizer.ggml.tokens",
        GgufValue::string_array({"a", "b", "\xC4\xA0",
                                 "\xC4\xA0"
                                 "a",
                                 "ab", "<|begin_of_text|>", "<|x|>", "1", "2", "12"}));
  w.set("tokenizer.ggml.token_type", GgufValue::i32_array({1, 1, 1, 1, 1, 3, 4, 1, 1, 1}));
  if (with_merges) {
    w.set("tokenizer.ggml.merges", GgufValue::string_array({"\xC4\xA0 a", "a b", "1 2"}));
  }
  w.set("tokenizer.ggml.bos_token_id", GgufValue::u32(5));
  w.write(path);
}

TEST(GgufBpe, Llama3Vocabulary) {
  testing::TempDir dir;
  write_vocab(dir.file("l3.gguf"), "llama-bpe");
  auto tok = tokenizer_from_gguf(io::GgufFile(dir.file("l3.gguf")));
  // "ab ab" -> "ab", " ab" -> ab; Ġ a b -> Ġa b
  EXPECT_EQ(tok->encode("ab ab"), (Ids{4, 3, 1}));
  // user-defined tokens are matched in any text; control tokens only when parsing specials
  EXPECT_EQ(tok->encode("a<|x|>b"), (Ids{0, 6, 1}));
  // llama-bpe groups digits by three: "1212" -> "121", "2" -> 12 1, 2
  EXPECT_EQ(tok->encode("1212"), (Ids{9, 7, 8}));
  EXPECT_EQ(tok->decode({4, 3, 1}), "ab ab");
  EXPECT_EQ(tok->bos_id(), 5);
  EXPECT_TRUE(tok->is_special(5));
  EXPECT_FALSE(tok->is_special(6));
  const auto* hf = dynamic_cast<const HfTokenizer*>(tok.get());
  ASSERT_NE(hf, nullptr);
  EXPECT_EQ(hf->encode("ab", true, true), (Ids{5, 4}));  // add_bos defaults to true for Llama 3
  EXPECT_EQ(hf->encode("<|begin_of_text|>ab", true, true), (Ids{5, 4}));
}

TEST(GgufBpe, Qwen2SplitsDigitsSingly) {
  testing::TempDir dir;
  write_vocab(dir.file("q.gguf"), "qwen2");
  auto tok = tokenizer_from_gguf(io::GgufFile(dir.file("q.gguf")));
  EXPECT_EQ(tok->encode("12"), (Ids{7, 8}));
  const auto* hf = dynamic_cast<const HfTokenizer*>(tok.get());
  ASSERT_NE(hf, nullptr);
  EXPECT_EQ(hf->encode("ab", true, true), (Ids{4}));  // no BOS unless add_bos_token says so
  write_vocab(dir.file("g.gguf"), "gpt2");
  EXPECT_EQ(tokenizer_from_gguf(io::GgufFile(dir.file("g.gguf")))->encode("1212"), (Ids{9, 9}));
}

TEST(GgufBpe, Errors) {
  testing::TempDir dir;
  write_vocab(dir.file("p.gguf"), "tekken");
  try {
    tokenizer_from_gguf(io::GgufFile(dir.file("p.gguf")));
    ADD_FAILURE() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kUnsupported);
    EXPECT_NE(std::string(e.what()).find("'tekken'"), std::string::npos) << e.what();
  }
  write_vocab(dir.file("m.gguf"), "gpt2", /*with_merges=*/false);
  try {
    tokenizer_from_gguf(io::GgufFile(dir.file("m.gguf")));
    ADD_FAILURE() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kNotFound);
    EXPECT_NE(std::string(e.what()).find("merges"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace llmkit::tokenizer
