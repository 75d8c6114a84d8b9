// Memory conformance (llmkit/chain/memory.h, summary_memory.h): one suite of properties every
// memory kind must have, run on each kind (over an in-memory and an SQLite history), plus the
// selection rule of each kind checked against a count made here, independently of the memory.
// The summarising model is a scripted fake (tests/chain/fake_chat_model.h).
#include "llmkit/chain/memory.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <functional>
#include <set>
#include <sstream>

#include "llmkit/chain/sqlite_chat_history.h"
#include "llmkit/chain/summary_memory.h"
#include "tests/chain/fake_chat_model.h"

namespace llmkit::chain {
namespace {

using testing::FakeChatModel;

// A conversation: a system prompt and four turns, one of them with a tool call and its result.
Messages conversation() {
  return {
      system_message("You are terse."),
      user_message("Hi, I am Ada."),
      assistant_message("Hello Ada."),
      user_message("What is 6*7?"),
      assistant_message("", {ToolCall{"call_1", "calculator", {{"expression", "6*7"}}}}),
      tool_message("42", "call_1", "calculator"),
      assistant_message("42."),
      user_message("And the capital of France?"),
      assistant_message("Paris."),
      user_message("Thanks!"),
      assistant_message("You are welcome."),
  };
}

std::string temp_db(const std::string& tag) {
  const std::string path =
      ::testing::TempDir() + "memory_" + tag + "_" + std::to_string(::getpid()) + ".db";
  std::remove(path.c_str());
  std::remove((path + "-wal").c_str());
  std::remove((path + "-shm").c_str());
  return path;
}

struct MemoryKind {
  std::string label;
  std::function<MemoryPtr(ChatHistoryPtr)> make;
};

std::vector<MemoryKind> memory_kinds() {
  return {
      {"buffer", [](ChatHistoryPtr h) { return std::make_shared<BufferMemory>(h); }},
      {"window", [](ChatHistoryPtr h) { return std::make_shared<WindowMemory>(2, h); }},
      {"token_budget",
       [](ChatHistoryPtr h) {
         return std::make_shared<TokenBudgetMemory>(40, approximate_token_counter(), h);
       }},
      {"summary",
       [](ChatHistoryPtr h) {
         auto model = FakeChatModel::texts({"Ada said hi."});
         SummaryMemoryOptions o;
         o.keep_turns = 1;
         return std::make_shared<SummaryMemory>(model, o, h);
       }},
  };
}

// The memory's output, minus at most one added system message (the summary), is a subsequence
// of the history in order; it keeps every system message, the whole newest turn, and no tool
// result without the call it answers.
void expect_conformant(const Messages& history, const Messages& out, bool may_add_summary) {
  size_t j = 0;
  int added = 0;
  std::set<std::string> calls_seen;
  for (const auto& m : out) {
    size_t k = j;
    while (k < history.size() && !(history[k] == m)) ++k;
    if (k == history.size()) {
      ASSERT_TRUE(may_add_summary && m.role == "system" && added == 0)
          << "message not in the history (or out of order): " << m.role << " " << m.content;
      ++added;
      continue;
    }
    j = k + 1;
    for (const auto& c : m.tool_calls) calls_seen.insert(c.id);
    if (m.role == "tool") {
      EXPECT_TRUE(calls_seen.count(m.tool_call_id)) << "tool result without its call";
    }
  }
  for (const auto& m : history) {
    if (m.role == "system") {
      EXPECT_NE(std::find(out.begin(), out.end(), m), out.end()) << "system message dropped";
    }
  }
  const auto turns = split_turns(history);
  if (!turns.empty()) {
    const Messages tail(history.begin() + static_cast<std::ptrdiff_t>(turns.back().begin),
                        history.end());
    ASSERT_GE(out.size(), tail.size());
    EXPECT_TRUE(
        std::equal(tail.begin(), tail.end(), out.end() - static_cast<std::ptrdiff_t>(tail.size())))
        << "the newest turn is not kept whole at the end";
  }
}

class MemoryConformance : public ::testing::TestWithParam<std::tuple<int, bool>> {
 protected:
  MemoryKind kind() const { return memory_kinds()[std::get<0>(GetParam())]; }
  ChatHistoryPtr history() {
    if (!std::get<1>(GetParam())) return std::make_shared<InMemoryChatHistory>();
    db_ = temp_db(kind().label);
    return std::make_shared<SqliteChatHistory>(db_, "session-a");
  }
  void TearDown() override {
    if (!db_.empty()) std::remove(db_.c_str());
  }
  std::string db_;
};

TEST_P(MemoryConformance, EmptyHistoryGivesNoMessages) {
  auto memory = kind().make(history());
  EXPECT_TRUE(memory->messages().empty());
}

TEST_P(MemoryConformance, KeepsOrderSystemMessagesAndTheNewestTurn) {
  auto memory = kind().make(history());
  const Messages all = conversation();
  for (size_t n = 1; n <= all.size(); ++n) {
    memory->add(all[n - 1]);
    const Messages prefix(all.begin(), all.begin() + static_cast<std::ptrdiff_t>(n));
    EXPECT_EQ(memory->history().messages(), prefix);  // the history keeps everything
    SCOPED_TRACE("after " + std::to_string(n) + " messages");
    expect_conformant(prefix, memory->messages(), kind().label == "summary");
  }
}

TEST_P(MemoryConformance, ClearEmptiesHistoryAndMessages) {
  auto memory = kind().make(history());
  memory->add_all(conversation());
  ASSERT_FALSE(memory->messages().empty());
  memory->clear();
  EXPECT_TRUE(memory->history().messages().empty());
  EXPECT_TRUE(memory->messages().empty());
  memory->add(user_message("again"));
  EXPECT_EQ(memory->messages(), Messages{user_message("again")});
}

INSTANTIATE_TEST_SUITE_P(AllKinds, MemoryConformance,
                         ::testing::Combine(::testing::Range(0, 4), ::testing::Bool()),
                         [](const auto& info) {
                           return memory_kinds()[std::get<0>(info.param)].label +
                                  (std::get<1>(info.param) ? "_sqlite" : "_in_memory");
                         });

TEST(Memory, SplitTurnsStartsATurnAtEachUserMessage) {
  const auto turns = split_turns(conversation());
  ASSERT_EQ(turns.size(), 4u);
  EXPECT_EQ(turns[0].begin, 1u);
  EXPECT_EQ(turns[1].begin, 3u);
  EXPECT_EQ(turns[1].end, 7u);
  EXPECT_EQ(turns[3].end, 11u);
  // Messages before the first user message form a turn.
  const auto lead = split_turns({assistant_message("Welcome!"), user_message("hi")});
  ASSERT_EQ(lead.size(), 2u);
  EXPECT_EQ(lead[0].end, 1u);
}

TEST(Memory, WindowKeepsTheLastKTurns) {
  const Messages all = conversation();
  WindowMemory memory(2);
  memory.add_all(all);
  // The last two turns start at "And the capital of France?" (index 7).
  Messages want = {all[0]};
  want.insert(want.end(), all.begin() + 7, all.end());
  EXPECT_EQ(memory.messages(), want);
  WindowMemory wide(10);
  wide.add_all(all);
  EXPECT_EQ(wide.messages(), all);
  EXPECT_THROW(WindowMemory(0), Error);
}

// One token per whitespace-separated word: enough to check the counter's use of a Tokenizer.
class WordTokenizer : public tokenizer::Tokenizer {
 public:
  std::vector<int32_t> encode(std::string_view text) const override {
    std::istringstream in{std::string(text)};
    std::vector<int32_t> ids;
    std::string w;
    while (in >> w) ids.push_back(static_cast<int32_t>(w.size() % 100));
    return ids;
  }
  std::string decode(const std::vector<int32_t>&) const override { return ""; }
  std::string id_to_piece(int32_t) const override { return ""; }
  int32_t piece_to_id(std::string_view) const override { return -1; }
  int32_t n_vocab() const override { return 100; }
  int32_t bos_id() const override { return -1; }
  int32_t eos_id() const override { return -1; }
  int32_t pad_id() const override { return -1; }
  int32_t unk_id() const override { return -1; }
  bool is_special(int32_t) const override { return false; }
  uint64_t fingerprint() const override { return 1; }
};

TEST(Memory, TokenBudgetKeepsTheNewestTurnsThatFit) {
  WordTokenizer tok;
  const Messages all = conversation();
  // Word counts + 1 per message, counted here by hand:
  // system "You are terse." 3+1 = 4
  // turn 0: "Hi, I am Ada." 4+1, "Hello Ada." 2+1                          -> 8
  // turn 1: "What is 6*7?" 3+1, call "calculator {"expression":"6*7"}" 2+1,
  //         tool "42 calculator" 2+1, "42." 1+1                            -> 12
  // turn 2: "And the capital of France?" 5+1, "Paris." 1+1                 -> 8
  // turn 3: "Thanks!" 1+1, "You are welcome." 3+1                          -> 6
  auto count = tokenizer_token_counter(tok, 1);
  EXPECT_EQ(count(all[4]), 3);
  EXPECT_EQ(count(all[5]), 3);
  struct Case {
    int64_t budget;
    size_t first_index;  // where the kept turns start
  };
  for (const Case c :
       {Case{4 + 6, 9}, Case{4 + 6 + 8 - 1, 9}, Case{4 + 6 + 8, 7}, Case{4 + 6 + 8 + 12, 3},
        Case{4 + 6 + 8 + 12 + 7, 3}, Case{4 + 6 + 8 + 12 + 8, 1}, Case{1, 9}}) {
    TokenBudgetMemory memory(c.budget, count);
    memory.add_all(all);
    Messages want = {all[0]};
    want.insert(want.end(), all.begin() + static_cast<std::ptrdiff_t>(c.first_index), all.end());
    EXPECT_EQ(memory.messages(), want) << "budget " << c.budget;
    if (c.budget > 10) {
      EXPECT_LE(memory.count_tokens(memory.messages()), c.budget);
    }
  }
}

TEST(Memory, SummaryCondensesTurnsAsTheyFallOutOfTheWindow) {
  auto model = FakeChatModel::responder([](const Messages& m, const ChatOptions&) {
    // The summary lists the first word of every user line it was given, after the old summary.
    const std::string& prompt = m.back().content;
    std::string old = prompt.substr(17, prompt.find("\n\nNew lines") - 17);
    std::string out = old == "(none)" ? "" : old;
    std::istringstream lines(prompt.substr(prompt.find("New lines")));
    std::string line;
    while (std::getline(lines, line)) {
      if (line.rfind("User: ", 0) == 0) out += (out.empty() ? "" : ",") + line.substr(6, 4);
    }
    return assistant_message(out);
  });
  SummaryMemoryOptions options;
  options.keep_turns = 2;
  options.summary_prefix = "Earlier: ";
  SummaryMemory memory(model, options);
  const Messages all = conversation();
  memory.add_all(Messages(all.begin(), all.begin() + 7));  // system + two turns
  EXPECT_EQ(memory.messages(), Messages(all.begin(), all.begin() + 7));
  EXPECT_EQ(model->call_count(), 0u);                          // nothing fell out yet
  memory.add_all(Messages(all.begin() + 7, all.begin() + 9));  // third turn
  Messages want = {all[0], system_message("Earlier: Hi, ")};
  want.insert(want.end(), all.begin() + 3, all.begin() + 9);
  EXPECT_EQ(memory.messages(), want);
  EXPECT_EQ(model->call_count(), 1u);
  EXPECT_EQ(memory.messages(), want);  // unchanged history: no new call
  EXPECT_EQ(model->call_count(), 1u);
  // The summarising prompt carried the turn that fell out, as a transcript.
  EXPECT_NE(model->last_call().messages.back().content.find("User: Hi, I am Ada.\nAssistant: "
                                                            "Hello Ada."),
            std::string::npos);
  memory.add_all(Messages(all.begin() + 9, all.end()));  // fourth turn: the tool turn leaves
  EXPECT_EQ(memory.messages()[1], system_message("Earlier: Hi, ,What"));
  EXPECT_EQ(model->call_count(), 2u);
  const std::string second = model->last_call().messages.back().content;
  EXPECT_NE(second.find("Current summary:\nHi, "), std::string::npos) << second;
  EXPECT_NE(second.find("Assistant called tool calculator with {\"expression\":\"6*7\"}"),
            std::string::npos);
  EXPECT_NE(second.find("Tool calculator returned: 42"), std::string::npos);
  EXPECT_EQ(second.find("Hello Ada."), std::string::npos) << "old turns summarised twice";
  // A rewritten history (not an append) rebuilds the summary from the start.
  memory.history().clear();
  memory.add_all(Messages(all.begin() + 7, all.end()));
  memory.add(user_message("Bye now"));
  EXPECT_EQ(memory.messages()[0], system_message("Earlier: And "));
  EXPECT_EQ(memory.summary(), "And ");
}

TEST(Memory, SummaryModelErrorsPropagate) {
  auto model = std::make_shared<FakeChatModel>(
      std::vector<ChatMessage>{ChatMessage{"error", "backend down", {}, {}, {}}});
  SummaryMemoryOptions options;
  options.keep_turns = 1;
  SummaryMemory memory(model, options);
  memory.add_all(conversation());
  try {
    memory.messages();
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("backend down"), std::string::npos);
  }
}

}  // namespace
}  // namespace llmkit::chain
