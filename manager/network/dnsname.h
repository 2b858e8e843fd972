// keeld's side of the dnsname CNI plugin (names on user networks): how a container's name and
// aliases reach it, which names its hosts file can hold, where it keeps each network's dnsmasq
// (under keeld's state, through XDG_RUNTIME_DIR) and the removal of that dnsmasq with its network.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/error.h"

namespace keel::manager::network {

// The plugin's XDG_RUNTIME_DIR: it keeps <dir>/containers/cni/dnsname/<network>/ (dnsmasq.conf,
// addnhosts, pidfile). Without it every keeld on the host would share /run/containers/cni.
[[nodiscard]] std::filesystem::path dnsname_runtime_dir(const std::filesystem::path& state);
[[nodiscard]] std::filesystem::path dnsname_network_dir(const std::filesystem::path& state,
                                                        const std::string& network);

// CNI_ARGS naming the container for dnsname (K8S_POD_NAME, the key it reads); other plugins
// ignore it. An empty name: no name to publish.
[[nodiscard]] std::string cni_args(const std::string& container_name);

// runtimeConfig's "aliases" capability value: {"<network>": [aliases]}.
[[nodiscard]] nlohmann::json aliases_capability(const std::string& network,
                                                const std::vector<std::string>& aliases);

// A --network-alias: a DNS name (letters, digits, '-', '_' and '.' between labels of 1 to 63
// characters, 253 in all), since it becomes a line of dnsmasq's hosts file. kInvalidArgument
// names the alias and what is wrong with it.
[[nodiscard]] Result<void> validate_alias(std::string_view alias);

// Stops the network's dnsmasq if one still runs (the plugin stops it when its last container
// leaves; a crash can leave it) and removes its directory. Safe when there is none.
[[nodiscard]] Result<void> remove_dns_server(const std::filesystem::path& network_dir);

}  // namespace keel::manager::network
