#include "manager/network/conflist.h"

#include <algorithm>

namespace keel::manager::network {

nlohmann::json make_conflist(const Network& network, const std::string& ipam_dir,
                             const ChainNeeds& needs) {
  // An internal network has no default route: its containers reach only each other.
  nlohmann::json routes = nlohmann::json::array();
  if (!network.internal && needs.default_route)
    routes.push_back({{"dst", "0.0.0.0/0"}});
  nlohmann::json bridge = {
      {"type", "bridge"},
      {"bridge", network.bridge},
      {"isGateway", true},
      // Masquerade and forwarding are the network's own rules (host_rules.h), set once, not
      // ten iptables runs per container.
      {"ipMasq", false},
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
  if (needs.ports)
    plugins.push_back(
        {{"type", "portmap"}, {"capabilities", {{"portMappings", true}}}, {"snat", true}});
  // --mac-address: tuning sets the container interface's address and updates the result.
  if (needs.mac)
    plugins.push_back({{"type", "tuning"}, {"capabilities", {{"mac", true}}}});
  // Last, so its prevResult names the bridge (interfaces[0]) its dnsmasq listens on. The
  // container's name comes in CNI_ARGS (K8S_POD_NAME), its aliases as runtimeConfig.
  if (resolves_names(network))
    plugins.push_back(
        {{"type", "dnsname"}, {"domainName", kDnsDomain}, {"capabilities", {{"aliases", true}}}});
  return {{"cniVersion", kCniVersion}, {"name", network.name}, {"plugins", std::move(plugins)}};
}

nlohmann::json only_plugins(nlohmann::json list, const std::vector<std::string>& types) {
  nlohmann::json kept = nlohmann::json::array();
  for (auto& plugin : list["plugins"])
    if (std::find(types.begin(), types.end(), plugin.value("type", "")) != types.end())
      kept.push_back(std::move(plugin));
  list["plugins"] = std::move(kept);
  return list;
}

std::vector<std::string> plugin_types(const nlohmann::json& list) {
  std::vector<std::string> types;
  for (const auto& plugin : list["plugins"])
    types.push_back(plugin.value("type", ""));
  return types;
}

}  // namespace keel::manager::network
