// The host's device nodes as OCI linux.devices entries: what --privileged hands a container.
#pragma once

#include <string>
#include <vector>

#include "common/error.h"
#include "oci-spec/runtime_config.h"

namespace keel::manager::containers {

// Every char and block device under `dev_dir` (recursively), with paths rewritten to start at
// "/dev". Like docker it skips pts/, shm/, mqueue/, fd/ and /dev/console, which the runtime
// mounts or creates itself, and entries it cannot stat (a device unplugged meanwhile).
[[nodiscard]] Result<std::vector<oci::Device>> host_devices(const std::string& dev_dir = "/dev");

}  // namespace keel::manager::containers
