// The CNI configuration list keeld generates for a network: bridge (the network's Linux bridge
// as gateway) with host-local IPAM keeping its leases under keeld's root, then portmap (published
// ports, SNAT so 127.0.0.1 works), tuning (--mac-address), and on user networks dnsname
// (containers resolve each other's names and aliases through a dnsmasq on the bridge; docker's
// default network resolves none). Masquerade and forwarding are the network's own iptables rules
// (host_rules.h), not a plugin's per container. keeld runs the bridge entry itself
// (bridge_plugin.h); the others are exec'd.
//
// The whole list goes to --cni-conf-dir as <name>.conflist, where operators read what keeld
// runs; a container's ADD runs only what it needs (no portmap without published ports, no tuning
// without a MAC address), and its DEL the same plugins, as its attachment records them.
#pragma once

#include <string>
#include <vector>

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

// What one attachment needs of the list; all of it by default (the list written to disk).
struct ChainNeeds {
  // false for a second interface (network connect), whose network must not take the route out
  // that the container's first network already holds.
  bool default_route = true;
  bool ports = true;  // portmap: the container publishes ports
  bool mac = true;    // tuning: the container asks for a MAC address
};

[[nodiscard]] nlohmann::json make_conflist(const Network& network, const std::string& ipam_dir,
                                           const ChainNeeds& needs = {});

// `list` with only the plugins of those types, in its order (a DEL of what an ADD ran).
[[nodiscard]] nlohmann::json only_plugins(nlohmann::json list,
                                          const std::vector<std::string>& types);
// The types of a list's plugins, in order.
[[nodiscard]] std::vector<std::string> plugin_types(const nlohmann::json& list);

}  // namespace keel::manager::network
