// docker's "insecure-registries": entries naming a registry by host[:port] or a network by CIDR
// (10.0.0.0/8, fd00::/8); a registry is insecure when its domain is listed or its host is an IP
// address inside a listed network. Plain HTTP is used for those, as for loopback.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "common/error.h"

namespace keel::manager::registry {

// kInvalidArgument when `entry` is neither a CIDR with a valid address and prefix length nor a
// host[:port] (no scheme, no path).
[[nodiscard]] Result<void> check_insecure_entry(std::string_view entry);

// Whether `domain` ("host:port" as in a reference) is covered by one of the entries.
[[nodiscard]] bool is_listed_insecure(std::string_view domain,
                                      const std::vector<std::string>& entries);

}  // namespace keel::manager::registry
