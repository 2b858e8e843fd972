#include "manager/network/network_service.h"

#include <netinet/in.h>
#include <sys/socket.h>

#include <chrono>

#include <spdlog/spdlog.h>

#include "common/fs.h"
#include "common/scope_guard.h"
#include "common/unique_fd.h"
#include "manager/network/conflist.h"
#include "manager/network/dnsname.h"
#include "manager/network/host_link.h"
#include "manager/network/host_local_ipam.h"
#include "manager/network/host_rules.h"
#include "manager/network/ipv4_net.h"
#include "manager/network/netns.h"
#include "manager/network/network_events.h"

namespace keel::manager::network {
namespace {

Error invalid(std::string what) {
  return Error::of(Errc::kInvalidArgument, std::move(what));
}

std::int64_t now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// docker's rule for network names: [a-zA-Z0-9][a-zA-Z0-9_.-]*
bool valid_name(std::string_view name) {
  if (name.empty() || name.size() > 128)
    return false;
  for (std::size_t i = 0; i < name.size(); ++i) {
    const auto c = static_cast<unsigned char>(name[i]);
    if (std::isalnum(c) == 0 && (i == 0 || (c != '_' && c != '.' && c != '-')))
      return false;
  }
  return true;
}

std::string held_key(const PortMapping& port) {
  return port.protocol + "/" + std::to_string(port.host_port);
}

bool same_host_ip(const std::string& a, const std::string& b) {
  return a.empty() || b.empty() || a == b;  // empty is every address
}

Error port_allocated(const PortMapping& port) {
  return Error::of(Errc::kAlreadyExists,
                   "driver failed programming external connectivity: Bind for " + host_side(port) +
                       " failed: port is already allocated");
}

// A socket of the port's protocol on its host address: bound, it holds the port.
Result<UniqueFd> bind_probe(const PortMapping& port) {
  const int type = port.protocol == "udp" ? SOCK_DGRAM : SOCK_STREAM;
  const int proto = port.protocol == "sctp" ? IPPROTO_SCTP : 0;
  UniqueFd fd(::socket(AF_INET, type | SOCK_CLOEXEC, proto));
  if (fd.get() < 0)
    return Error::sys("socket for port " + held_key(port));
  const int one = 1;
  // TIME_WAIT leftovers of an earlier user do not make a port busy.
  (void)::setsockopt(fd.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(port.host_port);
  if (!port.host_ip.empty()) {
    auto ip = parse_ipv4(port.host_ip);
    if (!ip)
      return std::move(ip).error();
    address.sin_addr.s_addr = htonl(*ip);
  }
  if (::bind(fd.get(), reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
    if (errno == EADDRINUSE)
      return port_allocated(port);
    if (errno == EADDRNOTAVAIL)
      return invalid("cannot publish on " + port.host_ip + ": not an address of this host");
    return Error::sys("binding " + host_side(port));
  }
  return fd;
}

// The port the kernel picks for a probe bound to port 0.
Result<std::uint16_t> bound_port(int fd) {
  sockaddr_in address{};
  socklen_t length = sizeof address;
  if (::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) != 0)
    return Error::sys("getsockname");
  return ntohs(address.sin_port);
}

nlohmann::json port_mappings(const std::vector<PortMapping>& ports) {
  nlohmann::json mappings = nlohmann::json::array();
  for (const auto& port : ports)
    mappings.push_back({{"hostPort", port.host_port},
                        {"containerPort", port.container_port},
                        {"protocol", port.protocol},
                        {"hostIP", port.host_ip}});
  return mappings;
}

// The runtimeConfig capabilities of one attachment: its ports and, for dnsname, its aliases.
nlohmann::json capability_args(const std::string& network, const std::vector<PortMapping>& ports,
                               const std::vector<std::string>& aliases, const std::string& ip = "",
                               const std::string& mac = "") {
  nlohmann::json args = {{"portMappings", port_mappings(ports)},
                         {"aliases", aliases_capability(network, aliases)}};
  if (!ip.empty())
    args["ips"] = nlohmann::json::array({ip});
  if (!mac.empty())
    args["mac"] = mac;
  return args;
}

}  // namespace

NetworkService::NetworkService(const NetworkOptions& options, NetworkStore store)
    : options_(options), store_(std::move(store)) {
  cni_.bin_dirs = options.cni_bin_dirs;
  cni_.env = {"XDG_RUNTIME_DIR=" + dnsname_runtime_dir(options.state).string()};
}

NetworkService::~NetworkService() = default;

Result<std::unique_ptr<NetworkService>> NetworkService::open(const NetworkOptions& options,
                                                             store::Database& db) {
  auto store = NetworkStore::open(db);
  if (!store)
    return std::move(store).error();
  NetworkOptions resolved = options;
  if (resolved.cni_conf_dir.empty())
    resolved.cni_conf_dir = options.root / "cni" / "net.d";
  std::unique_ptr<NetworkService> service(new NetworkService(resolved, std::move(*store)));
  for (const auto& dir : {resolved.cni_conf_dir, std::filesystem::path(service->ipam_dir()),
                          resolved.state / "netns"})
    KEEL_TRY(fs::mkdir_all(dir.string(), 0711));
  KEEL_TRY(service->ensure_default());
  auto all = service->store_.list();
  if (!all)
    return std::move(all).error();
  // Again at every start: a reboot or a flush of the host's rules took them.
  for (const auto& network : *all) {
    KEEL_TRY(service->write_conflist(network));
    KEEL_TRY(install_host_rules(network));
  }
  return service;
}

void NetworkService::set_users(NetworkUsers users) {
  std::lock_guard lock(mutex_);
  users_ = std::move(users);
}

std::string NetworkService::ipam_dir() const {
  return (options_.root / "networks" / "ipam").string();
}

std::filesystem::path NetworkService::conflist_path(const Network& network) const {
  return options_.cni_conf_dir / (network.name + ".conflist");
}

std::string NetworkService::netns_path(const std::string& container_id) const {
  return (options_.state / "netns" / container_id).string();
}

Result<void> NetworkService::write_conflist(const Network& network) {
  return fs::write_file_atomic(conflist_path(network).string(),
                               make_conflist(network, ipam_dir()).dump(2) + "\n", 0644);
}

Result<std::string> NetworkService::free_subnet(const std::vector<Network>& existing) const {
  std::vector<Ipv4Net> taken = host_routes();
  for (const auto& network : existing)
    if (auto subnet = parse_subnet(network.subnet))
      taken.push_back(*subnet);
  auto is_free = [&](const Ipv4Net& candidate) {
    for (const auto& used : taken)
      if (candidate.overlaps(used))
        return false;
    return true;
  };
  // docker's pools in its order of preference: 172.17-31/16, then 192.168.x/20 is left to
  // users; keel starts at 172.30 (its default) and wraps within 172.16/12, then tries 10.x/16.
  for (std::uint32_t second = 30; second < 30 + 16; ++second) {
    const Ipv4Net candidate{.address = (172U << 24) | ((16 + (second - 16) % 16) << 16),
                            .prefix = 16};
    if (is_free(candidate))
      return candidate.str();
  }
  for (std::uint32_t second = 0; second < 256; ++second) {
    const Ipv4Net candidate{.address = (10U << 24) | (second << 16), .prefix = 16};
    if (is_free(candidate))
      return candidate.str();
  }
  return Error::of(Errc::kUnavailable,
                   "could not find an available, non-overlapping IPv4 address pool among the "
                   "defaults to assign to the network");
}

Result<void> NetworkService::ensure_default() {
  if (auto found = store_.find("bridge"); found)
    return {};
  else if (found.error().kind() != Errc::kNotFound)
    return std::move(found).error();
  auto all = store_.list();
  if (!all)
    return std::move(all).error();
  std::string subnet = options_.default_subnet;
  if (subnet.empty()) {
    auto parsed = parse_subnet(kDefaultSubnet);
    // A bridge of that name left by an earlier keeld (a root made afresh, the host's keel0 kept)
    // holds the default subnet for this keeld too: its route is no reason to move elsewhere.
    bool routed = false;
    for (const auto& route : host_routes(options_.default_bridge))
      routed = routed || route.overlaps(*parsed);
    if (!routed) {
      subnet = kDefaultSubnet;
    } else {
      auto free = free_subnet(*all);
      if (!free)
        return std::move(free).error();
      subnet = *free;
    }
  }
  auto parsed = parse_subnet(subnet);
  if (!parsed)
    return std::move(parsed).error().context("the default network");
  Network network{.id = new_network_id(),
                  .name = "bridge",
                  .driver = "bridge",
                  .subnet = parsed->str(),
                  .gateway = ipv4_to_string(parsed->host(1)),
                  .bridge = options_.default_bridge,
                  .internal = false,
                  .labels = {},
                  .created_ns = now_ns()};
  KEEL_TRY(store_.insert(network));
  spdlog::info("default network \"bridge\": {} on {}", network.subnet, network.bridge);
  return {};
}

Result<Network> NetworkService::create(const CreateNetworkRequest& request) {
  if (!valid_name(request.name))
    return invalid("invalid network name \"" + request.name +
                   "\": only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed");
  if (request.name == "none" || request.name == "host")
    return Error::of(Errc::kFailedPrecondition,
                     "operation is not permitted on predefined " + request.name + " network");
  if (!request.driver.empty() && request.driver != "bridge")
    return Error::of(Errc::kNotFound, "plugin \"" + request.driver +
                                          "\" not found: keeld's only network driver is bridge");
  std::lock_guard lock(mutex_);
  auto all = store_.list();
  if (!all)
    return std::move(all).error();
  for (const auto& other : *all)
    if (other.name == request.name)
      return Error::of(Errc::kAlreadyExists,
                       "network with name " + request.name + " already exists");
  std::string subnet_text = request.subnet;
  if (subnet_text.empty()) {
    auto free = free_subnet(*all);
    if (!free)
      return std::move(free).error();
    subnet_text = *free;
  }
  auto subnet = parse_subnet(subnet_text);
  if (!subnet)
    return std::move(subnet).error();
  for (const auto& other : *all) {
    auto taken = parse_subnet(other.subnet);
    if (taken && taken->overlaps(*subnet))
      return Error::of(Errc::kFailedPrecondition,
                       "Pool overlaps with other one on this address space: " + subnet->str() +
                           " overlaps network \"" + other.name + "\" (" + other.subnet + ")");
  }
  std::uint32_t gateway = subnet->host(1);
  if (!request.gateway.empty()) {
    auto parsed = parse_ipv4(request.gateway);
    if (!parsed)
      return std::move(parsed).error();
    if (!subnet->contains(*parsed) || *parsed == subnet->address ||
        *parsed == (subnet->address | ~subnet->mask()))
      return invalid("invalid gateway " + request.gateway + ": not a host address of " +
                     subnet->str());
    gateway = *parsed;
  }
  Network network{.id = new_network_id(),
                  .name = request.name,
                  .driver = "bridge",
                  .subnet = subnet->str(),
                  .gateway = ipv4_to_string(gateway),
                  .bridge = "",
                  .internal = request.internal,
                  .labels = request.labels,
                  .created_ns = now_ns()};
  network.bridge = "br-" + network.id.substr(0, 12);  // docker's naming; 15 bytes, IFNAMSIZ-1
  KEEL_TRY(store_.insert(network));
  ScopeGuard undo_insert([&] {
    (void)store_.remove(network.id);
    std::error_code ec;
    std::filesystem::remove(conflist_path(network), ec);
  });
  KEEL_TRY(write_conflist(network));
  KEEL_TRY(install_host_rules(network));
  undo_insert.release();
  if (options_.bus != nullptr)
    publish_network_event(*options_.bus, "create", network.id, network.name);
  return network;
}

Result<Network> NetworkService::get(std::string_view id_or_name) {
  return store_.find(id_or_name);
}

Result<std::vector<Network>> NetworkService::list() {
  return store_.list();
}

Result<void> NetworkService::remove(std::string_view id_or_name) {
  std::lock_guard lock(mutex_);
  auto network = store_.find(id_or_name);
  if (!network)
    return std::move(network).error();
  if (network->is_default())
    return Error::of(Errc::kFailedPrecondition,
                     "bridge is a pre-defined network and cannot be removed");
  if (users_) {
    const auto users = users_(*network);
    if (!users.empty()) {
      std::string names;
      for (const auto& name : users)
        names += (names.empty() ? "" : ", ") + name;
      return Error::of(Errc::kFailedPrecondition, "error while removing network: network " +
                                                      network->name + " id " + network->id +
                                                      " has active endpoints (" + names + ")");
    }
  }
  KEEL_TRY(remove_host_rules(*network));
  KEEL_TRY(store_.remove(network->id));
  // The bridge the bridge plugin made on the first ADD; its gateway address goes with it.
  if (auto deleted = delete_link(network->bridge); !deleted)
    spdlog::warn("network {}: {}", network->name, deleted.error().message());
  (void)fs::remove_all(ipam_dir() + "/" + network->name);
  // Its containers are gone, so dnsname has stopped its dnsmasq; one a crash left goes here.
  if (auto stopped = remove_dns_server(dnsname_network_dir(options_.state, network->name));
      !stopped)
    spdlog::warn("network {}: {}", network->name, stopped.error().message());
  std::error_code ec;
  std::filesystem::remove(conflist_path(*network), ec);
  if (options_.bus != nullptr)
    publish_network_event(*options_.bus, "destroy", network->id, network->name);
  return {};
}

Result<std::vector<std::string>> NetworkService::prune() {
  auto all = list();
  if (!all)
    return std::move(all).error();
  std::vector<std::string> removed;
  for (const auto& network : *all) {
    if (network.is_default())
      continue;
    if (auto done = remove(network.id); done)
      removed.push_back(network.name);
    else if (done.error().kind() != Errc::kFailedPrecondition)
      return std::move(done).error();
  }
  return removed;
}

Result<std::vector<PortMapping>> NetworkService::check_ports(const std::vector<PortMapping>& ports,
                                                             const std::string& container_id) {
  std::lock_guard lock(mutex_);
  return check_ports_locked(ports, container_id);
}

Result<std::vector<PortMapping>> NetworkService::check_ports_locked(
    const std::vector<PortMapping>& ports, const std::string& container_id) {
  std::vector<PortMapping> resolved;
  for (PortMapping port : ports) {
    if (port.host_port != 0) {
      auto [first, last] = held_.equal_range(held_key(port));
      for (auto it = first; it != last; ++it)
        if (it->second.first != container_id && same_host_ip(it->second.second, port.host_ip))
          return port_allocated(port);
      for (const auto& earlier : resolved)
        if (held_key(earlier) == held_key(port) && same_host_ip(earlier.host_ip, port.host_ip))
          return port_allocated(port);
    }
    auto probe = bind_probe(port);
    if (!probe)
      return std::move(probe).error();
    if (port.host_port == 0) {
      auto chosen = bound_port(probe->get());
      if (!chosen)
        return std::move(chosen).error();
      port.host_port = *chosen;
    }
    resolved.push_back(std::move(port));
  }
  return resolved;
}

Result<Attachment> NetworkService::attach(const std::string& container_id,
                                          const std::string& network_name,
                                          const std::vector<PortMapping>& ports,
                                          const Endpoint& endpoint,
                                          const std::function<void()>& on_namespace) {
  auto network = store_.find(network_name);
  if (!network)
    return std::move(network).error();
  std::vector<PortMapping> resolved;
  {
    std::lock_guard lock(mutex_);
    auto checked = check_ports_locked(ports, container_id);
    if (!checked)
      return std::move(checked).error();
    resolved = std::move(*checked);
    // Held before the plugins run, so a concurrent start cannot take the same port.
    for (const auto& port : resolved)
      held_.emplace(held_key(port), std::pair{container_id, port.host_ip});
  }
  ScopeGuard release_ports([&] {
    std::lock_guard lock(mutex_);
    for (auto it = held_.begin(); it != held_.end();)
      it = it->second.first == container_id ? held_.erase(it) : std::next(it);
  });

  auto ns = NetNs::create(netns_path(container_id));
  if (!ns)
    return std::move(ns).error();
  if (on_namespace)
    on_namespace();
  auto attached = cni_add(container_id, *network, netns_path(container_id), "eth0", endpoint,
                          std::move(resolved),
                          ChainNeeds{.ports = !ports.empty(), .mac = !endpoint.mac.empty()});
  if (!attached)
    return std::move(attached).error();
  ns->release();
  release_ports.release();
  return attached;
}

Result<Attachment> NetworkService::connect(const std::string& container_id,
                                           const std::string& network_name,
                                           const std::string& netns, const std::string& ifname,
                                           const Endpoint& endpoint) {
  auto network = store_.find(network_name);
  if (!network)
    return std::move(network).error();
  auto attached = cni_add(container_id, *network, netns, ifname, endpoint, {},
                          ChainNeeds{.default_route = false, .ports = false, .mac = false});
  if (!attached)
    return std::move(attached).error().context(
        "connecting container " + container_id.substr(0, 12) + " to network " + network->name);
  return attached;
}

Result<Attachment> NetworkService::cni_add(const std::string& container_id, const Network& network,
                                           const std::string& netns, const std::string& ifname,
                                           const Endpoint& endpoint, std::vector<PortMapping> ports,
                                           const ChainNeeds& needs) {
  const bool named = resolves_names(network);
  CniCall call{.container_id = container_id,
               .netns = netns,
               .ifname = ifname,
               .args = cni_args(named ? endpoint.name : ""),
               .capability_args = capability_args(network.name, ports, endpoint.aliases,
                                                  endpoint.ip, needs.mac ? endpoint.mac : "")};
  const nlohmann::json chain = make_conflist(network, ipam_dir(), needs);
  auto list = CniConfList::parse(chain);
  if (!list)
    return std::move(list).error();
  auto result = list->add(cni_, call);
  if (!result)
    return std::move(result).error();
  return Attachment{.network = network.name,
                    .network_id = network.id,
                    .netns = netns,
                    .ifname = ifname,
                    .name = named ? endpoint.name : "",
                    .aliases = named ? endpoint.aliases : std::vector<std::string>{},
                    .ports = std::move(ports),
                    .result = result->raw,
                    .plugins = plugin_types(chain)};
}

Result<void> NetworkService::cni_del(const std::string& container_id, const Attachment& attachment,
                                     bool namespace_ends) {
  auto network = store_.find(attachment.network_id);
  if (!network) {
    if (network.error().kind() == Errc::kNotFound)
      return {};  // removed with its plugins' state: nothing left to delete
    return std::move(network).error();
  }
  nlohmann::json chain = make_conflist(*network, ipam_dir());
  if (!attachment.plugins.empty())
    chain = only_plugins(std::move(chain), attachment.plugins);
  auto list = CniConfList::parse(chain);
  if (!list)
    return std::move(list).error();
  CniCall call{
      .container_id = container_id,
      .netns = NetNs::exists(attachment.netns) ? attachment.netns : "",
      .ifname = attachment.ifname,
      .args = cni_args(attachment.name),
      .capability_args = capability_args(network->name, attachment.ports, attachment.aliases),
      .namespace_ends = namespace_ends};
  return list->del(cni_, call, attachment.result);
}

Result<std::size_t> NetworkService::release_orphan_leases(const std::set<std::string>& holders) {
  std::size_t released = 0;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(ipam_dir(), ec)) {
    if (!entry.is_directory(ec))
      continue;
    auto gone = release_leases_not_held(entry.path().string(), holders);
    if (!gone)
      return std::move(gone).error();
    released += *gone;
  }
  return released;
}

Result<void> NetworkService::detach(const std::string& container_id, const Attachment& attachment) {
  std::optional<Error> first;
  if (auto deleted = cni_del(container_id, attachment, true); !deleted)
    first = std::move(deleted).error();
  if (!attachment.netns.empty())
    if (auto removed = NetNs::remove(attachment.netns); !removed && !first)
      first = std::move(removed).error();
  {
    std::lock_guard lock(mutex_);
    for (auto it = held_.begin(); it != held_.end();)
      it = it->second.first == container_id ? held_.erase(it) : std::next(it);
  }
  if (first)
    return std::move(*first).context("detaching container " + container_id.substr(0, 12) +
                                     " from network " + attachment.network);
  return {};
}

Result<void> NetworkService::disconnect(const std::string& container_id,
                                        const Attachment& attachment, bool namespace_ends) {
  if (auto deleted = cni_del(container_id, attachment, namespace_ends); !deleted)
    return std::move(deleted).error().context("disconnecting container " +
                                              container_id.substr(0, 12) + " from network " +
                                              attachment.network);
  // The first network's interface (disconnected from a running container) held its ports.
  if (!attachment.ports.empty()) {
    std::lock_guard lock(mutex_);
    for (auto it = held_.begin(); it != held_.end();)
      it = it->second.first == container_id ? held_.erase(it) : std::next(it);
  }
  return {};
}

void NetworkService::adopt(const std::string& container_id, const Attachment& attachment) {
  std::lock_guard lock(mutex_);
  for (const auto& port : attachment.ports)
    held_.emplace(held_key(port), std::pair{container_id, port.host_ip});
}

}  // namespace keel::manager::network
