// Tars in and out of a container's mounted rootfs (ContainerService::rootfs()): docker cp both
// ways and docker export. Paths are resolved inside the rootfs, never outside it, symlinks
// included.
#pragma once

#include <string>

#include "common/error.h"
#include "manager/snapshots/layer_stream.h"

namespace keel::manager::containers {

// Whether path resolves inside the rootfs: kNotFound "Could not find the file PATH in
// container NAME" otherwise, so a frontend can refuse before it streams any byte.
[[nodiscard]] Result<void> find_in_rootfs(const std::string& rootfs, const std::string& path,
                                          const std::string& container);

// docker cp out: a tar of path, its entries named from the path's last component as docker
// names them; symlinks below path are archived as links, never followed.
[[nodiscard]] Result<void> tar_from_rootfs(const std::string& rootfs, const std::string& path,
                                           int out_fd);

// docker cp in: unpacks a tar into the directory path, never writing outside the rootfs.
// kNotFound "Could not find the directory PATH in container NAME" when it does not exist.
[[nodiscard]] Result<void> untar_into_rootfs(const std::string& rootfs, const std::string& path,
                                             const std::string& container,
                                             const snapshots::ReadFn& read);

// docker export: the merged view (no whiteouts) as one flat tar.
[[nodiscard]] Result<void> export_rootfs(const std::string& rootfs, int out_fd);

}  // namespace keel::manager::containers
