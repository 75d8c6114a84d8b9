// A thin RAII layer over SQLite for the RAG store and the embedding cache: a connection (Db) and
// prepared statements (Stmt) that throw llmkit::Error(kIo) naming the database file, the
// operation and SQLite's message.
//
// Thread safety: none; callers serialise access to one Db (and its statements).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

struct sqlite3;
struct sqlite3_stmt;

namespace llmkit::rag {

class Db;

// A prepared statement. bind_* take 1-based indices; step() returns true while a row is ready.
// reset() clears the bindings and rewinds (done automatically when re-binding index 1 is not
// enough: call reset() between executions).
class Stmt {
 public:
  Stmt(Db& db, const std::string& sql);
  ~Stmt();
  Stmt(const Stmt&) = delete;
  Stmt& operator=(const Stmt&) = delete;

  Stmt& bind(int index, int64_t value);
  Stmt& bind(int index, double value);
  Stmt& bind(int index, const std::string& value);
  Stmt& bind_blob(int index, const void* data, size_t size);
  Stmt& bind_null(int index);
  bool step();
  // step() once, expecting no row (INSERT/UPDATE/DELETE).
  void run();
  void reset();

  bool is_null(int col) const;
  int64_t column_int(int col) const;
  double column_double(int col) const;
  std::string column_text(int col) const;
  // The blob as floats (its size must be a multiple of 4 bytes).
  std::vector<float> column_floats(int col) const;

 private:
  Db& db_;
  sqlite3_stmt* stmt_ = nullptr;
  std::string sql_;
};

class Db {
 public:
  // Opens (creating when missing) the database file; WAL journal, synchronous=FULL, foreign keys
  // on, busy timeout busy_ms.
  explicit Db(const std::string& path, int busy_ms = 5000);
  ~Db();
  Db(const Db&) = delete;
  Db& operator=(const Db&) = delete;

  void exec(const std::string& sql);
  int64_t last_insert_id() const;
  // The single value of a one-row one-column query, nullopt when it returns no row or NULL.
  std::optional<std::string> query_text(const std::string& sql);
  const std::string& path() const { return path_; }
  sqlite3* handle() { return db_; }
  [[noreturn]] void fail(const std::string& what) const;

 private:
  std::string path_;
  sqlite3* db_ = nullptr;
};

// BEGIN IMMEDIATE on construction; ROLLBACK in the destructor unless commit() ran.
class DbTransaction {
 public:
  explicit DbTransaction(Db& db);
  ~DbTransaction();
  DbTransaction(const DbTransaction&) = delete;
  DbTransaction& operator=(const DbTransaction&) = delete;
  void commit();
  bool active() const { return active_; }

 private:
  Db& db_;
  bool active_ = true;
};

}  // namespace llmkit::rag
