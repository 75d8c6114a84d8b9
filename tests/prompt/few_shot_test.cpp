// Few-shot templates: the text and chat variants against prompts written out by hand, with fixed
// examples and with a selector, plus their errors.
#include "llmkit/prompt/few_shot.h"
#include "tests/prompt/prompt_test_util.h"

#include <gtest/gtest.h>

#include "llmkit/base/error.h"

namespace llmkit::prompt {
namespace {

using Msgs = std::vector<Message>;

using testing::error_of;

const std::vector<Example> kExamples = {
    {{"word", "happy"}, {"antonym", "sad"}, {"id", "1"}},
    {{"word", "tall"}, {"antonym", "short"}, {"id", "2"}},
    {{"word", "{hot}"}, {"antonym", "cold"}, {"id", "3"}},  // braces stay literal
};

TEST(FewShotPromptTemplate, MatchesTheHandBuiltPrompt) {
  FewShotPromptTemplate fs(PromptTemplate("Input: {word}\nOutput: {antonym}"), kExamples,
                           "Input: {input}\nOutput:", "Give the antonym of every {what}.");
  EXPECT_EQ(fs.input_variables(), (std::vector<std::string>{"what", "input"}));
  const std::string want =
      "Give the antonym of every word.\n\n"
      "Input: happy\nOutput: sad\n\n"
      "Input: tall\nOutput: short\n\n"
      "Input: {hot}\nOutput: cold\n\n"
      "Input: big\nOutput:";
  EXPECT_EQ(fs.format({{"what", "word"}, {"input", "big"}}), want);
}

TEST(FewShotPromptTemplate, NoPrefixAndCustomSeparator) {
  FewShotPromptTemplate fs(PromptTemplate("{word}={antonym}"), kExamples, "{input}=", "", " | ");
  EXPECT_EQ(fs.format({{"input", "up"}}), "happy=sad | tall=short | {hot}=cold | up=");
}

TEST(FewShotPromptTemplate, UsesTheSelectorPerCall) {
  auto selector = std::make_shared<FixedExampleSelector>(kExamples, 1);
  FewShotPromptTemplate fs(PromptTemplate("{word}={antonym}"), selector, "{input}=");
  EXPECT_EQ(fs.format({{"input", "up"}}), "happy=sad\n\nup=");
}

TEST(FewShotPromptTemplate, ErrorsNameMissingAndUnknownValuesAndFields) {
  FewShotPromptTemplate fs(PromptTemplate("{word}={antonym}"), kExamples, "{input}=", "{intro}");
  const auto msg = error_of([&] { fs.format({{"input", "x"}, {"word", "y"}}); });
  EXPECT_NE(msg.find("missing values for intro"), std::string::npos) << msg;
  EXPECT_NE(msg.find("unknown variables word"), std::string::npos) << msg;

  FewShotPromptTemplate bad(PromptTemplate("{word}={opposite}"), kExamples, "{input}=");
  const auto msg2 = error_of([&] { bad.format({{"input", "x"}}); });
  EXPECT_NE(msg2.find("example 0"), std::string::npos) << msg2;
  EXPECT_NE(msg2.find("opposite"), std::string::npos) << msg2;
}

TEST(FewShotPromptTemplate, PartialBindsPrefixAndSuffix) {
  FewShotPromptTemplate fs(PromptTemplate("{word}={antonym}"), {kExamples[0]},
                           "{lang}: {input}=", "Antonyms in {lang}.");
  auto p = fs.partial({{"lang", std::string("English")}});
  EXPECT_EQ(p.input_variables(), std::vector<std::string>{"input"});
  EXPECT_EQ(p.format({{"input", "up"}}), "Antonyms in English.\n\nhappy=sad\n\nEnglish: up=");
  EXPECT_NE(error_of([&] {
              fs.partial({{"word", std::string("x")}});
            }).find("word"),
            std::string::npos);
}

TEST(FewShotChatPromptTemplate, AlternatingUserAndAssistantMessages) {
  FewShotChatPromptTemplate fs(FewShotChatPromptTemplate::user_assistant("{word}", "{antonym}"),
                               kExamples);
  const Msgs want = {{"user", "happy"},      {"assistant", "sad"}, {"user", "tall"},
                     {"assistant", "short"}, {"user", "{hot}"},    {"assistant", "cold"}};
  EXPECT_EQ(fs.format_messages(), want);

  // spliced into a chat prompt through a history slot
  ChatPromptTemplate chat;
  chat.system("Give antonyms.").history("examples").user("{input}");
  const Values v = {{"input", "big"}};
  Msgs full = chat.format_messages(v, {{"examples", fs.format_messages(v)}});
  Msgs expected = {{"system", "Give antonyms."}};
  expected.insert(expected.end(), want.begin(), want.end());
  expected.push_back({"user", "big"});
  EXPECT_EQ(full, expected);
}

TEST(FewShotChatPromptTemplate, SelectorAndErrors) {
  auto selector = std::make_shared<FixedExampleSelector>(kExamples, 2);
  FewShotChatPromptTemplate fs(FewShotChatPromptTemplate::user_assistant("Q {id}", "A {antonym}"),
                               selector);
  EXPECT_EQ(
      fs.format_messages({{"input", "x"}}),
      (Msgs{{"user", "Q 1"}, {"assistant", "A sad"}, {"user", "Q 2"}, {"assistant", "A short"}}));
  ChatPromptTemplate with_slot;
  with_slot.user("{word}").history("h");
  EXPECT_NE(error_of([&] { FewShotChatPromptTemplate(with_slot, kExamples); }).find("history slot"),
            std::string::npos);
  FewShotChatPromptTemplate missing(FewShotChatPromptTemplate::user_assistant("{word}", "{nope}"),
                                    kExamples);
  EXPECT_NE(error_of([&] { missing.format_messages(); }).find("nope"), std::string::npos);
}

}  // namespace
}  // namespace llmkit::prompt
