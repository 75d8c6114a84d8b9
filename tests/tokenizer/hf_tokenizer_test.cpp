// HfTokenizer (llmkit/tokenizer/hf_tokenizer.h) on small hand-written tokenizer.json files whose
// ids are derived by hand: the Gemma-style pipeline (Replace normalizer, byte fallback, fuse_unk,
// TemplateProcessing BOS), a byte-level one (ByteLevel pre-tokenizer and decoder), added tokens
// (special or not, lstrip/rstrip) and the errors for bad files.
#include "llmkit/tokenizer/hf_tokenizer.h"

#include <gtest/gtest.h>

#include <thread>

#include "llmkit/base/error.h"

namespace llmkit::tokenizer {
namespace {

using Ids = std::vector<int32_t>;

// vocab: <unk>0 <bos>1 <eos>2 <0xC3>3 <0xA9>4 ▁5 h6 i7 hi8 ▁hi9; added: <t> (not special) 10,
// <r> (rstrip, lstrip) 11. merges (h,i) rank 0, (▁,hi) rank 1.
const char* kSpmLike = R"({
  "version": "1.0",
  "added_tokens": [
    {"id": 0, "content": "<unk>", "special": true},
    {"id": 1, "content": "<bos>", "special": true},
    {"id": 2, "content": "<eos>", "special": true},
    {"id": 10, "content": "<t>", "special": false},
    {"id": 11, "content": "<r>", "special": true, "lstrip": true, "rstrip": true}
  ],
  "normalizer": {"type": "Replace", "pattern": {"String": " "}, "content": "▁"},
  "pre_tokenizer": {"type": "Split", "pattern": {"String": " "}, "behavior": "MergedWithPrevious",
                    "invert": false},
  "post_processor": {"type": "TemplateProcessing",
    "single": [{"SpecialToken": {"id": "<bos>", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}}],
    "special_tokens": {"<bos>": {"id": "<bos>", "ids": [1], "tokens": ["<bos>"]}}},
  "decoder": {"type": "Sequence", "decoders": [
    {"type": "Replace", "pattern": {"String": "▁"}, "content": " "},
    {"type": "ByteFallback"}, {"type": "Fuse"}]},
  "model": {"type": "BPE", "unk_token": "<unk>", "fuse_unk": true, "byte_fallback": true,
    "vocab": {"<unk>": 0, "<bos>": 1, "<eos>": 2, "<0xC3>": 3, "<0xA9>": 4, "▁": 5, "h": 6,
              "i": 7, "hi": 8, "▁hi": 9},
    "merges": [["h", "i"], ["▁", "hi"]]}
})";

TEST(HfTokenizer, SentencePieceStylePipeline) {
  auto tok = HfTokenizer::from_json(kSpmLike);
  // "hi hi" -> "hi▁hi": h i ▁ h i -> hi ▁ h i -> hi ▁ hi -> hi ▁hi
  EXPECT_EQ(tok->encode("hi hi"), (Ids{8, 9}));
  EXPECT_EQ(tok->encode("\xC3\xA9"), (Ids{3, 4}));  // é -> byte pieces
  EXPECT_EQ(tok->encode("xy"), (Ids{0}));           // no byte pieces: unk, fused
  EXPECT_EQ(tok->encode(""), Ids{});
  // an invalid byte is read as U+FFFD (EF BF BD): no byte pieces for it -> unk
  EXPECT_EQ(tok->encode("hi\xFF"), (Ids{8, 0}));
  EXPECT_EQ(tok->n_vocab(), 12);
  EXPECT_EQ(tok->bos_id(), 1);
  EXPECT_EQ(tok->eos_id(), 2);
  EXPECT_EQ(tok->unk_id(), 0);
  EXPECT_EQ(tok->pad_id(), -1);
  EXPECT_EQ(tok->piece_to_id("▁hi"), 9);
  EXPECT_EQ(tok->piece_to_id("<t>"), 10);
  EXPECT_EQ(tok->piece_to_id("zz"), -1);
  EXPECT_EQ(tok->id_to_piece(9), "▁hi");
  EXPECT_TRUE(tok->is_special(1));
  EXPECT_TRUE(tok->is_special(0));
  EXPECT_FALSE(tok->is_special(10));
  EXPECT_FALSE(tok->is_special(8));
  EXPECT_FALSE(tok->is_special(99));
}

TEST(HfTokenizer, AddedTokensAndBos) {
  auto tok = HfTokenizer::from_json(kSpmLike);
  EXPECT_EQ(tok->encode("hi", true, true), (Ids{1, 8}));
  EXPECT_EQ(tok->encode("<bos>hi", true, true), (Ids{1, 8}));  // never a double BOS
  EXPECT_EQ(tok->encode("<bos>hi", false, true), (Ids{1, 8}));
  // not parsed: "<bos>" is text: < b o s > are all unk (fused), then hi
  EXPECT_EQ(tok->encode("<bos>hi", false, false), (Ids{0, 8}));
  EXPECT_EQ(tok->encode("<bos>hi", true, false), (Ids{1, 0, 8}));
  // non-special added tokens are always matched
  EXPECT_EQ(tok->encode("hi<t>hi", false, false), (Ids{8, 10, 8}));
  // <r> strips the spaces around it: "hi <r> hi" -> "hi", <r>, "hi"
  EXPECT_EQ(tok->encode("hi <r> hi", false, true), (Ids{8, 11, 8}));
  EXPECT_EQ(tok->encode("hi <r> hi", false, false), (Ids{8, 5, 0, 9}));
}

