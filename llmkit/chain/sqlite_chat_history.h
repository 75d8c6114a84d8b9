// SqliteChatHistory: a ChatHistory stored in an SQLite database file, keyed by session id, so
// a conversation survives the process and many sessions share one file.
//
// Storage: table chat_messages(id INTEGER PRIMARY KEY AUTOINCREMENT, session_id, role, content,
// tool_calls (JSON array text), tool_call_id, name, created_at (unix seconds)), index on
// (session_id, id); the database runs in WAL mode so readers do not block the writer, with a busy
// timeout for concurrent writers (other objects, threads or processes on the same file). Order
// within a session is insertion order (the id).
//
// Errors: llmkit::Error(kIo) naming the file, the operation and SQLite's message (a path that
// cannot be opened or created, a file that is not a database, a database written by a newer
// schema version).
// Thread safety: one object may be used from several threads (calls are serialised by a mutex);
// several objects (one per session, or the same session) may use the same file at once.
#pragma once

#include <mutex>
#include <string>
#include <vector>

#include "llmkit/chain/chat_history.h"

struct sqlite3;
struct sqlite3_stmt;

namespace llmkit::chain {

struct SqliteHistoryOptions {
  int busy_timeout_ms = 5000;  // how long a write waits for another writer's lock
};

class SqliteChatHistory : public ChatHistory {
 public:
  // Opens (creating when missing) the database at path and this session's history in it.
  SqliteChatHistory(const std::string& path, std::string session_id,
                    SqliteHistoryOptions options = {});
  ~SqliteChatHistory() override;
  SqliteChatHistory(const SqliteChatHistory&) = delete;
  SqliteChatHistory& operator=(const SqliteChatHistory&) = delete;

  void add(const ChatMessage& message) override;
  // One transaction: all messages or none.
  void add_all(const Messages& messages) override;
  Messages messages() const override;
  // Removes this session's messages only.
  void clear() override;

  const std::string& path() const { return path_; }
  const std::string& session_id() const { return session_id_; }

  // The session ids stored in the database at path, sorted. Throws like the constructor.
  static std::vector<std::string> sessions(const std::string& path);

 private:
  [[noreturn]] void fail(const std::string& what) const;
  void check(int rc, const std::string& what) const;
  void exec(const char* sql, const std::string& what) const;
  void insert_locked(const ChatMessage& message);
  void close();

  std::string path_;
  std::string session_id_;
  mutable std::mutex mutex_;
  sqlite3* db_ = nullptr;
  sqlite3_stmt* insert_ = nullptr;
  sqlite3_stmt* select_ = nullptr;
  sqlite3_stmt* delete_ = nullptr;
};

}  // namespace llmkit::chain
