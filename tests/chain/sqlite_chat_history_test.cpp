// SqliteChatHistory (llmkit/chain/sqlite_chat_history.h): messages survive closing and reopening
// the file, sessions sharing a file stay separate (also when written concurrently), the file is
// in WAL mode with the documented table (read back here through the sqlite3 C API directly), and
// errors name the file.
#include "llmkit/chain/sqlite_chat_history.h"

#include <gtest/gtest.h>
#include <sqlite3.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <thread>

#include "tests/support/expect_error.h"

namespace llmkit::chain {
namespace {

class SqliteHistoryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    path_ = ::testing::TempDir() + "history_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name() + ".db";
    remove_files();
  }
  void TearDown() override { remove_files(); }
  void remove_files() {
    for (const char* suffix : {"", "-wal", "-shm"}) std::remove((path_ + suffix).c_str());
  }
  // Runs a query on the file through the sqlite3 C API; rows joined by "\n", columns by "|".
  std::string query(const std::string& sql) {
    sqlite3* db = nullptr;
    EXPECT_EQ(sqlite3_open(path_.c_str(), &db), SQLITE_OK);
    std::string out;
    char* err = nullptr;
    auto cb = [](void* acc, int n, char** values, char**) {
      auto* s = static_cast<std::string*>(acc);
      if (!s->empty()) *s += "\n";
      for (int i = 0; i < n; ++i)
        *s += (i ? "|" : "") + std::string(values[i] ? values[i] : "NULL");
      return 0;
    };
    EXPECT_EQ(sqlite3_exec(db, sql.c_str(), cb, &out, &err), SQLITE_OK) << (err ? err : "");
    sqlite3_free(err);
    sqlite3_close(db);
    return out;
  }
  std::string path_;
};

Messages sample() {
  return {system_message("be brief"),
          user_message("Grüße, 世界! \"quoted\" 'x' ; DROP TABLE x;"),
          assistant_message("", {ToolCall{"c1", "lookup", {{"key", "a"}, {"n", 2}}},
                                 ToolCall{"c2", "calculator", {{"expression", "1+1"}}}}),
          tool_message("value of a", "c1", "lookup"),
          tool_message("2", "c2", "calculator"),
          assistant_message(std::string("multi\nline\0with nul", 19))};
}

TEST_F(SqliteHistoryTest, MessagesSurviveReopenWithEveryField) {
  {
    SqliteChatHistory history(path_, "s1");
    const Messages all = sample();
    history.add(all[0]);
    history.add_all(Messages(all.begin() + 1, all.end()));
    EXPECT_EQ(history.messages(), sample());
  }
  SqliteChatHistory reopened(path_, "s1");
  EXPECT_EQ(reopened.messages(), sample());
  reopened.add(user_message("more"));
  EXPECT_EQ(reopened.messages().size(), sample().size() + 1);
  // The rows as another reader sees them.
  EXPECT_EQ(query("PRAGMA journal_mode"), "wal");
  EXPECT_EQ(query("SELECT count(*) FROM chat_messages WHERE session_id = 's1'"), "7");
  EXPECT_EQ(query("SELECT role, tool_call_id, name FROM chat_messages WHERE role = 'tool' "
                  "ORDER BY id"),
            "tool|c1|lookup\ntool|c2|calculator");
  EXPECT_EQ(query("SELECT json_extract(tool_calls, '$[1].arguments.expression') FROM "
                  "chat_messages WHERE role = 'assistant' ORDER BY id LIMIT 1"),
            "1+1");
}

TEST_F(SqliteHistoryTest, SessionsAreIsolated) {
  SqliteChatHistory a(path_, "alice");
  SqliteChatHistory b(path_, "bob");
  a.add(user_message("from alice"));
  b.add(user_message("from bob"));
  a.add(assistant_message("to alice"));
  EXPECT_EQ(a.messages(), (Messages{user_message("from alice"), assistant_message("to alice")}));
  EXPECT_EQ(b.messages(), Messages{user_message("from bob")});
  EXPECT_EQ(SqliteChatHistory::sessions(path_), (std::vector<std::string>{"alice", "bob"}));
  a.clear();
  EXPECT_TRUE(a.messages().empty());
  EXPECT_EQ(b.messages(), Messages{user_message("from bob")});
  EXPECT_EQ(query("SELECT count(*) FROM chat_messages"), "1");
  SqliteChatHistory fresh(path_, "carol");
  EXPECT_TRUE(fresh.messages().empty());
}

TEST_F(SqliteHistoryTest, ConcurrentWritersKeepTheirOwnOrder) {
  constexpr int kThreads = 4, kMessages = 40;
  {
    SqliteChatHistory create(path_, "setup");  // creates the table before the race
  }
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([this, t] {
      SqliteChatHistory h(path_, "session" + std::to_string(t));
      for (int i = 0; i < kMessages; ++i) {
        if (i % 10 == 0) {
          h.add_all({user_message(std::to_string(i)), assistant_message(std::to_string(i + 1))});
          ++i;
        } else {
          h.add(user_message(std::to_string(i)));
        }
      }
    });
  }
  // One object shared by two threads, too.
  SqliteChatHistory shared(path_, "shared");
  std::thread s1([&] {
    for (int i = 0; i < 20; ++i) shared.add(user_message("x"));
  });
  std::thread s2([&] {
    for (int i = 0; i < 20; ++i) shared.add(user_message("y"));
  });
  for (auto& t : threads) t.join();
  s1.join();
  s2.join();
  for (int t = 0; t < kThreads; ++t) {
    const Messages m = SqliteChatHistory(path_, "session" + std::to_string(t)).messages();
    ASSERT_EQ(m.size(), static_cast<size_t>(kMessages));
    for (int i = 0; i < kMessages; ++i) EXPECT_EQ(m[i].content, std::to_string(i));
  }
  EXPECT_EQ(shared.messages().size(), 40u);
}

TEST_F(SqliteHistoryTest, ErrorsNameTheFile) {
  const std::string missing_dir = ::testing::TempDir() + "no_such_dir_llmkit/h.db";
  test::expect_error([&] { SqliteChatHistory h(missing_dir, "s"); }, ErrorCode::kIo,
                     {missing_dir, "cannot open"});
  {
    std::ofstream(path_) << "this is not an SQLite database, just text that is long enough "
                            "to fill the header of one page.................................";
  }
  test::expect_error([&] { SqliteChatHistory h(path_, "s"); }, ErrorCode::kIo,
                     {path_, "not a database"});
  remove_files();
  query("PRAGMA user_version = 7");
  test::expect_error([&] { SqliteChatHistory h(path_, "s"); }, ErrorCode::kIo,
                     {path_, "schema version 7 is newer"});
}

}  // namespace
}  // namespace llmkit::chain