TEST(HfTokenizer, Decode) {
  auto tok = HfTokenizer::from_json(kSpmLike);
  EXPECT_EQ(tok->decode({1, 8, 9, 10, 2}), "hi hi<t>");  // control tokens decode to nothing
  EXPECT_EQ(tok->decode({3, 4}), "\xC3\xA9");
  EXPECT_EQ(tok->decode({3}), "\xEF\xBF\xBD");
  EXPECT_EQ(tok->decode({}), "");
  EXPECT_EQ(tok->decode(tok->encode("hi hi \xC3\xA9")), "hi hi \xC3\xA9");
  try {
    tok->decode({12});
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kOutOfRange);
    EXPECT_NE(std::string(e.what()).find("12"), std::string::npos);
  }
  EXPECT_THROW(tok->id_to_piece(-1), Error);
}

// Byte-level: a0 b1 Ġ2 Ġa3 ab4; merges "Ġ a" rank 0, "a b" rank 1.
const char* kByteLevel = R"({
  "added_tokens": [{"id": 5, "content": "<|end|>", "special": true}],
  "normalizer": null,
  "pre_tokenizer": {"type": "ByteLevel", "add_prefix_space": false, "use_regex": true},
  "post_processor": {"type": "ByteLevel"},
  "decoder": {"type": "ByteLevel"},
  "model": {"type": "BPE", "unk_token": null, "ignore_merges": true,
            "vocab": {"a": 0, "b": 1, "Ġ": 2, "Ġa": 3, "ab": 4},
            "merges": ["Ġ a", "a b"]}
})";

TEST(HfTokenizer, ByteLevelPipeline) {
  auto tok = HfTokenizer::from_json(kByteLevel);
  // "ab ab" -> words "ab", " ab" -> "ab", "Ġab": ab; Ġ a b -> Ġa b
  EXPECT_EQ(tok->encode("ab ab"), (Ids{4, 3, 1}));
  EXPECT_EQ(tok->encode("ab<|end|>", true, true), (Ids{4, 5}));  // no BOS in this file
  EXPECT_EQ(tok->bos_id(), -1);
  EXPECT_EQ(tok->eos_id(), -1);
  EXPECT_EQ(tok->decode({4, 3, 1}), "ab ab");
  EXPECT_EQ(tok->decode(tok->encode("ab ab a")), "ab ab a");
  EXPECT_NE(tok->fingerprint(), HfTokenizer::from_json(kSpmLike)->fingerprint());
}

TEST(HfTokenizer, ConcurrentEncodesAgree) {
  auto tok = HfTokenizer::from_json(kSpmLike);
  const std::string text = "hi hi \xC3\xA9hi<t> hi";
  const Ids want = tok->encode(text);
  std::vector<std::thread> threads;
  std::vector<int> ok(4, 0);
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      int good = 0;
      for (int i = 0; i < 200; ++i) good += tok->encode(text) == want;
      ok[static_cast<size_t>(t)] = good;
    });
  }
  for (auto& th : threads) th.join();
  for (int t = 0; t < 4; ++t) EXPECT_EQ(ok[static_cast<size_t>(t)], 200);
}

void expect_error(const std::string& json, ErrorCode code, const std::string& fragment) {
  try {
    HfTokenizer::from_json(json, "test.json");
    ADD_FAILURE() << "no error for " << fragment;
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), code) << e.what();
    EXPECT_NE(std::string(e.what()).find(fragment), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("test.json"), std::string::npos) << e.what();
  }
}

TEST(HfTokenizer, Errors) {
  expect_error("{\"model\": {", ErrorCode::kCorruptData, "malformed JSON");
  expect_error("[1, 2]", ErrorCode::kCorruptData, "not a JSON object");
  expect_error(R"({"added_tokens": []})", ErrorCode::kCorruptData, "'model'");
  expect_error(R"({"model": {"type": "Unigram", "vocab": []}})", ErrorCode::kUnsupported,
               "model.type = 'Unigram'");
  expect_error(R"({"model": {"type": "BPE", "vocab": {"a": 0}, "merges": [3]}})",
               ErrorCode::kCorruptData, "model.merges[0]");
  expect_error(R"({"model": {"type": "BPE", "vocab": {"a": 0}, "merges": []},
                   "pre_tokenizer": {"type": "Sequence", "pretokenizers": [
                     {"type": "ByteLevel"}, {"type": "Foo"}]}})",
               ErrorCode::kUnsupported, "pre_tokenizer.pretokenizers[1].type = 'Foo'");
  expect_error(R"({"model": {"type": "BPE", "vocab": {"a": 0}, "merges": []},
                   "decoder": {"type": "Bar"}})",
               ErrorCode::kUnsupported, "decoder.type = 'Bar'");
  expect_error(R"({"model": {"type": "BPE", "vocab": {"a": -4}, "merges": []}})",
               ErrorCode::kCorruptData, "model.vocab");
  try {
    HfTokenizer::load("/nonexistent/tokenizer.json");
    ADD_FAILURE() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kNotFound);
  }
}

}  // namespace
}  // namespace llmkit::tokenizer
