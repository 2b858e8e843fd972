#include "manager/network/rtnetlink.h"

#include <arpa/inet.h>
#include <linux/if.h>
#include <linux/rtnetlink.h>

#include <array>
#include <cstring>

#include <netlink/addr.h>
#include <netlink/cache.h>
#include <netlink/errno.h>
#include <netlink/netlink.h>
#include <netlink/route/addr.h>
#include <netlink/route/link.h>
#include <netlink/route/link/bridge.h>
#include <netlink/route/link/veth.h>
#include <netlink/route/nexthop.h>
#include <netlink/route/route.h>
#include <netlink/socket.h>

namespace keel::manager::network {
namespace {

// libnl's objects are reference counted; each pointer here holds one reference.
template <class T, void (*Put)(T*)>
struct Putter {
  void operator()(T* object) const noexcept { Put(object); }
};
using LinkPtr = std::unique_ptr<rtnl_link, Putter<rtnl_link, rtnl_link_put>>;
// A veth link owns its peer: released together.
using VethPtr = std::unique_ptr<rtnl_link, Putter<rtnl_link, rtnl_link_veth_release>>;
using AddrPtr = std::unique_ptr<nl_addr, Putter<nl_addr, nl_addr_put>>;
using RtAddrPtr = std::unique_ptr<rtnl_addr, Putter<rtnl_addr, rtnl_addr_put>>;
using RoutePtr = std::unique_ptr<rtnl_route, Putter<rtnl_route, rtnl_route_put>>;
using CachePtr = std::unique_ptr<nl_cache, Putter<nl_cache, nl_cache_free>>;

// libnl reports -NLE_* codes, its own numbering of the kernel's errno.
Error nl_error(std::string what, int code) {
  const int nle = code < 0 ? -code : code;
  Errc kind = Errc::kInternal;
  if (nle == NLE_EXIST)
    kind = Errc::kAlreadyExists;
  else if (nle == NLE_OBJ_NOTFOUND || nle == NLE_NODEV)
    kind = Errc::kNotFound;
  else if (nle == NLE_PERM)
    kind = Errc::kPermissionDenied;
  else if (nle == NLE_INVAL || nle == NLE_RANGE)
    kind = Errc::kInvalidArgument;
  return Error::of(kind, std::move(what) + ": " + nl_geterror(nle));
}

bool is_missing(int code) {
  return code == -NLE_OBJ_NOTFOUND || code == -NLE_NODEV;
}

Result<AddrPtr> ipv4_addr(std::uint32_t address, int prefix) {
  const std::uint32_t network_order = htonl(address);
  AddrPtr addr(nl_addr_build(AF_INET, &network_order, sizeof(network_order)));
  if (!addr)
    return Error::of(Errc::kInternal, "out of memory for a netlink address");
  nl_addr_set_prefixlen(addr.get(), prefix);
  return addr;
}

// An IPv4 address object on link `index`, as RTM_NEWADDR and RTM_DELADDR name one.
Result<RtAddrPtr> interface_address(int index, std::uint32_t address, int prefix) {
  auto local = ipv4_addr(address, prefix);
  if (!local)
    return std::move(local).error();
  RtAddrPtr addr(rtnl_addr_alloc());
  if (!addr)
    return Error::of(Errc::kInternal, "out of memory for a netlink address");
  rtnl_addr_set_ifindex(addr.get(), index);
  rtnl_addr_set_family(addr.get(), AF_INET);
  rtnl_addr_set_local(addr.get(), local->get());
  rtnl_addr_set_prefixlen(addr.get(), prefix);
  return addr;
}

std::string mac_of(rtnl_link* link) {
  nl_addr* addr = rtnl_link_get_addr(link);
  if (addr == nullptr)
    return {};
  std::array<char, 64> text{};
  return nl_addr2str(addr, text.data(), text.size());
}

}  // namespace

void RtNetlink::SocketFree::operator()(nl_sock* sock) const noexcept {
  nl_socket_free(sock);
}

Result<RtNetlink> RtNetlink::open() {
  nl_sock* sock = nl_socket_alloc();
  if (sock == nullptr)
    return Error::of(Errc::kInternal, "out of memory for a netlink socket");
  RtNetlink rt(sock);
  if (const int err = nl_connect(sock, NETLINK_ROUTE); err < 0)
    return nl_error("connecting a NETLINK_ROUTE socket", err);
  return rt;
}

Result<std::optional<LinkState>> RtNetlink::link(const std::string& name) {
  rtnl_link* raw = nullptr;
  const int err = rtnl_link_get_kernel(sock_.get(), 0, name.c_str(), &raw);
  if (is_missing(err))
    return std::optional<LinkState>{};
  if (err < 0)
    return nl_error("looking up link " + name, err);
  LinkPtr link(raw);
  const char* type = rtnl_link_get_type(link.get());
  return std::optional<LinkState>(LinkState{
      .index = rtnl_link_get_ifindex(link.get()),
      .type = type == nullptr ? "" : type,
      .mac = mac_of(link.get()),
      .mtu = rtnl_link_get_mtu(link.get()),
      .up = (rtnl_link_get_flags(link.get()) & IFF_UP) != 0,
      .master = rtnl_link_get_master(link.get()),
  });
}

Result<void> RtNetlink::add_bridge(const std::string& name) {
  LinkPtr bridge(rtnl_link_bridge_alloc());
  if (!bridge)
    return Error::of(Errc::kInternal, "out of memory for a netlink link");
  rtnl_link_set_name(bridge.get(), name.c_str());
  if (const int err = rtnl_link_add(sock_.get(), bridge.get(), NLM_F_CREATE | NLM_F_EXCL); err < 0)
    return nl_error("creating bridge " + name, err);
  return {};
}

Result<void> RtNetlink::add_veth(const VethPair& pair) {
  VethPtr host(rtnl_link_veth_alloc());
  if (!host)
    return Error::of(Errc::kInternal, "out of memory for a netlink link");
  rtnl_link_set_name(host.get(), pair.host_name.c_str());
  rtnl_link_set_mtu(host.get(), pair.mtu);
  rtnl_link_set_master(host.get(), pair.master);
  rtnl_link_set_flags(host.get(), IFF_UP);
  // The peer comes to be inside the container's namespace: no moment where eth0 is on the host.
  LinkPtr peer(rtnl_link_veth_get_peer(host.get()));
  rtnl_link_set_name(peer.get(), pair.peer_name.c_str());
  rtnl_link_set_mtu(peer.get(), pair.mtu);
  rtnl_link_set_ns_fd(peer.get(), pair.peer_netns_fd);
  if (const int err = rtnl_link_add(sock_.get(), host.get(), NLM_F_CREATE | NLM_F_EXCL); err < 0)
    return nl_error("creating veth pair " + pair.host_name + "/" + pair.peer_name, err);
  return {};
}

Result<void> RtNetlink::set_up(int index) {
  LinkPtr target(rtnl_link_alloc());
  LinkPtr change(rtnl_link_alloc());
  if (!target || !change)
    return Error::of(Errc::kInternal, "out of memory for a netlink link");
  rtnl_link_set_ifindex(target.get(), index);
  rtnl_link_set_flags(change.get(), IFF_UP);
  if (const int err = rtnl_link_change(sock_.get(), target.get(), change.get(), 0); err < 0)
    return nl_error("setting link " + std::to_string(index) + " up", err);
  return {};
}

Result<void> RtNetlink::delete_link(const std::string& name) {
  LinkPtr target(rtnl_link_alloc());
  if (!target)
    return Error::of(Errc::kInternal, "out of memory for a netlink link");
  rtnl_link_set_name(target.get(), name.c_str());
  if (const int err = rtnl_link_delete(sock_.get(), target.get()); err < 0 && !is_missing(err))
    return nl_error("deleting link " + name, err);
  return {};
}

Result<void> RtNetlink::add_address(int index, std::uint32_t address, int prefix) {
  auto addr = interface_address(index, address, prefix);
  if (!addr)
    return std::move(addr).error();
  const Ipv4Net net{.address = address & Ipv4Net{.address = 0, .prefix = prefix}.mask(),
                    .prefix = prefix};
  auto broadcast = ipv4_addr(net.address | ~net.mask(), 32);
  if (!broadcast)
    return std::move(broadcast).error();
  if (prefix < 31)
    rtnl_addr_set_broadcast(addr->get(), broadcast->get());
  const int err = rtnl_addr_add(sock_.get(), addr->get(), 0);
  if (err < 0 && err != -NLE_EXIST)
    return nl_error("adding address " + ipv4_to_string(address) + "/" + std::to_string(prefix),
                    err);
  return {};
}

Result<void> RtNetlink::delete_address(int index, std::uint32_t address, int prefix) {
  auto addr = interface_address(index, address, prefix);
  if (!addr)
    return std::move(addr).error();
  const int err = rtnl_addr_delete(sock_.get(), addr->get(), 0);
  if (err < 0 && err != -NLE_NOADDR && err != -NLE_OBJ_NOTFOUND)
    return nl_error("deleting address " + ipv4_to_string(address) + "/" + std::to_string(prefix),
                    err);
  return {};
}

Result<std::vector<std::pair<std::uint32_t, int>>> RtNetlink::addresses(int index) {
  nl_cache* raw = nullptr;
  if (const int err = rtnl_addr_alloc_cache(sock_.get(), &raw); err < 0)
    return nl_error("listing addresses", err);
  CachePtr cache(raw);
  std::vector<std::pair<std::uint32_t, int>> found;
  for (nl_object* object = nl_cache_get_first(cache.get()); object != nullptr;
       object = nl_cache_get_next(object)) {
    auto* addr = reinterpret_cast<rtnl_addr*>(object);  // NOLINT: libnl's object "subclass"
    nl_addr* local = rtnl_addr_get_local(addr);
    if (rtnl_addr_get_ifindex(addr) != index || rtnl_addr_get_family(addr) != AF_INET ||
        local == nullptr || nl_addr_get_len(local) != sizeof(std::uint32_t))
      continue;
    std::uint32_t network_order = 0;
    std::memcpy(&network_order, nl_addr_get_binary_addr(local), sizeof(network_order));
    found.emplace_back(ntohl(network_order), rtnl_addr_get_prefixlen(addr));
  }
  return found;
}

Result<void> RtNetlink::add_route(int index, const Ipv4Net& dst, std::uint32_t gateway) {
  auto destination = ipv4_addr(dst.address, dst.prefix);
  if (!destination)
    return std::move(destination).error();
  RoutePtr route(rtnl_route_alloc());
  rtnl_nexthop* hop = rtnl_route_nh_alloc();
  if (!route || hop == nullptr) {
    if (hop != nullptr)
      rtnl_route_nh_free(hop);
    return Error::of(Errc::kInternal, "out of memory for a netlink route");
  }
  rtnl_route_set_family(route.get(), AF_INET);
  rtnl_route_set_table(route.get(), RT_TABLE_MAIN);
  rtnl_route_set_protocol(route.get(), RTPROT_BOOT);
  rtnl_route_set_type(route.get(), RTN_UNICAST);
  rtnl_route_set_scope(route.get(), gateway == 0 ? RT_SCOPE_LINK : RT_SCOPE_UNIVERSE);
  if (const int err = rtnl_route_set_dst(route.get(), destination->get()); err < 0)
    return nl_error("route to " + dst.str(), err);
  rtnl_route_nh_set_ifindex(hop, index);
  if (gateway != 0) {
    auto via = ipv4_addr(gateway, 32);
    if (!via) {
      rtnl_route_nh_free(hop);
      return std::move(via).error();
    }
    rtnl_route_nh_set_gateway(hop, via->get());
  }
  rtnl_route_add_nexthop(route.get(), hop);  // the route owns it from here
  const int err = rtnl_route_add(sock_.get(), route.get(), NLM_F_EXCL);
  if (err < 0 && err != -NLE_EXIST)
    return nl_error("adding route to " + dst.str() +
                        (gateway != 0 ? " via " + ipv4_to_string(gateway) : std::string()),
                    err);
  return {};
}

}  // namespace keel::manager::network
