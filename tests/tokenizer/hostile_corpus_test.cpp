// Checks of the hostile test corpus itself (tests/tokenizer/hostile_corpus.h): size, validity,
// determinism, coverage of the required categories, and the WHATWG replacement of invalid bytes
// against values derived by hand from the Encoding Standard's UTF-8 decoder.
#include "tests/tokenizer/hostile_corpus.h"

#include <gtest/gtest.h>

#include "tests/tokenizer/tokenizer_test_util.h"

namespace llmkit::tokenizer::testing {
namespace {

TEST(HostileCorpus, IsLargeValidDeterministicAndSplitIntoLines) {
  HostileCorpus c = make_hostile_corpus();
  EXPECT_GE(c.whole.size(), 100u * 1024);
  EXPECT_TRUE(is_valid_utf8(c.whole));
  EXPECT_GT(c.lines.size(), 500u);
  size_t line_bytes = 0;
  for (const std::string& line : c.lines) {
    ASSERT_FALSE(line.empty());
    ASSERT_EQ(line.find('\n'), std::string::npos);
    EXPECT_TRUE(is_valid_utf8(line)) << line;
    line_bytes += line.size();
  }
  // The lines are the whole text without its newlines.
  size_t newlines = 0;
  for (char ch : c.whole) newlines += ch == '\n';
  EXPECT_EQ(line_bytes + newlines, c.whole.size());

  HostileCorpus again = make_hostile_corpus();
  EXPECT_EQ(again.whole, c.whole);
  HostileCorpus other = make_hostile_corpus(99);
  EXPECT_NE(other.whole, c.whole);
}

TEST(HostileCorpus, CoversTheRequiredCategories) {
  HostileCorpus c = make_hostile_corpus();
  const char* const needles[] = {"안녕하세요",
                                 "東京",
                                 "分词器",
                                 "مرحبا",
                                 "नमस्ते",
                                 "👨‍👩‍👧‍👦",
                                 "👍🏽",
                                 "🇰🇷",
                                 "e\u0301",
                                 "\u00e9",
                                 "   ",
                                 "\t",
                                 "\n\n",
                                 "#include",
                                 "def ",
                                 "=>",
                                 "fn main",
                                 "SELECT",
                                 "https://",
                                 "@example",
                                 "| col a",
                                 "<bos>",
                                 "<start_of_turn>",
                                 "<|begin_of_text|>",
                                 "<|eot_id|>",
                                 "<unk>",
                                 "<pad>",
                                 "\u200b",
                                 "\u200d",
                                 "\u200f",
                                 "𠮷",
                                 "\ufffd"};
  for (const char* needle : needles) {
    EXPECT_NE(c.whole.find(needle), std::string::npos) << "missing: " << needle;
  }
  // A long digit run (>= 20 digits).
  size_t run = 0, best = 0;
  for (char ch : c.whole) {
    run = (ch >= '0' && ch <= '9') ? run + 1 : 0;
    best = std::max(best, run);
  }
  EXPECT_GE(best, 20u);
}

TEST(HostileCorpus, InvalidVariantHasInvalidBytesAndReplacementMakesItValid) {
  std::vector<std::string> lines = make_invalid_utf8_lines();
  size_t invalid = 0;
  for (const std::string& line : lines) {
    ASSERT_EQ(line.find('\n'), std::string::npos);
    invalid += !is_valid_utf8(line);
    EXPECT_TRUE(is_valid_utf8(utf8_replace_invalid(line))) << line;
  }
  EXPECT_GT(invalid, lines.size() / 2);
}

TEST(Utf8ReplaceInvalid, FollowsTheWhatwgDecoder) {
  const std::string r = "\xef\xbf\xbd";  // U+FFFD
  EXPECT_EQ(utf8_replace_invalid("abc"), "abc");
  EXPECT_EQ(utf8_replace_invalid("h\xc3\xa9"), "h\xc3\xa9");
  EXPECT_EQ(utf8_replace_invalid("\xf0\x9f\x98\x80"), "\xf0\x9f\x98\x80");
  EXPECT_EQ(utf8_replace_invalid("\x80"), r);
  EXPECT_EQ(utf8_replace_invalid("\x80\xbf"), r + r);          // each lone continuation byte
  EXPECT_EQ(utf8_replace_invalid("\xc0\xaf"), r + r);          // C0 never starts a sequence
  EXPECT_EQ(utf8_replace_invalid("\xe0\x80\xaf"), r + r + r);  // E0 needs A0..BF next
  EXPECT_EQ(utf8_replace_invalid("\xed\xa0\x80"), r + r + r);  // surrogate: ED needs 80..9F
  EXPECT_EQ(utf8_replace_invalid("\xf4\x90\x80\x80"), r + r + r + r);  // above U+10FFFF
  EXPECT_EQ(utf8_replace_invalid("\xf0\x9f\x98"), r);  // one truncated sequence at the end
  EXPECT_EQ(utf8_replace_invalid("\xf0\x9f\x98"
                                 "A"),
            r + "A");  // ... or before ASCII
  EXPECT_EQ(utf8_replace_invalid("\xe2\x82\xe2\x82\xac"), r + "\xe2\x82\xac");
  EXPECT_EQ(utf8_replace_invalid("\xff\xfe"), r + r);
  EXPECT_EQ(utf8_replace_invalid("\xc3"), r);
}

}  // namespace
}  // namespace llmkit::tokenizer::testing
