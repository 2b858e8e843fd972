// Translates OCI mount options ("ro", "nosuid", "rbind", "rro", "mode=755"...) into mount(2) flags,
// propagation, mount_setattr(2) recursive attributes and the filesystem data string.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "common/error.h"

namespace keel::runtime::rootfs {

struct MountOptions {
  unsigned long flags = 0;        // MS_* to set (MS_BIND, MS_REC for rbind, MS_RDONLY...)
  unsigned long propagation = 0;  // MS_PRIVATE/MS_SHARED/MS_SLAVE/MS_UNBINDABLE, maybe | MS_REC
  std::uint64_t attr_set = 0;     // MOUNT_ATTR_* applied recursively ("rro", "rnosuid"...)
  std::uint64_t attr_clr = 0;
  std::string data;  // options the filesystem interprets (mode=, size=, gid=...)
  [[nodiscard]] bool is_bind() const noexcept;
};

// Unknown flag-like options are passed to the filesystem as data, as runc does.
[[nodiscard]] Result<MountOptions> parse_mount_options(const std::vector<std::string>& options);

}  // namespace keel::runtime::rootfs
