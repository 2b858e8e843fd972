// /dev inside the container (config-linux.md "Devices", "Default Devices", "/dev symbolic links").
#pragma once

#include "common/error.h"
#include "oci-spec/runtime_config.h"

namespace keel::runtime::rootfs {

// Creates the default devices, linux.devices and the standard symlinks under the rootfs.
// In a user namespace mknod is refused, so host devices are bind-mounted instead, as runc does.
[[nodiscard]] Result<void> create_devices(int root_fd, const oci::RuntimeConfig& config,
                                          bool in_user_ns);

}  // namespace keel::runtime::rootfs
