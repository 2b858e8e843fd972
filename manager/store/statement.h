// A prepared SQLite statement: bind by position, step through rows, read columns; on destruction
// given back to its connection's StatementCache (reset) or finalized. Errors name the SQL and
// sqlite's own message.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "common/error.h"

struct sqlite3;
struct sqlite3_stmt;

namespace keel::manager::store {

class StatementCache;

class Statement {
 public:
  Statement() = default;
  // cache, when set, takes the statement back when this is done with it.
  Statement(sqlite3* db, sqlite3_stmt* stmt, std::string sql,
            std::shared_ptr<StatementCache> cache = nullptr) noexcept
      : db_(db), stmt_(stmt), sql_(std::move(sql)), cache_(std::move(cache)) {}
  Statement(Statement&& other) noexcept;
  Statement& operator=(Statement&& other) noexcept;
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;
  ~Statement();

  // Parameters are 1-based, as in SQL's "?1". A bind error is kept and returned by the next
  // step()/run(), so a row of binds reads as one expression.
  Statement& bind(int index, std::int64_t value);
  Statement& bind(int index, std::string_view text);
  Statement& bind(int index, std::nullptr_t);
  Statement& bind_blob(int index, std::string_view bytes);
  Statement& bind(int index, int value) { return bind(index, static_cast<std::int64_t>(value)); }
  Statement& bind(int index, const std::string& text) {
    return bind(index, std::string_view(text));
  }
  Statement& bind(int index, const char* text) { return bind(index, std::string_view(text)); }
  template <class T>
  Statement& bind(int index, const std::optional<T>& value) {
    return value ? bind(index, *value) : bind(index, nullptr);
  }
  // Binds ?1..?N in order.
  template <class... Args>
  Statement& bind_all(const Args&... args) {
    int index = 0;
    (bind(++index, args), ...);
    return *this;
  }

  // true: a row is ready to read; false: the statement is done.
  [[nodiscard]] Result<bool> step();
  // Steps to completion; for statements that return no rows (INSERT, UPDATE, DELETE, DDL).
  [[nodiscard]] Result<void> run();
  // Steps to completion and returns every row's first column as text: the stores that keep each
  // record as one JSON document read their rows this way.
  [[nodiscard]] Result<std::vector<std::string>> first_column_texts();
  // Makes the statement ready to run again; bindings are kept until rebound.
  void reset() noexcept;

  [[nodiscard]] int column_count() const noexcept;
  [[nodiscard]] bool column_is_null(int column) const noexcept;
  [[nodiscard]] std::int64_t column_int64(int column) const noexcept;
  [[nodiscard]] std::string column_text(int column) const;
  [[nodiscard]] std::string column_blob(int column) const;
  [[nodiscard]] std::optional<std::string> column_optional_text(int column) const;

  [[nodiscard]] const std::string& sql() const noexcept { return sql_; }

 private:
  void note_bind(int rc, int index);
  // Gives the statement back to the cache, or finalizes it.
  void release() noexcept;

  sqlite3* db_ = nullptr;
  sqlite3_stmt* stmt_ = nullptr;
  std::string sql_;
  std::optional<Error> bind_error_;
  std::shared_ptr<StatementCache> cache_;
};

// Builds the error for a failed sqlite call: "<what> \"<sql>\": <sqlite message>", with the
// Errc derived from the extended result code and errno from the VFS when the failure was I/O.
[[nodiscard]] Error sqlite_error(sqlite3* db, int rc, std::string_view what, std::string_view sql);

}  // namespace keel::manager::store
