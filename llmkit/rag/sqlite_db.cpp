#include "llmkit/rag/sqlite_db.h"

#include <sqlite3.h>

#include <cstring>

#include "llmkit/base/error.h"

namespace llmkit::rag {

Db::Db(const std::string& path, int busy_ms) : path_(path) {
  int rc =
      sqlite3_open_v2(path.c_str(), &db_,
                      SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX, nullptr);
  if (rc != SQLITE_OK) {
    std::string message = db_ ? sqlite3_errmsg(db_) : "out of memory";
    sqlite3_close(db_);
    db_ = nullptr;
    throw_error(ErrorCode::kIo, str_cat("SQLite database '", path, "': cannot open: ", message,
                                        "; check the folder exists and is writable"));
  }
  sqlite3_busy_timeout(db_, busy_ms);
  exec("PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON;");
}

Db::~Db() {
  sqlite3_close_v2(db_);
}

void Db::fail(const std::string& what) const {
  throw_error(ErrorCode::kIo, str_cat("SQLite database '", path_, "': ", what, ": ",
                                      db_ ? sqlite3_errmsg(db_) : "not open"));
}

void Db::exec(const std::string& sql) {
  char* message = nullptr;
  int rc = sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &message);
  std::string text = message ? message : "";
  sqlite3_free(message);
  if (rc != SQLITE_OK) {
    throw_error(ErrorCode::kIo,
                str_cat("SQLite database '", path_, "': ", text, " (in: ", sql.substr(0, 80), ")"));
  }
}

int64_t Db::last_insert_id() const {
  return sqlite3_last_insert_rowid(db_);
}

std::optional<std::string> Db::query_text(const std::string& sql) {
  Stmt s(*this, sql);
  if (!s.step() || s.is_null(0)) return std::nullopt;
  return s.column_text(0);
}

Stmt::Stmt(Db& db, const std::string& sql) : db_(db), sql_(sql) {
  if (sqlite3_prepare_v2(db.handle(), sql.c_str(), -1, &stmt_, nullptr) != SQLITE_OK) {
    db.fail("cannot prepare '" + sql.substr(0, 120) + "'");
  }
}

Stmt::~Stmt() {
  sqlite3_finalize(stmt_);
}

Stmt& Stmt::bind(int index, int64_t value) {
  if (sqlite3_bind_int64(stmt_, index, value) != SQLITE_OK) db_.fail("bind");
  return *this;
}
Stmt& Stmt::bind(int index, double value) {
  if (sqlite3_bind_double(stmt_, index, value) != SQLITE_OK) db_.fail("bind");
  return *this;
}
Stmt& Stmt::bind(int index, const std::string& value) {
  if (sqlite3_bind_text(stmt_, index, value.data(), static_cast<int>(value.size()),
                        SQLITE_TRANSIENT) != SQLITE_OK) {
    db_.fail("bind");
  }
  return *this;
}
Stmt& Stmt::bind_blob(int index, const void* data, size_t size) {
  if (sqlite3_bind_blob(stmt_, index, data, static_cast<int>(size), SQLITE_TRANSIENT) !=
      SQLITE_OK) {
    db_.fail("bind");
  }
  return *this;
}
Stmt& Stmt::bind_null(int index) {
  if (sqlite3_bind_null(stmt_, index) != SQLITE_OK) db_.fail("bind");
  return *this;
}

bool Stmt::step() {
  int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  db_.fail("cannot run '" + sql_.substr(0, 120) + "'");
}

void Stmt::run() {
  step();
  reset();
}

void Stmt::reset() {
  sqlite3_reset(stmt_);
  sqlite3_clear_bindings(stmt_);
}

bool Stmt::is_null(int col) const {
  return sqlite3_column_type(stmt_, col) == SQLITE_NULL;
}
int64_t Stmt::column_int(int col) const {
  return sqlite3_column_int64(stmt_, col);
}
double Stmt::column_double(int col) const {
  return sqlite3_column_double(stmt_, col);
}

std::string Stmt::column_text(int col) const {
  const auto* p = reinterpret_cast<const char*>(sqlite3_column_text(stmt_, col));
  return p ? std::string(p, static_cast<size_t>(sqlite3_column_bytes(stmt_, col))) : std::string();
}

std::vector<float> Stmt::column_floats(int col) const {
  const void* p = sqlite3_column_blob(stmt_, col);
  const size_t bytes = static_cast<size_t>(sqlite3_column_bytes(stmt_, col));
  if (bytes % sizeof(float) != 0) {
    throw_error(ErrorCode::kCorruptData,
                str_cat("SQLite database '", db_.path(), "': a vector blob of ", bytes,
                        " bytes is not a whole number of floats; rebuild the index"));
  }
  std::vector<float> v(bytes / sizeof(float));
  if (bytes) std::memcpy(v.data(), p, bytes);
  return v;
}

DbTransaction::DbTransaction(Db& db) : db_(db) {
  db_.exec("BEGIN IMMEDIATE");
}

DbTransaction::~DbTransaction() {
  if (!active_) return;
  try {
    db_.exec("ROLLBACK");
  } catch (...) {
  }
}

void DbTransaction::commit() {
  db_.exec("COMMIT");
  active_ = false;
}

}  // namespace llmkit::rag
