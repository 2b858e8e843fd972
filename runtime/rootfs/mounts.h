// The container's mounts (config.md "Mounts"): each destination is resolved inside the rootfs,
// bind mounts are cloned, configured and attached with the new mount API, others mounted on the
// resolved fd.
#pragma once

#include <string>

#include "common/error.h"
#include "oci-spec/runtime_config.h"

namespace keel::runtime::rootfs {

struct CgroupMountInfo;  // cgroup_mount.h

struct MountContext {
  std::string bundle;  // relative bind sources are read from here, as runc does
  bool in_user_ns = false;
  const CgroupMountInfo* cgroups = nullptr;
};

[[nodiscard]] Result<void> mount_one(int root_fd, const oci::Mount& mount,
                                     const MountContext& context);

struct MountOptions;
// Binds `source` onto `dest_fd`: open_tree clones it, mount_setattr sets ro/nosuid/... on the
// clone before anyone can see it, move_mount attaches it at exactly the resolved inode.
[[nodiscard]] Result<void> bind_mount(const std::string& source, int dest_fd,
                                      const MountOptions& options);

// Applies an attribute set and propagation to the mount at `fd` (an O_PATH fd of its root).
[[nodiscard]] Result<void> set_mount_attributes(int fd, std::uint64_t attr_set,
                                                std::uint64_t attr_clr, std::uint64_t propagation,
                                                bool recursive);

// MS_* flags that mount_setattr expresses as MOUNT_ATTR_* (ro, nosuid, nodev, noexec, atime...).
void flags_to_attributes(unsigned long flags, std::uint64_t& attr_set, std::uint64_t& attr_clr);

}  // namespace keel::runtime::rootfs
