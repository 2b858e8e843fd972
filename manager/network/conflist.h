// The CNI configuration list keeld generates for a network (written to --cni-conf-dir as
// <name>.conflist, where operators can read what keeld runs): bridge (the network's Linux
// bridge as gateway, masquerade unless internal) with host-local IPAM keeping its leases under
// keeld's root, then portmap (published ports, SNAT so 127.0.0.1 works), firewall (forwarding
// allowed for the container's address) and tuning.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "manager/network/network_store.h"

namespace keel::manager::network {

inline constexpr const char* kCniVersion = "1.0.0";

[[nodiscard]] nlohmann::json make_conflist(const Network& network, const std::string& ipam_dir);

}  // namespace keel::manager::network
