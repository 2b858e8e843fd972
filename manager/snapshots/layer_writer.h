// Turns an active snapshot's upper dir into a layer tar (the reverse of unpack): overlay
// whiteouts become ".wh.<name>" entries and opaque dirs a ".wh..wh..opq" entry, so a committed
// container or an import yields a layer any OCI tool reads.
#pragma once

#include <cstddef>
#include <functional>
#include <span>
#include <string>
#include <vector>

#include "common/error.h"
#include "manager/snapshots/changes.h"
#include "manager/snapshots/layer_stream.h"

namespace keel::manager::snapshots {

class Snapshotter;

// Receives the tar bytes in order.
using WriteFn = std::function<Result<void>(std::span<const std::byte>)>;
[[nodiscard]] WriteFn write_to_fd(int fd);

// Writes an uncompressed pax tar of `upper`; returns its diff_id and size (the compressed
// fields equal them: compression is the caller's choice).
[[nodiscard]] Result<LayerDigests> write_layer(const std::string& upper, const WriteFn& write);

// The upper dir and lowers of snapshot `key`, from its mounts.
struct SnapshotDirs {
  std::string upper;
  std::vector<std::string> lowers;  // topmost first
};
[[nodiscard]] Result<SnapshotDirs> snapshot_dirs(Snapshotter& snapshotter, const std::string& key);

// changes() and write_layer() of an active snapshot.
[[nodiscard]] Result<std::vector<Change>> snapshot_changes(Snapshotter& snapshotter,
                                                           const std::string& key);
[[nodiscard]] Result<LayerDigests> export_layer(Snapshotter& snapshotter, const std::string& key,
                                                const WriteFn& write);

}  // namespace keel::manager::snapshots
