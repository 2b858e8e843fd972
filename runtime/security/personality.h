// Execution domain of the container process (config-linux.md "Personality").
#pragma once

#include "common/error.h"
#include "oci-spec/runtime_config.h"

namespace keel::runtime::security {

// Sets the domain: LINUX, or LINUX32 (uname(2) then reports a 32-bit machine such as i686). The
// spec supports no flags yet; like runc, flags are ignored and left to the caller to warn about.
[[nodiscard]] Result<void> apply_personality(const oci::Personality& personality);

}  // namespace keel::runtime::security
