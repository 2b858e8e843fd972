// A network's own iptables rules, docker's model: set once when the network is made (and again at
// every keeld start, as a reboot clears them), removed with the network. They replace what the
// bridge plugin's ipMasq and the firewall plugin did per container, at about ten iptables runs
// each for ADD and again for DEL:
//   nat POSTROUTING   -s SUBNET ! -o BRIDGE -j MASQUERADE            (not on an internal network)
//   filter FORWARD    -i BRIDGE -j ACCEPT                             out, and between containers
//                     -o BRIDGE --ctstate RELATED,ESTABLISHED ACCEPT  replies
//                     -o BRIDGE --ctstate DNAT -j ACCEPT              published ports (portmap)
//   internal:         -i BRIDGE -o BRIDGE ACCEPT, and DROP for anything else in or out
// The FORWARD rules go first in the chain, so a host whose FORWARD policy is DROP (docker's, on
// a host that also runs docker) still forwards for keel's containers. Each rule carries the
// comment "keel-net:BRIDGE", by which iptables-save shows whose it is.
#pragma once

#include <string>
#include <vector>

#include "common/error.h"
#include "manager/network/network_store.h"

namespace keel::manager::network {

// One rule: its table, its chain, and its match and target arguments.
struct HostRule {
  std::string table;
  std::string chain;
  std::vector<std::string> spec;
};

// The comment each of the network's rules carries.
[[nodiscard]] std::string host_rules_comment(const Network& network);

// The rules of `network`, in the order they are inserted.
[[nodiscard]] std::vector<HostRule> host_rules_of(const Network& network);

// Adds those of the network's rules that are missing; on failure, removes what it added.
[[nodiscard]] Result<void> install_host_rules(const Network& network);

// Removes every copy of each of the network's rules; rules already gone are no error.
[[nodiscard]] Result<void> remove_host_rules(const Network& network);

}  // namespace keel::manager::network
