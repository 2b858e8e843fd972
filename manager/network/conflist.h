// The CNI configuration list keeld generates for a network (written to --cni-conf-dir as
// <name>.conflist, where operators can read what keeld runs): bridge (the network's Linux
// bridge as gateway, masquerade unless internal) with host-local IPAM keeping its leases under
// keeld's root, then portmap (published ports, SNAT so 127.0.0.1 works), firewall (forwarding
// allowed for the container's address), tuning, and on user networks dnsname (containers
// resolve each other's names and aliases through a dnsmasq on the bridge; docker's default
// network resolves none).
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "manager/network/network_store.h"

namespace keel::manager::network {

inline constexpr const char* kCniVersion = "1.0.0";
// The domain dnsname serves a user network's names under ("web" and "web.dns.keel").
inline constexpr const char* kDnsDomain = "dns.keel";

// Whether containers on `network` resolve each other by name (docker: user networks only).
[[nodiscard]] inline bool resolves_names(const Network& network) {
  return !network.is_default();
}

// default_route: false for a second interface (network connect), whose network must not take
// the route out that the container's first network already holds.
[[nodiscard]] nlohmann::json make_conflist(const Network& network, const std::string& ipam_dir,
                                           bool default_route = true);

}  // namespace keel::manager::network
