// A SQLite VFS for tests that forwards everything to the default one and counts the xSync calls
// (the fsyncs of the database and its WAL), so a test can pin how many of them an operation asks
// for. Installed as the default VFS for its lifetime: connections opened meanwhile use it.
#pragma once

#include <sqlite3.h>

#include <atomic>
#include <cstddef>

namespace keel::manager::store::testing {

class SyncCountingVfs {
 public:
  SyncCountingVfs() {
    real_ = sqlite3_vfs_find(nullptr);
    vfs_ = *real_;
    vfs_.zName = "keel-sync-counting";
    vfs_.szOsFile = static_cast<int>(sizeof(File)) + real_->szOsFile;
    vfs_.pAppData = this;
    vfs_.xOpen = &open;
    sqlite3_vfs_register(&vfs_, 1);
  }
  ~SyncCountingVfs() {
    sqlite3_vfs_unregister(&vfs_);
    sqlite3_vfs_register(real_, 1);
  }
  SyncCountingVfs(const SyncCountingVfs&) = delete;
  SyncCountingVfs& operator=(const SyncCountingVfs&) = delete;
  SyncCountingVfs(SyncCountingVfs&&) = delete;
  SyncCountingVfs& operator=(SyncCountingVfs&&) = delete;

  [[nodiscard]] std::size_t syncs() const { return syncs_.load(); }

 private:
  // Our file, followed in the same allocation by the default VFS's own.
  struct File {
    sqlite3_file base;
    sqlite3_file* real;
    SyncCountingVfs* owner;
  };

  static sqlite3_file* real_of(sqlite3_file* file) { return reinterpret_cast<File*>(file)->real; }

  static int open(sqlite3_vfs* vfs, sqlite3_filename name, sqlite3_file* file, int flags,
                  int* out_flags) {
    auto* self = static_cast<SyncCountingVfs*>(vfs->pAppData);
    auto* ours = reinterpret_cast<File*>(file);
    ours->real = reinterpret_cast<sqlite3_file*>(ours + 1);
    ours->owner = self;
    ours->base.pMethods = nullptr;
    const int rc = self->real_->xOpen(self->real_, name, ours->real, flags, out_flags);
    if (ours->real->pMethods != nullptr) {
      // Copied once from the first file: the default VFS gives every file the same methods.
      if (self->methods_.iVersion == 0)
        self->methods_ = wrap(*ours->real->pMethods);
      ours->base.pMethods = &self->methods_;
    }
    return rc;
  }

  static sqlite3_io_methods wrap(const sqlite3_io_methods& real) {
    sqlite3_io_methods m = real;
    m.xClose = [](sqlite3_file* f) {
      sqlite3_file* r = real_of(f);
      const int rc = r->pMethods->xClose(r);
      f->pMethods = nullptr;
      return rc;
    };
    m.xRead = [](sqlite3_file* f, void* buf, int n, sqlite3_int64 off) {
      return real_of(f)->pMethods->xRead(real_of(f), buf, n, off);
    };
    m.xWrite = [](sqlite3_file* f, const void* buf, int n, sqlite3_int64 off) {
      return real_of(f)->pMethods->xWrite(real_of(f), buf, n, off);
    };
    m.xTruncate = [](sqlite3_file* f, sqlite3_int64 size) {
      return real_of(f)->pMethods->xTruncate(real_of(f), size);
    };
    m.xSync = [](sqlite3_file* f, int flags) {
      ++reinterpret_cast<File*>(f)->owner->syncs_;
      return real_of(f)->pMethods->xSync(real_of(f), flags);
    };
    m.xFileSize = [](sqlite3_file* f, sqlite3_int64* size) {
      return real_of(f)->pMethods->xFileSize(real_of(f), size);
    };
    m.xLock = [](sqlite3_file* f, int level) {
      return real_of(f)->pMethods->xLock(real_of(f), level);
    };
    m.xUnlock = [](sqlite3_file* f, int level) {
      return real_of(f)->pMethods->xUnlock(real_of(f), level);
    };
    m.xCheckReservedLock = [](sqlite3_file* f, int* out) {
      return real_of(f)->pMethods->xCheckReservedLock(real_of(f), out);
    };
    m.xFileControl = [](sqlite3_file* f, int op, void* arg) {
      return real_of(f)->pMethods->xFileControl(real_of(f), op, arg);
    };
    m.xSectorSize = [](sqlite3_file* f) { return real_of(f)->pMethods->xSectorSize(real_of(f)); };
    m.xDeviceCharacteristics = [](sqlite3_file* f) {
      return real_of(f)->pMethods->xDeviceCharacteristics(real_of(f));
    };
    // WAL's shared memory, and memory-mapped reads: the default VFS has them (version 3).
    m.xShmMap = [](sqlite3_file* f, int page, int size, int extend, void volatile** out) {
      return real_of(f)->pMethods->xShmMap(real_of(f), page, size, extend, out);
    };
    m.xShmLock = [](sqlite3_file* f, int offset, int n, int flags) {
      return real_of(f)->pMethods->xShmLock(real_of(f), offset, n, flags);
    };
    m.xShmBarrier = [](sqlite3_file* f) { real_of(f)->pMethods->xShmBarrier(real_of(f)); };
    m.xShmUnmap = [](sqlite3_file* f, int remove) {
      return real_of(f)->pMethods->xShmUnmap(real_of(f), remove);
    };
    m.xFetch = [](sqlite3_file* f, sqlite3_int64 off, int n, void** out) {
      return real_of(f)->pMethods->xFetch(real_of(f), off, n, out);
    };
    m.xUnfetch = [](sqlite3_file* f, sqlite3_int64 off, void* p) {
      return real_of(f)->pMethods->xUnfetch(real_of(f), off, p);
    };
    return m;
  }

  sqlite3_vfs* real_ = nullptr;
  sqlite3_vfs vfs_{};
  sqlite3_io_methods methods_{};
  std::atomic<std::size_t> syncs_{0};
};

}  // namespace keel::manager::store::testing
