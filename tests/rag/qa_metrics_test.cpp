// SQuAD answer metrics (normalisation, exact match, F1; expected values worked out by hand from
// the SQuAD v1.1 script's definition) and the QA prompt / answer format shared by the SFT data and
// the QA chain.
#include "llmkit/rag/qa_metrics.h"

#include <gtest/gtest.h>

#include "llmkit/rag/qa_prompt.h"

namespace llmkit::rag {
namespace {

TEST(QaMetrics, NormalisesAsSquad) {
  EXPECT_EQ(normalize_answer("The  Cat, sat!"), "cat sat");
  EXPECT_EQ(normalize_answer("1,000 dollars."), "1000 dollars");
  EXPECT_EQ(normalize_answer("U.S. (an ally)"), "us ally");
  EXPECT_EQ(normalize_answer("  A theory\tof\nthe  Mind "), "theory of mind");
  EXPECT_EQ(normalize_answer("the-end"), "theend");  // punctuation is deleted, not a space
  EXPECT_EQ(normalize_answer("Theater an"), "theater");
  EXPECT_EQ(normalize_answer("$3,000,000"), "3000000");
  EXPECT_EQ(normalize_answer("a an the"), "");
  EXPECT_EQ(normalize_answer("caf\xC3\xA9 OK"), "caf\xC3\xA9 ok");  // non-ASCII kept as is
}

TEST(QaMetrics, ExactMatch) {
  EXPECT_EQ(exact_match("the United States", "United States."), 1.0);
  EXPECT_EQ(exact_match("1,000 dollars", "1000 Dollars"), 1.0);
  EXPECT_EQ(exact_match("1795", "1796"), 0.0);
  EXPECT_EQ(exact_match("", "the"), 1.0);  // both normalise to nothing
}

TEST(QaMetrics, TokenF1) {
  // pred words {b, c} ("a" is an article), gold {b, c, d}: p = 1, r = 2/3, F1 = 0.8.
  EXPECT_DOUBLE_EQ(token_f1("a b c", "b c d"), 0.8);
  // pred {x, b, c}, gold {b, c, d}: p = r = 2/3.
  EXPECT_DOUBLE_EQ(token_f1("x b c", "b c d"), 2.0 / 3.0);
  EXPECT_DOUBLE_EQ(token_f1("new york city", "New York"), 0.8);
  EXPECT_DOUBLE_EQ(token_f1("war war peace", "war peace peace"), 2.0 / 3.0);
  EXPECT_DOUBLE_EQ(token_f1("1795", "1796"), 0.0);
  EXPECT_DOUBLE_EQ(token_f1("the", ""), 1.0);
  EXPECT_DOUBLE_EQ(token_f1("", "1795"), 0.0);
}

TEST(QaPrompt, UserMessageHasTheAgreedFormat) {
  const std::string m = qa_user_message("When was it?", {{"First  passage\nhere."}, {"Second."}});
  EXPECT_EQ(m,
            "Answer the question from the sources. Cite the source number like [1]. If the "
            "sources do not contain the answer, say \"The sources do not say.\"\n\n"
            "[1] First passage here.\n[2] Second.\n\nQuestion: When was it?");
  EXPECT_EQ(qa_answer(" 1795 ", 2), "1795 [2]");
  EXPECT_STREQ(kNoAnswer, "The sources do not say.");
}

TEST(QaPrompt, ParsesAnswersCitationsAndAbstentions) {
  ParsedAnswer a = parse_qa_answer("1795 [2]");
  EXPECT_EQ(a.answer, "1795");
  EXPECT_EQ(a.citations, std::vector<int>{2});
  EXPECT_FALSE(a.abstained);
  a = parse_qa_answer("  $5 million [3][1] [3].");
  EXPECT_EQ(a.answer, "$5 million");
  EXPECT_EQ(a.citations, (std::vector<int>{3, 1}));
  a = parse_qa_answer("In 1801 [1], then 1802 [2]");
  EXPECT_EQ(a.answer, "In 1801 , then 1802");
  EXPECT_EQ(a.citations, (std::vector<int>{1, 2}));
  a = parse_qa_answer("the sources do not say.");
  EXPECT_TRUE(a.abstained);
  EXPECT_EQ(a.answer, "");
  EXPECT_TRUE(a.citations.empty());
  a = parse_qa_answer("U.S. [x] and [12345678]");  // not markers: no digits / too long
  EXPECT_EQ(a.answer, "U.S. [x] and [12345678]");
  EXPECT_TRUE(a.citations.empty());
  // The round trip of the SFT answer.
  a = parse_qa_answer(qa_answer("March 4, 1861", 4));
  EXPECT_EQ(a.answer, "March 4, 1861");
  EXPECT_EQ(a.citations, std::vector<int>{4});
}

}  // namespace
}  // namespace llmkit::rag
