// synchronous=NORMAL for one scope of writes, FULL (database.cpp's setting) again after it.
#include "manager/store/deferred_sync.h"

#include <spdlog/spdlog.h>

namespace keel::manager::store {

DeferredSync::DeferredSync(Database& db) : db_(db), lock_(db.lock()) {
  // A failure leaves FULL in force: every commit is then synced, which is only slower.
  if (auto r = db_.exec("PRAGMA synchronous=NORMAL"); !r)
    spdlog::warn("database: {}", r.error().message());
}

DeferredSync::~DeferredSync() {
  if (auto r = db_.exec("PRAGMA synchronous=FULL"); !r)
    spdlog::error("database: restoring synchronous=FULL: {}", r.error().message());
}

}  // namespace keel::manager::store
