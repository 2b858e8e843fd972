// Layer unpack: one streaming pass over a layer blob that writes its entries under a layer root
// and returns the blob digest and diff_id. Whiteouts become overlayfs whiteouts; an entry whose
// path or link would land outside the root is refused with an error naming it.
#pragma once

#include <cstdint>
#include <string>

#include "common/error.h"
#include "manager/snapshots/layer_stream.h"

namespace keel::manager::snapshots {

struct UnpackResult {
  LayerDigests digests;  // compressed_digest (verify against the manifest), diff_id, sizes
  std::uint64_t entries = 0;
};

// Unpacks into the directory open as `root_fd` (expected empty). Every entry is created relative
// to root_fd through openat2(RESOLVE_IN_ROOT | RESOLVE_NO_SYMLINKS): nothing is written through a
// symlink, so nothing lands outside. On error the directory holds a partial layer that the caller
// discards (unpack_layer and Snapshotter::apply_layer do).
[[nodiscard]] Result<UnpackResult> unpack_layer_into(int root_fd, const ReadFn& read);

// Unpacks into `target`, which must not exist, through a temp directory beside it that is renamed
// to `target` only on full success: on any error nothing is left behind.
[[nodiscard]] Result<UnpackResult> unpack_layer(const ReadFn& read, const std::string& target);

}  // namespace keel::manager::snapshots
