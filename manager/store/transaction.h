// A write transaction on a Database: BEGIN IMMEDIATE on construction, ROLLBACK on destruction
// unless commit() succeeded, so an early return or error path can never leave half a change.
#pragma once

#include <mutex>

#include "common/error.h"
#include "manager/store/database.h"

namespace keel::manager::store {

class Transaction {
 public:
  // IMMEDIATE takes the write lock now: two writers then wait on busy_timeout at BEGIN instead
  // of failing with SQLITE_BUSY at their first write, which a deferred transaction cannot retry.
  [[nodiscard]] static Result<Transaction> begin(Database& db);

  Transaction(Transaction&& other) noexcept;
  Transaction& operator=(Transaction&&) = delete;
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;
  ~Transaction();

  [[nodiscard]] Result<void> commit();
  // Explicit rollback; the destructor does the same when neither was called.
  void rollback() noexcept;

 private:
  Transaction(Database& db, std::unique_lock<std::recursive_mutex> lock)
      : db_(&db), lock_(std::move(lock)) {}

  Database* db_ = nullptr;  // null once committed or rolled back
  std::unique_lock<std::recursive_mutex> lock_;
};

}  // namespace keel::manager::store
