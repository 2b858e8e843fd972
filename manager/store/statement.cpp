// Prepared statements: bind, step, column access, and the mapping of sqlite result codes to Errc.
#include "manager/store/statement.h"

#include <sqlite3.h>

#include <utility>

#include "manager/store/statement_cache.h"

namespace keel::manager::store {
namespace {

Errc kind_of(int extended_rc) {
  switch (extended_rc) {
    case SQLITE_CONSTRAINT_UNIQUE:
    case SQLITE_CONSTRAINT_PRIMARYKEY:
      return Errc::kAlreadyExists;
    case SQLITE_CONSTRAINT_FOREIGNKEY:
    case SQLITE_CONSTRAINT_NOTNULL:
    case SQLITE_CONSTRAINT_CHECK:
      return Errc::kFailedPrecondition;
    default:
      break;
  }
  switch (extended_rc & 0xff) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      return Errc::kUnavailable;
    case SQLITE_PERM:
    case SQLITE_READONLY:
    case SQLITE_AUTH:
      return Errc::kPermissionDenied;
    case SQLITE_CONSTRAINT:
      return Errc::kFailedPrecondition;
    case SQLITE_RANGE:
    case SQLITE_MISUSE:
      return Errc::kInvalidArgument;
    default:
      return Errc::kInternal;
  }
}

}  // namespace

Error sqlite_error(sqlite3* db, int rc, std::string_view what, std::string_view sql) {
  std::string text = std::string(what);
  if (!sql.empty())
    text += " \"" + std::string(sql) + "\"";
  const char* msg = db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
  text += ": ";
  text += msg != nullptr ? msg : sqlite3_errstr(rc);
  // An I/O failure has an errno worth reporting; sqlite keeps the last one per connection.
  const int primary = rc & 0xff;
  const int errnum = (db != nullptr && (primary == SQLITE_IOERR || primary == SQLITE_CANTOPEN ||
                                        primary == SQLITE_FULL))
                         ? sqlite3_system_errno(db)
                         : 0;
  return Error::with_errno(kind_of(rc), "sqlite: " + text, errnum);
}

Statement::Statement(Statement&& other) noexcept
    : db_(std::exchange(other.db_, nullptr)),
      stmt_(std::exchange(other.stmt_, nullptr)),
      sql_(std::move(other.sql_)),
      bind_error_(std::move(other.bind_error_)),
      cache_(std::move(other.cache_)) {}

Statement& Statement::operator=(Statement&& other) noexcept {
  if (this != &other) {
    release();
    db_ = std::exchange(other.db_, nullptr);
    stmt_ = std::exchange(other.stmt_, nullptr);
    sql_ = std::move(other.sql_);
    bind_error_ = std::move(other.bind_error_);
    cache_ = std::move(other.cache_);
  }
  return *this;
}

Statement::~Statement() {
  release();
}

void Statement::release() noexcept {
  if (cache_)
    cache_->give_back(sql_, std::exchange(stmt_, nullptr));
  else
    sqlite3_finalize(std::exchange(stmt_, nullptr));  // accepts nullptr
}

void Statement::note_bind(int rc, int index) {
  if (rc != SQLITE_OK && !bind_error_)
    bind_error_ = sqlite_error(db_, rc, "bind parameter " + std::to_string(index) + " of", sql_);
}

Statement& Statement::bind(int index, std::int64_t value) {
  note_bind(sqlite3_bind_int64(stmt_, index, value), index);
  return *this;
}

Statement& Statement::bind(int index, std::string_view text) {
  // SQLITE_TRANSIENT: sqlite copies, so a temporary string may be bound.
  note_bind(
      sqlite3_bind_text64(stmt_, index, text.data(), text.size(), SQLITE_TRANSIENT, SQLITE_UTF8),
      index);
  return *this;
}

Statement& Statement::bind(int index, std::nullptr_t) {
  note_bind(sqlite3_bind_null(stmt_, index), index);
  return *this;
}

Statement& Statement::bind_blob(int index, std::string_view bytes) {
  note_bind(sqlite3_bind_blob64(stmt_, index, bytes.data(), bytes.size(), SQLITE_TRANSIENT), index);
  return *this;
}

Result<bool> Statement::step() {
  if (bind_error_)
    return *std::exchange(bind_error_, std::nullopt);
  const int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW)
    return true;
  if (rc == SQLITE_DONE)
    return false;
  Error error = sqlite_error(db_, sqlite3_extended_errcode(db_), "run", sql_);
  sqlite3_reset(stmt_);  // so a retry starts over instead of reporting the same failure
  return error;
}

Result<std::vector<std::string>> Statement::first_column_texts() {
  std::vector<std::string> texts;
  for (;;) {
    auto row = step();
    if (!row)
      return std::move(row).error();
    if (!*row)
      return texts;
    texts.push_back(column_text(0));
  }
}

Result<void> Statement::run() {
  for (;;) {
    auto row = step();
    if (!row)
      return std::move(row).error();
    if (!*row)
      break;
  }
  reset();
  return {};
}

void Statement::reset() noexcept {
  sqlite3_reset(stmt_);
}

int Statement::column_count() const noexcept {
  return sqlite3_column_count(stmt_);
}

bool Statement::column_is_null(int column) const noexcept {
  return sqlite3_column_type(stmt_, column) == SQLITE_NULL;
}

std::int64_t Statement::column_int64(int column) const noexcept {
  return sqlite3_column_int64(stmt_, column);
}

std::string Statement::column_text(int column) const {
  const auto* text = sqlite3_column_text(stmt_, column);
  if (text == nullptr)
    return {};
  return {reinterpret_cast<const char*>(text),
          static_cast<size_t>(sqlite3_column_bytes(stmt_, column))};
}

std::string Statement::column_blob(int column) const {
  const void* data = sqlite3_column_blob(stmt_, column);
  if (data == nullptr)
    return {};
  return {static_cast<const char*>(data), static_cast<size_t>(sqlite3_column_bytes(stmt_, column))};
}

std::optional<std::string> Statement::column_optional_text(int column) const {
  if (column_is_null(column))
    return std::nullopt;
  return column_text(column);
}

}  // namespace keel::manager::store
