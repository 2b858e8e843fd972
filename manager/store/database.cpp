// Opening the metadata database and the connection settings keeld relies on.
#include "manager/store/database.h"

#include <sqlite3.h>

#include <utility>

namespace keel::manager::store {
namespace {

// Long enough to ride out another writer's transaction (an image load commits in one), short
// enough that a wedged writer surfaces as an error rather than a hung request.
constexpr int kBusyTimeoutMs = 10000;

// WAL: readers do not block the writer. synchronous=FULL, not NORMAL: with NORMAL a power loss
// may drop the last committed transactions, and callers delete files (blobs, snapshots) right
// after committing the metadata that stops referencing them; a rolled-back commit would then
// bring back rows that point at deleted files. FULL makes each commit durable before we act on it.
constexpr std::string_view kPragmas =
    "PRAGMA journal_mode=WAL;"
    "PRAGMA synchronous=FULL;"
    "PRAGMA foreign_keys=ON;";

}  // namespace

Database::Database(sqlite3* db, std::string path)
    : db_(db),
      path_(std::move(path)),
      mutex_(std::make_unique<std::recursive_mutex>()),
      statements_(std::make_shared<StatementCache>()) {}

Database::Database(Database&& other) noexcept
    : db_(std::exchange(other.db_, nullptr)),
      path_(std::move(other.path_)),
      mutex_(std::move(other.mutex_)),
      statements_(std::move(other.statements_)) {}

Database& Database::operator=(Database&& other) noexcept {
  if (this != &other) {
    if (statements_)
      statements_->close();
    sqlite3_close_v2(db_);
    db_ = std::exchange(other.db_, nullptr);
    path_ = std::move(other.path_);
    mutex_ = std::move(other.mutex_);
    statements_ = std::move(other.statements_);
  }
  return *this;
}

Database::~Database() {
  // close_v2 defers the close until every statement is finalized, so destruction order of a
  // Statement that outlives its Database cannot leak the connection: the cache, closed here,
  // finalizes the kept statements now and any given back later.
  if (statements_)
    statements_->close();
  sqlite3_close_v2(db_);
}

Result<Database> Database::open(const std::string& path) {
  sqlite3* raw = nullptr;
  const int flags =
      SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX | SQLITE_OPEN_NOFOLLOW;
  const int rc = sqlite3_open_v2(path.c_str(), &raw, flags, nullptr);
  if (rc != SQLITE_OK) {
    Error error = sqlite_error(raw, rc, "open database", path);
    sqlite3_close_v2(raw);  // sqlite hands out a handle even on failure
    return error;
  }
  Database db(raw, path);
  sqlite3_extended_result_codes(raw, 1);
  sqlite3_busy_timeout(raw, kBusyTimeoutMs);
  if (auto r = db.exec(kPragmas); !r)
    return std::move(r).error().context("set up database \"" + path + "\"");
  return db;
}

Result<void> Database::exec(std::string_view sql) {
  const std::string text(sql);
  const int rc = sqlite3_exec(db_, text.c_str(), nullptr, nullptr, nullptr);
  if (rc != SQLITE_OK)
    return sqlite_error(db_, rc, "run", text);
  return {};
}

Result<Statement> Database::prepare(std::string_view sql) {
  std::string text(sql);
  if (sqlite3_stmt* kept = statements_->take(text))
    return Statement(db_, kept, std::move(text), statements_);
  sqlite3_stmt* stmt = nullptr;
  const int rc = sqlite3_prepare_v3(db_, sql.data(), static_cast<int>(sql.size()),
                                    SQLITE_PREPARE_PERSISTENT, &stmt, nullptr);
  if (rc != SQLITE_OK)
    return sqlite_error(db_, rc, "prepare", sql);
  return Statement(db_, stmt, std::move(text), statements_);
}

std::int64_t Database::last_insert_rowid() const noexcept {
  return sqlite3_last_insert_rowid(db_);
}

std::int64_t Database::changes() const noexcept {
  return sqlite3_changes64(db_);
}

}  // namespace keel::manager::store
