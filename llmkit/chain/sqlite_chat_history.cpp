#include "llmkit/chain/sqlite_chat_history.h"

#include <sqlite3.h>

#include <chrono>

#include "llmkit/base/error.h"

namespace llmkit::chain {

namespace {

constexpr int kSchemaVersion = 1;

constexpr const char* kSchema =
    "CREATE TABLE IF NOT EXISTS chat_messages ("
    "  id INTEGER PRIMARY KEY AUTOINCREMENT,"
    "  session_id TEXT NOT NULL,"
    "  role TEXT NOT NULL,"
    "  content TEXT NOT NULL,"
    "  tool_calls TEXT NOT NULL DEFAULT '[]',"
    "  tool_call_id TEXT NOT NULL DEFAULT '',"
    "  name TEXT NOT NULL DEFAULT '',"
    "  created_at REAL NOT NULL);"
    "CREATE INDEX IF NOT EXISTS chat_messages_session ON chat_messages(session_id, id);";

std::string calls_to_text(const std::vector<ToolCall>& calls) {
  nlohmann::json a = nlohmann::json::array();
  for (const auto& c : calls)
    a.push_back({{"id", c.id}, {"name", c.name}, {"arguments", c.arguments}});
  return a.dump();
}

std::vector<ToolCall> calls_from_text(const std::string& text) {
  std::vector<ToolCall> calls;
  for (const auto& c : nlohmann::json::parse(text)) {
    calls.push_back(
        {c.at("id").get<std::string>(), c.at("name").get<std::string>(), c.at("arguments")});
  }
  return calls;
}

std::string column_text(sqlite3_stmt* stmt, int col) {
  const auto* p = reinterpret_cast<const char*>(sqlite3_column_text(stmt, col));
  return p ? std::string(p, static_cast<size_t>(sqlite3_column_bytes(stmt, col))) : std::string();
}

void bind_text(sqlite3_stmt* stmt, int index, const std::string& text) {
  sqlite3_bind_text(stmt, index, text.data(), static_cast<int>(text.size()), SQLITE_TRANSIENT);
}

// Resets a statement when leaving a scope, whatever happens.
struct StatementReset {
  sqlite3_stmt* stmt;
  ~StatementReset() {
    sqlite3_reset(stmt);
    sqlite3_clear_bindings(stmt);
  }
};

}  // namespace

void SqliteChatHistory::fail(const std::string& what) const {
  throw_error(ErrorCode::kIo, str_cat("SQLite chat history '", path_, "' (session '", session_id_,
                                      "'): ", what, ": ", db_ ? sqlite3_errmsg(db_) : "no database",
                                      "; check that the file is an SQLite database you can write"));
}

void SqliteChatHistory::check(int rc, const std::string& what) const {
  if (rc != SQLITE_OK && rc != SQLITE_DONE && rc != SQLITE_ROW) fail(what);
}

void SqliteChatHistory::exec(const char* sql, const std::string& what) const {
  char* message = nullptr;
  int rc = sqlite3_exec(db_, sql, nullptr, nullptr, &message);
  std::string text = message ? message : "";
  sqlite3_free(message);
  if (rc != SQLITE_OK) fail(what + " (" + text + ")");
}

SqliteChatHistory::SqliteChatHistory(const std::string& path, std::string session_id,
                                     SqliteHistoryOptions options)
    : path_(path), session_id_(std::move(session_id)) {
  try {
    int rc = sqlite3_open_v2(path.c_str(), &db_,
                             SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX,
                             nullptr);
    if (rc != SQLITE_OK) fail("cannot open");
    sqlite3_busy_timeout(db_, options.busy_timeout_ms);
    sqlite3_stmt* version = nullptr;
    check(sqlite3_prepare_v2(db_, "PRAGMA user_version", -1, &version, nullptr),
          "cannot read the schema version");
    rc = sqlite3_step(version);
    const int found = rc == SQLITE_ROW ? sqlite3_column_int(version, 0) : 0;
    sqlite3_finalize(version);
    check(rc, "cannot read the schema version");
    if (found > kSchemaVersion) {
      fail(str_cat("schema version ", found, " is newer than this llmkit's ", kSchemaVersion));
    }
    exec("PRAGMA journal_mode=WAL", "cannot switch to WAL mode");
    exec(kSchema, "cannot create the chat_messages table");
    exec("PRAGMA user_version = 1", "cannot write the schema version");
    check(sqlite3_prepare_v2(db_,
                             "INSERT INTO chat_messages (session_id, role, content, tool_calls, "
                             "tool_call_id, name, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                             -1, &insert_, nullptr),
          "cannot prepare the insert");
    check(sqlite3_prepare_v2(db_,
                             "SELECT role, content, tool_calls, tool_call_id, name FROM "
                             "chat_messages WHERE session_id = ? ORDER BY id",
                             -1, &select_, nullptr),
          "cannot prepare the select");
    check(sqlite3_prepare_v2(db_, "DELETE FROM chat_messages WHERE session_id = ?", -1, &delete_,
                             nullptr),
          "cannot prepare the delete");
  } catch (...) {
    close();
    throw;
  }
}

SqliteChatHistory::~SqliteChatHistory() {
  close();
}

void SqliteChatHistory::close() {
  sqlite3_finalize(insert_);
  sqlite3_finalize(select_);
  sqlite3_finalize(delete_);
  insert_ = select_ = delete_ = nullptr;
  if (db_) sqlite3_close_v2(db_);
  db_ = nullptr;
}

void SqliteChatHistory::insert_locked(const ChatMessage& m) {
  StatementReset reset{insert_};
  const double now =
      std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
  bind_text(insert_, 1, session_id_);
  bind_text(insert_, 2, m.role);
  bind_text(insert_, 3, m.content);
  bind_text(insert_, 4, calls_to_text(m.tool_calls));
  bind_text(insert_, 5, m.tool_call_id);
  bind_text(insert_, 6, m.name);
  sqlite3_bind_double(insert_, 7, now);
  check(sqlite3_step(insert_), "cannot add a message");
}

void SqliteChatHistory::add(const ChatMessage& message) {
  std::lock_guard<std::mutex> lock(mutex_);
  insert_locked(message);
}

void SqliteChatHistory::add_all(const Messages& messages) {
  std::lock_guard<std::mutex> lock(mutex_);
  exec("BEGIN IMMEDIATE", "cannot start a transaction");
  try {
    for (const auto& m : messages) insert_locked(m);
    exec("COMMIT", "cannot commit the messages");
  } catch (...) {
    sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
    throw;
  }
}

Messages SqliteChatHistory::messages() const {
  std::lock_guard<std::mutex> lock(mutex_);
  StatementReset reset{select_};
  bind_text(select_, 1, session_id_);
  Messages out;
  for (;;) {
    const int rc = sqlite3_step(select_);
    if (rc == SQLITE_DONE) break;
    if (rc != SQLITE_ROW) fail("cannot read the messages");
    ChatMessage m;
    m.role = column_text(select_, 0);
    m.content = column_text(select_, 1);
    try {
      m.tool_calls = calls_from_text(column_text(select_, 2));
    } catch (const std::exception& e) {
      throw_error(ErrorCode::kCorruptData,
                  str_cat("SQLite chat history '", path_, "' (session '", session_id_,
                          "'): a stored tool_calls value is not valid JSON (", e.what(), ")"));
    }
    m.tool_call_id = column_text(select_, 3);
    m.name = column_text(select_, 4);
    out.push_back(std::move(m));
  }
  return out;
}

void SqliteChatHistory::clear() {
  std::lock_guard<std::mutex> lock(mutex_);
  StatementReset reset{delete_};
  bind_text(delete_, 1, session_id_);
  check(sqlite3_step(delete_), "cannot clear the session");
}

std::vector<std::string> SqliteChatHistory::sessions(const std::string& path) {
  SqliteChatHistory db(path, "");
  std::lock_guard<std::mutex> lock(db.mutex_);
  sqlite3_stmt* stmt = nullptr;
  db.check(sqlite3_prepare_v2(db.db_,
                              "SELECT DISTINCT session_id FROM chat_messages ORDER BY session_id",
                              -1, &stmt, nullptr),
           "cannot list the sessions");
  std::vector<std::string> out;
  int rc;
  while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) out.push_back(column_text(stmt, 0));
  sqlite3_finalize(stmt);
  db.check(rc, "cannot list the sessions");
  return out;
}

}  // namespace llmkit::chain
