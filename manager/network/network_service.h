// keeld's networks without gRPC: docker's network model (the default `bridge`, user networks
// with their own subnets) over CNI, and the attach/detach of a container's namespace that the
// container service calls when a task starts and stops.
//
// Where things live: <root>/networks/ipam/<network>/ the host-local leases; --cni-conf-dir
// (default <root>/cni/net.d) one <network>.conflist per network, regenerated on every start;
// <state>/netns/<container-id> each container's bound namespace; <state>/dnsname/ the dnsname
// plugin's dnsmasq per user network (dnsname.h).
#pragma once

#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "common/error.h"
#include "manager/events/event_bus.h"
#include "manager/network/attachment.h"
#include "manager/network/cni_plugin.h"
#include "manager/network/conflist.h"
#include "manager/network/network_store.h"
#include "manager/network/port_mapping.h"
#include "manager/store/database.h"

namespace keel::manager::network {

// The default network's subnet when the host routes none of it; documented in the README.
inline constexpr const char* kDefaultSubnet = "172.30.0.0/16";
inline constexpr const char* kDefaultBridge = "keel0";

struct NetworkOptions {
  std::filesystem::path root;
  std::filesystem::path state;
  std::filesystem::path cni_conf_dir;  // empty: <root>/cni/net.d
  std::vector<std::string> cni_bin_dirs = {"/usr/lib/cni"};
  // The default network `bridge`, made on first start.
  std::string default_bridge = kDefaultBridge;
  std::string default_subnet;  // empty: kDefaultSubnet, or a free /16 when the host routes it
  // Where create and remove (and so prune) publish docker's network events; none when null.
  events::EventBus* bus = nullptr;
};

struct CreateNetworkRequest {
  std::string name;
  std::string driver = "bridge";
  std::string subnet;   // empty: the next free 172.x/16 (then 10.x/16)
  std::string gateway;  // empty: the subnet's first address
  bool internal = false;
  std::map<std::string, std::string> labels;
};

// How a container is known on a network that resolves names (dnsname): its name and its
// --network-alias names. Ignored on the default network.
// `ip` (--ip) is asked of an attachment and of a connect (network connect --ip), `mac`
// (--mac-address) of the network's first attachment only; empty lets IPAM and the kernel choose.
struct Endpoint {
  std::string name;
  std::vector<std::string> aliases;
  std::string ip;
  std::string mac;
};

// The containers that use a network (by name), for rm's refusal; given by the container side.
using NetworkUsers = std::function<std::vector<std::string>(const Network&)>;

class NetworkService {
 public:
  // Opens the table, makes the default network when absent and writes every conflist.
  [[nodiscard]] static Result<std::unique_ptr<NetworkService>> open(const NetworkOptions& options,
                                                                    store::Database& db);
  NetworkService(const NetworkService&) = delete;
  NetworkService& operator=(const NetworkService&) = delete;
  ~NetworkService();

  void set_users(NetworkUsers users);

  // kInvalidArgument for a bad name, CIDR or gateway, an unknown driver, or a subnet that
  // overlaps another network's; kAlreadyExists for a taken name.
  [[nodiscard]] Result<Network> create(const CreateNetworkRequest& request);
  [[nodiscard]] Result<Network> get(std::string_view id_or_name);
  [[nodiscard]] Result<std::vector<Network>> list();
  // kFailedPrecondition for the default network or one that containers use. Deletes its bridge,
  // its leases and its conflist.
  [[nodiscard]] Result<void> remove(std::string_view id_or_name);
  // Removes every user network no container uses; their names.
  [[nodiscard]] Result<std::vector<std::string>> prune();

  // Where a container's namespace is bound.
  [[nodiscard]] std::string netns_path(const std::string& container_id) const;

  // Refuses (kAlreadyExists, docker's "port is already allocated") a host port another
  // container holds or a socket on the host is bound to; chooses free host ports for 0. Nothing
  // is held: attach() re-checks. For create's early refusal.
  [[nodiscard]] Result<std::vector<PortMapping>> check_ports(const std::vector<PortMapping>& ports,
                                                             const std::string& container_id);

