// The container's root filesystem from Create's mounts (containerd's snapshot mounts), mounted
// on <bundle>/rootfs and taken down again on Delete and in `delete`.
#pragma once

#include <string>
#include <vector>

#include "common/error.h"

namespace keel::shim {

struct MountSpec {
  std::string type;
  std::string source;
  std::vector<std::string> options;  // fstab style: flags (ro, bind, nosuid...) and fs data
};

// Mounts each spec on `target` in order; on failure unmounts what it mounted.
[[nodiscard]] Result<void> mount_rootfs(const std::vector<MountSpec>& mounts,
                                        const std::string& target);
// Unmounts everything stacked on `target` (MNT_DETACH); nothing mounted is fine.
[[nodiscard]] Result<void> unmount_rootfs(const std::string& target);

}  // namespace keel::shim
