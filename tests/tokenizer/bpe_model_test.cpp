// The BPE merge engine (llmkit/tokenizer/bpe_model.h) on tiny hand-made vocabularies whose
// results are derived by hand: rank order, leftmost tie-break, byte fallback, unk, ignore_merges,
// fuse_unk.
#include "llmkit/tokenizer/bpe_model.h"

#include <gtest/gtest.h>

namespace llmkit::tokenizer::hf {
namespace {

using Ids = std::vector<int32_t>;
using Strs = std::vector<std::string>;

BpeConfig abc_config(std::vector<std::pair<std::string, std::string>> merges) {
  BpeConfig c;
  c.vocab = {{"a", 0}, {"b", 1}, {"c", 2}, {"ab", 3}, {"bc", 4}, {"abc", 5}, {"aa", 6}};
  c.merges = std::move(merges);
  return c;
}

Ids encode(const BpeModel& m, std::string_view word) {
  Ids ids;
  m.encode_word(word, ids);
  return ids;
}

TEST(BpeModel, LowestRankMergesFirst) {
  // (a,b) has rank 0: "abc" -> ab c -> abc
  BpeModel m1(abc_config({{"a", "b"}, {"b", "c"}, {"ab", "c"}}));
  EXPECT_EQ(m1.merge_word("abc"), (Strs{"abc"}));
  EXPECT_EQ(encode(m1, "abc"), (Ids{5}));
  // (b,c) has rank 0: "abc" -> a bc, and (a,bc) is no merge
  BpeModel m2(abc_config({{"b", "c"}, {"a", "b"}, {"ab", "c"}}));
  EXPECT_EQ(m2.merge_word("abc"), (Strs{"a", "bc"}));
  EXPECT_EQ(encode(m2, "abc"), (Ids{0, 4}));
}

TEST(BpeModel, EqualRanksMergeLeftmostFirst) {
  BpeModel m(abc_config({{"a", "a"}}));
  EXPECT_EQ(m.merge_word("aaa"), (Strs{"aa", "a"}));
  EXPECT_EQ(m.merge_word("aaaa"), (Strs{"aa", "aa"}));
  EXPECT_EQ(m.merge_word("aaaaa"), (Strs{"aa", "aa", "a"}));
  EXPECT_EQ(encode(m, "aaa"), (Ids{6, 0}));
}

TEST(BpeModel, MergesThroughPiecesOutsideTheVocabulary) {
  // "bb" is not in the vocabulary but is an intermediate piece of "bbc"
  BpeConfig c;
  c.vocab = {{"b", 0}, {"c", 1}, {"bbc", 2}};
  c.merges = {{"b", "b"}, {"bb", "c"}};
  BpeModel m(std::move(c));
  EXPECT_EQ(encode(m, "bbc"), (Ids{2}));
  EXPECT_EQ(m.merge_word("bb"), (Strs{"bb"}));
}

TEST(BpeModel, ByteFallbackAndUnk) {
  BpeConfig c;
  c.vocab = {{"<unk>", 0}, {"<0xC3>", 1}, {"<0xA9>", 2}, {"a", 3}};
  c.unk_token = "<unk>";
  c.byte_fallback = true;
  BpeModel m(std::move(c));
  EXPECT_EQ(encode(m, "a\xC3\xA9"), (Ids{3, 1, 2}));  // "aé": é has no piece -> its two bytes
  EXPECT_EQ(encode(m, "x"), (Ids{0}));                // byte <0x78> missing -> unk
  EXPECT_EQ(m.unk_id(), 0);
}

TEST(BpeModel, NoByteFallbackGivesUnk) {
  BpeConfig c;
  c.vocab = {{"<unk>", 0}, {"<0xC3>", 1}, {"<0xA9>", 2}};
  c.unk_token = "<unk>";
  BpeModel m(std::move(c));
  EXPECT_EQ(encode(m, "\xC3\xA9"), (Ids{0}));
}

TEST(BpeModel, FuseUnkCollapsesRuns) {
  BpeConfig c;
  c.vocab = {{"<unk>", 0}, {"a", 1}};
  c.unk_token = "<unk>";
  c.fuse_unk = true;
  BpeModel m(std::move(c));
  EXPECT_EQ(m.encode_words({"xy", "z", "a", "q"}), (Ids{0, 1, 0}));
  BpeConfig c2;
  c2.vocab = {{"<unk>", 0}, {"a", 1}};
  c2.unk_token = "<unk>";
  BpeModel m2(std::move(c2));
  EXPECT_EQ(m2.encode_words({"xy", "a"}), (Ids{0, 0, 1}));
}

TEST(BpeModel, IgnoreMergesKeepsVocabularyWords) {
  // "abc" is in the vocabulary but the merges would give a + bc
  BpeConfig c = abc_config({{"b", "c"}});
  c.ignore_merges = true;
  BpeModel m(std::move(c));
  EXPECT_EQ(encode(m, "abc"), (Ids{5}));
  EXPECT_EQ(encode(m, "cbc"), (Ids{2, 4}));
  BpeModel plain(abc_config({{"b", "c"}}));
  EXPECT_EQ(encode(plain, "abc"), (Ids{0, 4}));
}

TEST(BpeModel, AddedPiecesAreLookedUp) {
  BpeModel m(abc_config({}));
  EXPECT_EQ(m.piece_to_id("<x>"), -1);
  m.add_piece("<x>", 9);
  EXPECT_EQ(m.piece_to_id("<x>"), 9);
  EXPECT_EQ(m.piece_to_id("ab"), 3);
}

TEST(BpeModel, LongWordsAndTheCacheAgree) {
  BpeModel m(abc_config({{"a", "a"}, {"a", "b"}}));
  std::string w;
  for (int i = 0; i < 1000; ++i) w += "ab";
  Ids want(1000, 3);
  EXPECT_EQ(encode(m, w), want);
  EXPECT_EQ(encode(m, "abab"), (Ids{3, 3}));
  EXPECT_EQ(encode(m, "abab"), (Ids{3, 3}));  // cached
  EXPECT_TRUE(encode(m, "").empty());
}

}  // namespace
}  // namespace llmkit::tokenizer::hf
