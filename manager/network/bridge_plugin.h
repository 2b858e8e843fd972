// The CNI "bridge" plugin with "host-local" IPAM, as keeld's networks configure it, done in keeld
// (builtin_plugins.h): ADD makes sure the bridge exists and is up (with the gateway's address when
// isGateway), leases an address (runtimeConfig.ips asks for one) in host-local's own lease files,
// and creates a veth pair, the host end a port of the bridge (hairpin mode when hairpinMode) and
// the other end CNI_IFNAME inside CNI_NETNS with the address and the IPAM routes, both at the
// bridge's MTU. DEL releases the lease and deletes the pair (from inside the namespace, or the
// host end from prevResult when the namespace is gone), and succeeds when all is already gone.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "common/error.h"
#include "manager/network/cni_plugin.h"

namespace keel::manager::network {

// True for a bridge configuration of only the fields done here: bridge, isGateway, hairpinMode,
// mtu, ipMasq false, host-local IPAM with one IPv4 range, routes, dns and dataDir, and at most one
// requested IPv4 address in runtimeConfig.ips.
[[nodiscard]] bool bridge_plugin_handles(const nlohmann::json& config);

[[nodiscard]] Result<std::string> run_bridge_plugin(const std::string& command,
                                                    const nlohmann::json& config,
                                                    const CniCall& call);

}  // namespace keel::manager::network
