// The device cgroup rules a container gets: its config's and the defaults runc adds.
#pragma once

#include "oci-spec/runtime_config.h"

namespace keel::runtime::cgroups {

// linux.resources with the default devices (null, zero, full, random, urandom, tty, console,
// ptmx, /dev/pts/*, mknod of any) and linux.devices allowed after the config's own rules.
[[nodiscard]] oci::Resources effective_resources(const oci::RuntimeConfig& config);

}  // namespace keel::runtime::cgroups
