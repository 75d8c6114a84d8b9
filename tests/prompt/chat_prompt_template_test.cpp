// ChatPromptTemplate: messages with variables, history slots (required/optional), the union of
// variables, partials and the errors naming missing/unknown names and histories.
#include "llmkit/prompt/chat_prompt_template.h"
#include "tests/prompt/prompt_test_util.h"

#include <gtest/gtest.h>

#include "llmkit/base/error.h"

namespace llmkit::prompt {
namespace {

using Names = std::vector<std::string>;
using Msgs = std::vector<Message>;

using testing::error_of;

ChatPromptTemplate pirate() {
  ChatPromptTemplate chat;
  chat.system("You are a {persona}. Answer in {language}.")
      .history("history")
      .user("{question} ({language})");
  return chat;
}

TEST(ChatPromptTemplate, VariablesAreTheUnionInOrder) {
  EXPECT_EQ(pirate().input_variables(), (Names{"persona", "language", "question"}));
  EXPECT_EQ(pirate().history_names(), Names{"history"});
}

TEST(ChatPromptTemplate, FormatsMessagesAndSplicesHistory) {
  const Msgs history = {{"user", "Hi {not a variable}"}, {"assistant", "Ahoy"}};
  const Msgs got = pirate().format_messages(
      {{"persona", "pirate"}, {"language", "English"}, {"question", "Why?"}},
      {{"history", history}});
  const Msgs want = {{"system", "You are a pirate. Answer in English."},
                     {"user", "Hi {not a variable}"},
                     {"assistant", "Ahoy"},
                     {"user", "Why? (English)"}};
  EXPECT_EQ(got, want);
}

TEST(ChatPromptTemplate, RequiredHistoryMustBeGivenOptionalMayNot) {
  const Values v = {{"persona", "p"}, {"language", "l"}, {"question", "q"}};
  const auto msg = error_of([&] { pirate().format_messages(v); });
  EXPECT_NE(msg.find("missing required histories history"), std::string::npos) << msg;
  // an empty history is given, and contributes nothing
  EXPECT_EQ(pirate().format_messages(v, {{"history", {}}}).size(), 2u);

  ChatPromptTemplate opt;
  opt.history("context", /*optional=*/true).user("{q}");
  EXPECT_EQ(opt.format_messages({{"q", "x"}}), (Msgs{{"user", "x"}}));
  EXPECT_EQ(opt.format_messages({{"q", "x"}}, {{"context", {{"tool", "result"}}}}),
            (Msgs{{"tool", "result"}, {"user", "x"}}));
}

TEST(ChatPromptTemplate, ErrorsNameEveryProblem) {
  const auto msg = error_of([] {
    pirate().format_messages({{"persona", "p"}, {"qestion", "q"}}, {{"hist", {}}});
  });
  for (const char* part : {"missing values for language, question", "unknown variables qestion",
                           "missing required histories history", "unknown histories hist"}) {
    EXPECT_NE(msg.find(part), std::string::npos) << part << " in: " << msg;
  }
}

TEST(ChatPromptTemplate, AnyRoleAndFromMessages) {
  auto chat = ChatPromptTemplate::from_messages(
      {{"system", "S {a}"}, {"developer", "D"}, {"assistant", "A {b}"}, {"tool", "{a}{b}"}});
  EXPECT_EQ(chat.input_variables(), (Names{"a", "b"}));
  EXPECT_EQ(chat.format_messages({{"a", "1"}, {"b", "2"}}),
            (Msgs{{"system", "S 1"}, {"developer", "D"}, {"assistant", "A 2"}, {"tool", "12"}}));
  EXPECT_NE(error_of([] { ChatPromptTemplate().message("", "x"); }).find("role"),
            std::string::npos);
}

TEST(ChatPromptTemplate, PartialBindsAcrossMessages) {
  auto chat = pirate().partial({{"language", std::string("Latin")}});
  EXPECT_EQ(chat.input_variables(), (Names{"persona", "question"}));
  const Msgs got = chat.format_messages({{"persona", "p"}, {"question", "q"}}, {{"history", {}}});
  EXPECT_EQ(got, (Msgs{{"system", "You are a p. Answer in Latin."}, {"user", "q (Latin)"}}));
  EXPECT_NE(error_of([] {
              pirate().partial({{"nope", std::string("x")}});
            }).find("nope"),
            std::string::npos);
}

TEST(ChatPromptTemplate, HistoryNamesAndVariablesDoNotCollide) {
  ChatPromptTemplate a;
  a.user("{history}");
  EXPECT_NE(error_of([&] { a.history("history"); }).find("already a variable"), std::string::npos);
  ChatPromptTemplate b;
  b.history("h");
  EXPECT_NE(error_of([&] { b.user("{h}"); }).find("already a history name"), std::string::npos);
  EXPECT_NE(error_of([&] { b.history("h"); }).find("twice"), std::string::npos);
  EXPECT_NE(error_of([&] { b.history("1h"); }).find("history name"), std::string::npos);
}

TEST(Message, ToJsonKeepsOrderAndFields) {
  const auto j = messages_to_json({{"system", "S"}, {"user", "U \"q\""}});
  EXPECT_EQ(j.dump(), R"([{"role":"system","content":"S"},{"role":"user","content":"U \"q\""}])");
  EXPECT_EQ(messages_to_json({}).dump(), "[]");
}

TEST(ChatPromptTemplate, TemplateErrorsSurfaceWhenAdding) {
  const auto msg = error_of([] { ChatPromptTemplate().user("oops {"); });
  EXPECT_NE(msg.find("column 6"), std::string::npos) << msg;
}

}  // namespace
}  // namespace llmkit::prompt
