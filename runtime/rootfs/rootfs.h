// The container's root filesystem, in the order config-linux.md and runtime.md ask for:
// prepare (propagation, rootfs bind, mounts, /dev) → [createRuntime hooks] → enter (pivot_root)
// → finish (masked and read-only paths, read-only root, rootfs propagation).
#pragma once

#include <string>

#include "common/error.h"
#include "oci-spec/runtime_config.h"
#include "runtime/rootfs/mounts.h"

namespace keel::runtime::rootfs {

struct RootfsOptions {
  std::string rootfs;  // absolute host path
  bool no_pivot = false;
  MountContext mounts;
};

// Runs in the init's new mount namespace, before pivot_root.
[[nodiscard]] Result<void> prepare_rootfs(const oci::RuntimeConfig& config,
                                          const RootfsOptions& options);
// pivot_root (or MS_MOVE + chroot with no_pivot) into the prepared rootfs.
[[nodiscard]] Result<void> enter_rootfs(const RootfsOptions& options);
// After enter_rootfs: paths are now the container's own.
[[nodiscard]] Result<void> finish_rootfs(const oci::RuntimeConfig& config);

// Implements config-linux.md "Masked Paths" and "Readonly Paths" (masked_paths.cpp).
[[nodiscard]] Result<void> mask_path(const std::string& path);
[[nodiscard]] Result<void> make_path_readonly(const std::string& path);

}  // namespace keel::runtime::rootfs
