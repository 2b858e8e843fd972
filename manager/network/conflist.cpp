#include "manager/network/conflist.h"

namespace keel::manager::network {

nlohmann::json make_conflist(const Network& network, const std::string& ipam_dir,
                             bool default_route) {
  // An internal network has no default route: its containers reach only each other.
  nlohmann::json routes = nlohmann::json::array();
  if (!network.internal && default_route)
    routes.push_back({{"dst", "0.0.0.0/0"}});
  nlohmann::json bridge = {
      {"type", "bridge"},
      {"bridge", network.bridge},
      {"isGateway", true},
      {"ipMasq", !network.internal},
      // Hairpin: a container reaches its own published port through the host's address.
      {"hairpinMode", true},
      // --ip: the plugin hands its runtimeConfig to host-local, which takes "ips" as the address
      // to lease.
      {"capabilities", {{"ips", true}}},
      {"ipam",
       {{"type", "host-local"},
        {"ranges", {{{{"subnet", network.subnet}, {"gateway", network.gateway}}}}},
        {"routes", routes},
        {"dataDir", ipam_dir}}},
  };
  nlohmann::json plugins = nlohmann::json::array();
  plugins.push_back(std::move(bridge));
  // snat: connections from the host itself (127.0.0.1) are masqueraded after DNAT, and portmap
  // sets route_localnet on the bridge so that a localhost destination may be routed out.
  plugins.push_back(
      {{"type", "portmap"}, {"capabilities", {{"portMappings", true}}}, {"snat", true}});
  plugins.push_back({{"type", "firewall"}, {"backend", "iptables"}});
  // --mac-address: tuning sets the container interface's address and updates the result.
  plugins.push_back({{"type", "tuning"}, {"capabilities", {{"mac", true}}}});
  // Last, so its prevResult names the bridge (interfaces[0]) its dnsmasq listens on. The
  // container's name comes in CNI_ARGS (K8S_POD_NAME), its aliases as runtimeConfig.
  if (resolves_names(network))
    plugins.push_back(
        {{"type", "dnsname"}, {"domainName", kDnsDomain}, {"capabilities", {{"aliases", true}}}});
  return {{"cniVersion", kCniVersion}, {"name", network.name}, {"plugins", std::move(plugins)}};
}

}  // namespace keel::manager::network
