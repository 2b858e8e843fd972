// BEGIN IMMEDIATE / COMMIT / ROLLBACK with the connection lock held throughout.
#include "manager/store/transaction.h"

#include <utility>

#include <spdlog/spdlog.h>

namespace keel::manager::store {

Result<Transaction> Transaction::begin(Database& db) {
  auto lock = db.lock();
  if (auto r = db.exec("BEGIN IMMEDIATE"); !r)
    return std::move(r).error();
  return Transaction(db, std::move(lock));
}

Transaction::Transaction(Transaction&& other) noexcept
    : db_(std::exchange(other.db_, nullptr)), lock_(std::move(other.lock_)) {}

Transaction::~Transaction() {
  rollback();
}

Result<void> Transaction::commit() {
  if (db_ == nullptr)
    return Error::of(Errc::kFailedPrecondition, "commit: transaction already ended");
  if (auto r = db_->exec("COMMIT"); !r) {
    // A failed COMMIT (disk full, I/O error) may leave the transaction open; end it here so
    // the connection is usable again.
    rollback();
    return r;
  }
  db_ = nullptr;
  return {};
}

void Transaction::rollback() noexcept {
  if (db_ == nullptr)
    return;
  if (auto r = std::exchange(db_, nullptr)->exec("ROLLBACK"); !r)
    spdlog::debug("rollback: {}", r.error().message());  // already rolled back by sqlite
}

}  // namespace keel::manager::store
