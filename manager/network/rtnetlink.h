// Links, IPv4 addresses and routes over rtnetlink, through libnl-route: what the CNI bridge plugin
// does with the kernel (a bridge, a veth pair with one end in a container's namespace, the
// container's address and routes), done in keeld without a plugin process. A socket talks to the
// network namespace of the thread that opened it, so one opened on a thread that entered a
// container's namespace (NetNs::run_inside) configures that namespace.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/error.h"
#include "manager/network/ipv4_net.h"

struct nl_sock;

namespace keel::manager::network {

struct LinkState {
  int index = 0;
  std::string type;  // "bridge", "veth", "" for a link without a kind
  std::string mac;   // "aa:bb:cc:dd:ee:ff"
  unsigned mtu = 0;
  bool up = false;
  int master = 0;  // the index of the bridge it is a port of, 0 when none
};

// The new veth pair of add_veth.
struct VethPair {
  std::string host_name;  // in the socket's namespace, a port of `master`, up
  std::string peer_name;  // moved into the namespace of `peer_netns_fd`, down
  int peer_netns_fd = -1;
  unsigned mtu = 0;
  int master = 0;
};

class RtNetlink {
 public:
  // A NETLINK_ROUTE socket in the calling thread's network namespace.
  [[nodiscard]] static Result<RtNetlink> open();

  // The link named `name`; nullopt when there is none.
  [[nodiscard]] Result<std::optional<LinkState>> link(const std::string& name);
  // A new bridge; kAlreadyExists when a link of that name exists.
  [[nodiscard]] Result<void> add_bridge(const std::string& name);
  // kAlreadyExists when either name is taken.
  [[nodiscard]] Result<void> add_veth(const VethPair& pair);
  [[nodiscard]] Result<void> set_up(int index);
  // Deletes the link; one that is not there is not an error.
  [[nodiscard]] Result<void> delete_link(const std::string& name);
  // `address`/`prefix` with its broadcast address; one already there is not an error.
  [[nodiscard]] Result<void> add_address(int index, std::uint32_t address, int prefix);
  // Removes `address`/`prefix` from the link; one that is not there is not an error.
  [[nodiscard]] Result<void> delete_address(int index, std::uint32_t address, int prefix);
  // The IPv4 addresses on the link, each with its prefix.
  [[nodiscard]] Result<std::vector<std::pair<std::uint32_t, int>>> addresses(int index);
  // A route to `dst` through `gateway` (0: directly) out of the link.
  [[nodiscard]] Result<void> add_route(int index, const Ipv4Net& dst, std::uint32_t gateway);

 private:
  struct SocketFree {
    void operator()(nl_sock* sock) const noexcept;
  };
  explicit RtNetlink(nl_sock* sock) : sock_(sock) {}
  std::unique_ptr<nl_sock, SocketFree> sock_;
};

}  // namespace keel::manager::network
