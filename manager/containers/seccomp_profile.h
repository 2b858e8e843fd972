// keeld's default seccomp profile: docker's (moby profiles/seccomp/default.json) as data. An
// allow-list: anything not listed fails with EPERM. Rules that docker gates on a capability or
// an architecture are included only when the container has that capability, on that arch.
#pragma once

#include <string>
#include <vector>

#include "oci-spec/runtime_config.h"

namespace keel::manager::containers {

// `capabilities`: the container's bounding set ("CAP_" names). `arch`: uname's machine name
// ("x86_64", "aarch64", ...); empty: this host's.
[[nodiscard]] oci::Seccomp default_seccomp_profile(const std::vector<std::string>& capabilities,
                                                   const std::string& arch = {});

}  // namespace keel::manager::containers