  // The container's namespace made and wired to the network (lo up, CNI ADD with the
  // ports); on any failure nothing is left (namespace, veth, rules, lease). on_namespace runs
  // once the namespace exists, before the plugins: a runtime may join it from then on.
  [[nodiscard]] Result<Attachment> attach(const std::string& container_id,
                                          const std::string& network,
                                          const std::vector<PortMapping>& ports,
                                          const Endpoint& endpoint = {},
                                          const std::function<void()>& on_namespace = {});
  // At start-up, before any attach: releases every address leased in keeld's networks to a
  // container not among `holders` (those whose records hold an attachment), left by a crash
  // between a lease and its record. Returns how many went.
  [[nodiscard]] Result<std::size_t> release_orphan_leases(const std::set<std::string>& holders);
  // CNI DEL and the namespace removed; ports released. Safe to repeat and after a restart. For
  // a stopped container: the built-in bridge leaves the veth pair to the namespace's end, so its
  // host end may outlive the call by a few milliseconds (the kernel's teardown, asynchronous).
  [[nodiscard]] Result<void> detach(const std::string& container_id, const Attachment& attachment);

  // docker network connect: one more interface (`ifname`, "eth1"...) in the container's existing
  // namespace `netns`, on `network`, without a route out (the first network keeps it). On failure
  // nothing of it is left.
  [[nodiscard]] Result<Attachment> connect(const std::string& container_id,
                                           const std::string& network, const std::string& netns,
                                           const std::string& ifname, const Endpoint& endpoint);
  // docker network disconnect: CNI DEL of a connect()'s interface, or of an attach()'s from a
  // running container (its ports released); the namespace stays. namespace_ends: the container
  // stopped and its namespace is removed right after (by detach): the interface goes with it.
  [[nodiscard]] Result<void> disconnect(const std::string& container_id,
                                        const Attachment& attachment, bool namespace_ends = false);
  // Marks a live attachment's ports as held (keeld restarted under a running container).
  void adopt(const std::string& container_id, const Attachment& attachment);

 private:
  NetworkService(const NetworkOptions& options, NetworkStore store);
  [[nodiscard]] Result<void> ensure_default();
  [[nodiscard]] Result<void> write_conflist(const Network& network);
  [[nodiscard]] Result<std::string> free_subnet(const std::vector<Network>& existing) const;
  [[nodiscard]] std::string ipam_dir() const;
  [[nodiscard]] std::filesystem::path conflist_path(const Network& network) const;
  // CNI ADD of `needs`' plugins of `network` into `netns` as `ifname`; the attachment it made.
  // On failure the list's DEL has run (CniConfList::add); the namespace is the caller's.
  [[nodiscard]] Result<Attachment> cni_add(const std::string& container_id, const Network& network,
                                           const std::string& netns, const std::string& ifname,
                                           const Endpoint& endpoint, std::vector<PortMapping> ports,
                                           const ChainNeeds& needs);
  // CNI DEL of one attachment (its network's list, its name for dnsname, its ports).
  // namespace_ends: the attachment's namespace is removed right after (CniCall).
  [[nodiscard]] Result<void> cni_del(const std::string& container_id, const Attachment& attachment,
                                     bool namespace_ends);
  [[nodiscard]] Result<std::vector<PortMapping>> check_ports_locked(
      const std::vector<PortMapping>& ports, const std::string& container_id);

  NetworkOptions options_;
  CniRuntime cni_;
  NetworkStore store_;
  NetworkUsers users_;
  std::mutex mutex_;  // the store's multi-step changes and held_
  // Host ports in use by containers: "tcp/8080" -> (container id, host ip).
  std::multimap<std::string, std::pair<std::string, std::string>> held_;
};

}  // namespace keel::manager::network
