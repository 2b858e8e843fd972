// docker's --mac-address: a container's own MAC address on its network, set by the tuning
// plugin's "mac" capability (the bridge plugin of containernetworking-plugins 1.1 has none).
#pragma once

#include <string>
#include <string_view>

#include "common/error.h"

namespace keel::manager::network {

// Six bytes as two hex digits each, separated by ':' or '-' ("02:42:AC:11:00:02"); the
// lower-case, colon form. kInvalidArgument (docker's words) otherwise, and for a multicast
// address, which the kernel refuses on an Ethernet interface.
[[nodiscard]] Result<std::string> parse_mac_address(std::string_view text);

}  // namespace keel::manager::network
