// keeld's metadata database: one SQLite connection in WAL mode, shared by every library, each of
// which owns its tables and migrates them under its own component name.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <string_view>

#include "common/error.h"
#include "manager/store/statement.h"
#include "manager/store/statement_cache.h"

struct sqlite3;

namespace keel::manager::store {

class Database {
 public:
  // Opens (creating if absent) the database file and sets WAL, foreign keys, a busy timeout and
  // synchronous=FULL. ":memory:" works for tests that need no file.
  [[nodiscard]] static Result<Database> open(const std::string& path);

  Database(Database&& other) noexcept;
  Database& operator=(Database&& other) noexcept;
  Database(const Database&) = delete;
  Database& operator=(const Database&) = delete;
  ~Database();

  // Runs one or more statements that take no parameters (schema, pragmas).
  [[nodiscard]] Result<void> exec(std::string_view sql);
  // Compiled once per SQL text and kept (statement_cache.h); only the first statement of sql.
  [[nodiscard]] Result<Statement> prepare(std::string_view sql);
  // prepare + bind_all + run, for one-line writes.
  template <class... Args>
  [[nodiscard]] Result<void> run(std::string_view sql, const Args&... args) {
    auto stmt = prepare(sql);
    if (!stmt)
      return std::move(stmt).error();
    stmt->bind_all(args...);
    return stmt->run();
  }

  [[nodiscard]] std::int64_t last_insert_rowid() const noexcept;
  // Rows changed by the last INSERT, UPDATE or DELETE on this connection.
  [[nodiscard]] std::int64_t changes() const noexcept;

  // Brings `component`'s tables to version steps.size(): steps[i] (SQL, possibly several
  // statements) takes the schema from version i to i+1. Steps already applied are skipped, so
  // calling it on every start is cheap; all pending steps and the version bump commit together,
  // so a crash mid-migration leaves the previous version. A database newer than `steps` (written
  // by a later keeld) is refused rather than guessed at.
  [[nodiscard]] Result<void> migrate(std::string_view component,
                                     std::span<const std::string_view> steps);
  // 0 when the component has never migrated.
  [[nodiscard]] Result<int> schema_version(std::string_view component);

  // Serialises multi-statement work of threaded callers on this one connection: a Transaction
  // holds it for its lifetime; a reader that needs several statements to agree takes it too.
  // Recursive, so a helper that locks may run inside a Transaction.
  [[nodiscard]] std::unique_lock<std::recursive_mutex> lock() { return std::unique_lock(*mutex_); }

  [[nodiscard]] const std::string& path() const noexcept { return path_; }
  [[nodiscard]] sqlite3* handle() const noexcept { return db_; }

 private:
  Database(sqlite3* db, std::string path);

  sqlite3* db_ = nullptr;
  std::string path_;
  // Behind a pointer so Database can move (Result<Database>) while a mutex cannot.
  std::unique_ptr<std::recursive_mutex> mutex_;
  // Shared with the statements out of it, which may be given back after the Database is gone.
  std::shared_ptr<StatementCache> statements_;
};

}  // namespace keel::manager::store
