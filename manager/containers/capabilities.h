// Capability sets of a container: docker's default set, every capability, and --cap-add /
// --cap-drop applied the way docker applies them.
#pragma once

#include <string>
#include <vector>

#include "common/error.h"

namespace keel::manager::containers {

// docker's default set (moby oci/caps/defaults.go), "CAP_" names.
[[nodiscard]] const std::vector<std::string>& default_capabilities();
// Every capability Linux defines up to CAP_CHECKPOINT_RESTORE (40): --privileged and "ALL".
[[nodiscard]] const std::vector<std::string>& all_capabilities();

// "net_admin", "NET_ADMIN" and "CAP_NET_ADMIN" are one name; "ALL" stays "ALL". An unknown name
// is kInvalidArgument: "unknown capability: \"CAP_X\"".
[[nodiscard]] Result<std::string> normalize_capability(const std::string& name);

// docker's rules: "ALL" in `add` starts from every capability, "ALL" in `drop` from none;
// otherwise from the defaults. Then drops, then adds (an add wins over a drop of the same
// name). The result is sorted by capability number.
[[nodiscard]] Result<std::vector<std::string>> apply_cap_changes(
    const std::vector<std::string>& add, const std::vector<std::string>& drop);

}  // namespace keel::manager::containers
