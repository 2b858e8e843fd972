// Owning handles for libarchive objects. archive_*_free also closes an archive left open, so a
// handle dropped on an error path releases everything. Header-only: only the targets that use
// it link libarchive.
#pragma once

#include <archive.h>
#include <archive_entry.h>

#include <memory>

namespace keel {

struct ArchiveReadFree {
  void operator()(archive* a) const noexcept { archive_read_free(a); }
};
struct ArchiveWriteFree {
  void operator()(archive* a) const noexcept { archive_write_free(a); }
};
struct ArchiveEntryFree {
  void operator()(archive_entry* e) const noexcept { archive_entry_free(e); }
};

using ArchiveReader = std::unique_ptr<archive, ArchiveReadFree>;
using ArchiveWriter = std::unique_ptr<archive, ArchiveWriteFree>;
using ArchiveEntry = std::unique_ptr<archive_entry, ArchiveEntryFree>;

}  // namespace keel
