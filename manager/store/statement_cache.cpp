#include "manager/store/statement_cache.h"

#include <sqlite3.h>

namespace keel::manager::store {

StatementCache::~StatementCache() {
  close();
}

sqlite3_stmt* StatementCache::take(const std::string& sql) noexcept {
  std::lock_guard lock(mutex_);
  auto it = idle_.find(sql);
  if (it == idle_.end())
    return nullptr;
  sqlite3_stmt* stmt = it->second;
  idle_.erase(it);
  return stmt;
}

void StatementCache::give_back(const std::string& sql, sqlite3_stmt* stmt) noexcept {
  if (stmt == nullptr)
    return;
  // Outside the lock: a reset ends the statement's read transaction, which may take a moment.
  sqlite3_reset(stmt);
  sqlite3_clear_bindings(stmt);
  {
    std::lock_guard lock(mutex_);
    if (!closed_ && idle_.size() < kTotal && idle_.count(sql) < kPerStatement) {
      idle_.emplace(sql, stmt);
      return;
    }
  }
  sqlite3_finalize(stmt);
}

void StatementCache::close() noexcept {
  std::lock_guard lock(mutex_);
  closed_ = true;
  for (auto& [sql, stmt] : idle_)
    sqlite3_finalize(stmt);
  idle_.clear();
}

}  // namespace keel::manager::store
