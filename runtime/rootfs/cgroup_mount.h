// The "cgroup"/"cgroup2" mount type (config.md "Mounts"): shows the container its own cgroups.
#pragma once

#include <string>
#include <vector>

#include "common/error.h"
#include "oci-spec/runtime_config.h"
#include "runtime/rootfs/mount_options.h"
#include "runtime/rootfs/mounts.h"

namespace keel::runtime::rootfs {

struct CgroupMountInfo {
  struct Hierarchy {
    std::string dir_name;        // under the mount destination: "memory", "cpu,cpuacct", "systemd"
    std::string mount_options;   // for mount -t cgroup: "memory", "none,name=systemd"
    std::string container_path;  // host directory of the container's cgroup in it
  };
  std::vector<Hierarchy> v1;
  bool has_unified = false;
  std::string unified_dir_name;  // "unified" on a hybrid host; empty on pure v2 (mount is the tree)
  std::string unified_container_path;
  bool new_cgroup_ns = false;  // mount cgroupfs afresh (rooted at the container) instead of binds
};

[[nodiscard]] Result<void> mount_cgroups(int root_fd, const oci::Mount& mount,
                                         const MountOptions& options, const MountContext& context);

}  // namespace keel::runtime::rootfs
