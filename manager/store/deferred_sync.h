// A scope in which the connection's commits skip their fsync, for writes whose loss at a power
// cut recovery repairs anyway (a container's running or exited state, a snapshot its container's
// synced insert follows).
#pragma once

#include <mutex>

#include "manager/store/database.h"

namespace keel::manager::store {

// What a write asks of the disk: kSynced, on it before the write returns (database.cpp's
// default); kDeferred, through a DeferredSync scope (below).
enum class Durability { kSynced, kDeferred };

// Holds the connection's lock and sets synchronous=NORMAL until it ends, then FULL again. In WAL
// mode a commit then only appends to the WAL: a killed keeld loses nothing (the page cache holds
// it), and the next synced commit, or a checkpoint, makes it durable with everything before it,
// because the WAL is synced as a whole. Only a power cut can drop it, and then only with every
// commit after it up to the next synced one, never a commit in the middle.
class DeferredSync {
 public:
  explicit DeferredSync(Database& db);
  DeferredSync(const DeferredSync&) = delete;
  DeferredSync& operator=(const DeferredSync&) = delete;
  ~DeferredSync();

 private:
  Database& db_;
  std::unique_lock<std::recursive_mutex> lock_;
};

}  // namespace keel::manager::store
