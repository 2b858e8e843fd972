#include "manager/network/bridge_plugin.h"

#include <fcntl.h>
#include <sys/random.h>

#include <array>
#include <charconv>
#include <cstdio>
#include <filesystem>
#include <optional>
#include <set>
#include <vector>

#include "common/fs.h"
#include "common/scope_guard.h"
#include "common/unique_fd.h"
#include "manager/network/cni_result.h"
#include "manager/network/host_local_ipam.h"
#include "manager/network/netns.h"
#include "manager/network/rtnetlink.h"

namespace keel::manager::network {
namespace {

// host-local's dataDir when a configuration names none.
constexpr const char* kDefaultDataDir = "/var/lib/cni/networks";
// The bridge plugin's bridge when a configuration names none.
constexpr const char* kDefaultBridge = "cni0";

struct IpamRoute {
  Ipv4Net dst;
  std::uint32_t gw = 0;  // 0: through the range's gateway
};

struct BridgeConf {
  std::string cni_version;
  std::string network;
  std::string bridge = kDefaultBridge;
  bool is_gateway = false;
  bool hairpin = false;
  unsigned mtu = 0;  // 0: the bridge's
  Ipv4Range range;
  std::vector<IpamRoute> routes;
  nlohmann::json routes_json = nlohmann::json::array();  // echoed in the result as given
  nlohmann::json dns = nlohmann::json::object();
  std::string lease_dir;  // <dataDir>/<network>
  std::optional<std::uint32_t> requested;
};

bool only_keys(const nlohmann::json& object, const std::set<std::string>& known) {
  if (!object.is_object())
    return false;
  for (const auto& [key, value] : object.items())
    if (!known.contains(key))
      return false;
  return true;
}

// "10.0.0.0/8" with host bits allowed (a route's dst as host-local reads it), or a bare address as
// /32.
Result<Ipv4Net> parse_cidr(std::string_view text) {
  const auto slash = text.find('/');
  auto address = parse_ipv4(text.substr(0, slash));
  if (!address)
    return std::move(address).error();
  int prefix = 32;
  if (slash != std::string_view::npos) {
    const std::string_view bits = text.substr(slash + 1);
    const auto [end, ec] = std::from_chars(bits.data(), bits.data() + bits.size(), prefix);
    if (ec != std::errc() || end != bits.data() + bits.size() || prefix < 0 || prefix > 32)
      return Error::of(Errc::kInvalidArgument, "invalid CIDR " + std::string(text));
  }
  Ipv4Net net{.address = *address, .prefix = prefix};
  net.address &= net.mask();
  return net;
}

// An address of runtimeConfig.ips, "10.0.0.5" or "10.0.0.5/24": the address, whatever prefix.
Result<std::uint32_t> requested_address(std::string_view text) {
  return parse_ipv4(text.substr(0, text.find('/')));
}

Result<BridgeConf> parse_conf(const nlohmann::json& config) {
  BridgeConf conf;
  conf.cni_version = config.value("cniVersion", "");
  conf.network = config.value("name", "");
  conf.bridge = config.value("bridge", kDefaultBridge);
  conf.is_gateway = config.value("isGateway", false);
  conf.hairpin = config.value("hairpinMode", false);
  conf.mtu = config.value("mtu", 0U);
  if (conf.network.empty() || conf.network.find('/') != std::string::npos)
    return Error::of(Errc::kInvalidArgument, "invalid network name \"" + conf.network + "\"");
  const auto& ipam = config["ipam"];
  const auto& range = ipam["ranges"][0][0];
  auto parsed = Ipv4Range::from_json(range.value("subnet", ""), range.value("gateway", ""),
                                     range.value("rangeStart", ""), range.value("rangeEnd", ""));
  if (!parsed)
    return std::move(parsed).error().context("ipam range");
  conf.range = *parsed;
  if (auto routes = ipam.find("routes"); routes != ipam.end() && routes->is_array()) {
    conf.routes_json = *routes;
    for (const auto& route : *routes) {
      auto dst = parse_cidr(route.value("dst", ""));
      if (!dst)
        return std::move(dst).error().context("ipam route");
      IpamRoute parsed_route{.dst = *dst};
      if (const std::string gw = route.value("gw", ""); !gw.empty()) {
        auto via = parse_ipv4(gw);
        if (!via)
          return std::move(via).error().context("ipam route gw");
        parsed_route.gw = *via;
      }
      conf.routes.push_back(parsed_route);
    }
  }
  if (auto dns = ipam.find("dns"); dns != ipam.end() && dns->is_object())
    conf.dns = *dns;
  conf.lease_dir =
      (std::filesystem::path(ipam.value("dataDir", kDefaultDataDir)) / conf.network).string();
  if (auto rc = config.find("runtimeConfig");
      rc != config.end() && rc->contains("ips") && !(*rc)["ips"].empty()) {
    auto ip = requested_address((*rc)["ips"][0].get<std::string>());
    if (!ip)
      return std::move(ip).error().context("runtimeConfig.ips");
    conf.requested = *ip;
  }
  return conf;
}

// Writes a sysctl; a missing one (IPv6 disabled) is skipped as the plugin skips it.
Result<void> write_sysctl(const std::string& path, std::string_view value) {
  UniqueFd fd(::open(path.c_str(), O_WRONLY | O_TRUNC | O_CLOEXEC));
  if (fd.get() < 0)
    return errno == ENOENT ? Result<void>() : Error::sys("opening " + path);
  return fs::write_all(fd.get(), value);
}

// A gateway forwards: net.ipv4.ip_forward on, written only when off.
Result<void> enable_ip_forward() {
  constexpr const char* kPath = "/proc/sys/net/ipv4/ip_forward";
  auto current = fs::read_file(kPath);
  if (current && current->starts_with("1"))
    return {};
  return write_sysctl(kPath, "1");
}

std::string random_veth_name() {
  std::array<unsigned char, 4> bytes{};
  if (::getrandom(bytes.data(), bytes.size(), 0) != static_cast<ssize_t>(bytes.size()))
    bytes = {};
  std::array<char, 16> name{};
  std::snprintf(name.data(), name.size(), "veth%02x%02x%02x%02x", bytes[0], bytes[1], bytes[2],
                bytes[3]);
  return name.data();
}

// The bridge, created when missing, up, with the gateway's address when it is the gateway.
Result<LinkState> ensure_bridge(RtNetlink& nl, const BridgeConf& conf) {
  auto existing = nl.link(conf.bridge);
  if (!existing)
    return std::move(existing).error();
  if (!*existing) {
    auto added = nl.add_bridge(conf.bridge);
    if (!added && added.error().kind() != Errc::kAlreadyExists)  // another ADD made it meanwhile
      return std::move(added).error();
    existing = nl.link(conf.bridge);
    if (!existing)
      return std::move(existing).error();
    if (!*existing)
      return Error::of(Errc::kInternal, "bridge " + conf.bridge + " vanished after creation");
    // No router advertisements taken on the bridge, as the plugin sets it.
    KEEL_TRY(write_sysctl("/proc/sys/net/ipv6/conf/" + conf.bridge + "/accept_ra", "0"));
  }
  LinkState bridge = **existing;
  if (bridge.type != "bridge")
    return Error::of(Errc::kAlreadyExists,
                     "link " + conf.bridge + " already exists but is not a bridge");
  if (!bridge.up)
    KEEL_TRY(nl.set_up(bridge.index));
  if (conf.is_gateway) {
    KEEL_TRY(nl.add_address(bridge.index, conf.range.gateway, conf.range.subnet.prefix));
    KEEL_TRY(enable_ip_forward());
  }
  return bridge;
}

// The veth pair with a free random host name; its host name.
Result<std::string> create_veth(RtNetlink& nl, const BridgeConf& conf, const LinkState& bridge,
                                const std::string& ifname, int netns_fd) {
  constexpr int kAttempts = 10;
  for (int attempt = 0; attempt < kAttempts; ++attempt) {
    const std::string host_name = random_veth_name();
    auto added = nl.add_veth(VethPair{.host_name = host_name,
                                      .peer_name = ifname,
                                      .peer_netns_fd = netns_fd,
                                      .mtu = conf.mtu != 0 ? conf.mtu : bridge.mtu,
                                      .master = bridge.index});
    if (added)
      return host_name;
    if (added.error().kind() != Errc::kAlreadyExists)
      return std::move(added).error();
    auto taken = nl.link(host_name);
    if (taken && !*taken)  // not the host name: the container already has an `ifname`
      return Error::of(Errc::kAlreadyExists, "container interface " + ifname + " already exists");
  }
  return Error::of(Errc::kAlreadyExists,
                   "no free veth name after " + std::to_string(kAttempts) + " attempts");
}

struct ContainerSide {
  std::string mac;
};

// Inside the namespace: the interface up with its address and routes.
Result<ContainerSide> configure_container(const BridgeConf& conf, const CniCall& call,
                                          std::uint32_t address) {
  ContainerSide side;
  auto configured = NetNs::run_inside(call.netns, [&]() -> Result<void> {
    auto nl = RtNetlink::open();
    if (!nl)
      return std::move(nl).error();
    auto link = nl->link(call.ifname);
    if (!link)
      return std::move(link).error();
    if (!*link)
      return Error::of(Errc::kNotFound, call.ifname + " is missing in " + call.netns);
    side.mac = (*link)->mac;
    const std::string conf_dir = "/proc/sys/net/ipv6/conf/" + call.ifname;
    // No duplicate address detection delay for the IPv6 link-local address, and a gratuitous
    // ARP from the kernel when the address comes up, as the plugin sets them.
    KEEL_TRY(write_sysctl(conf_dir + "/accept_dad", "0"));
    KEEL_TRY(write_sysctl("/proc/sys/net/ipv4/conf/" + call.ifname + "/arp_notify", "1"));
    KEEL_TRY(nl->set_up((*link)->index));
    KEEL_TRY(nl->add_address((*link)->index, address, conf.range.subnet.prefix));
    for (const auto& route : conf.routes)
      KEEL_TRY(
          nl->add_route((*link)->index, route.dst, route.gw != 0 ? route.gw : conf.range.gateway));
    return {};
  });
  if (!configured)
    return std::move(configured).error();
  return side;
}

Result<std::string> add(const BridgeConf& conf, const CniCall& call) {
  UniqueFd netns(::open(call.netns.c_str(), O_RDONLY | O_CLOEXEC));
  if (netns.get() < 0 || !NetNs::exists(call.netns))
    return Error::sys("opening network namespace " + call.netns);
  auto address =
      lease_address(conf.lease_dir, conf.range, call.container_id, call.ifname, conf.requested);
  if (!address)
    return std::move(address).error();
  ScopeGuard release_lease(
      [&] { (void)release_addresses(conf.lease_dir, call.container_id, call.ifname); });

  auto nl = RtNetlink::open();
  if (!nl)
    return std::move(nl).error();
  auto bridge = ensure_bridge(*nl, conf);
  if (!bridge)
    return std::move(bridge).error();
  auto host_name = create_veth(*nl, conf, *bridge, call.ifname, netns.get());
  if (!host_name)
    return std::move(host_name).error();
  // Deleting one end deletes the pair, wherever the other end is.
  ScopeGuard delete_veth([&] { (void)nl->delete_link(*host_name); });
  if (conf.hairpin)
    KEEL_TRY(fs::write_file("/sys/class/net/" + *host_name + "/brport/hairpin_mode", "1"));
  KEEL_TRY(write_sysctl("/proc/sys/net/ipv6/conf/" + *host_name + "/accept_ra", "0"));
  auto host = nl->link(*host_name);
  if (!host)
    return std::move(host).error();
  auto container = configure_container(conf, call, *address);
  if (!container)
    return std::move(container).error();
  // The bridge's address may have changed with its new port (it takes the lowest port's).
  auto bridge_now = nl->link(conf.bridge);
  const std::string bridge_mac = bridge_now && *bridge_now ? (*bridge_now)->mac : bridge->mac;

  nlohmann::json result = {
      {"cniVersion", conf.cni_version},
      {"interfaces",
       {{{"name", conf.bridge}, {"mac", bridge_mac}},
        {{"name", *host_name}, {"mac", *host ? (*host)->mac : ""}},
        {{"name", call.ifname}, {"mac", container->mac}, {"sandbox", call.netns}}}},
      {"ips",
       {{{"interface", 2},
         {"address", ipv4_to_string(*address) + "/" + std::to_string(conf.range.subnet.prefix)},
         {"gateway", ipv4_to_string(conf.range.gateway)}}}},
      {"routes", conf.routes_json},
      {"dns", conf.dns},
  };
  delete_veth.release();
  release_lease.release();
  return result.dump();
}

// The host ends of the veth pairs a previous result names (interfaces outside any sandbox other
// than the bridge).
std::vector<std::string> host_veths(const nlohmann::json& config, const std::string& bridge) {
  std::vector<std::string> names;
  auto prev = config.find("prevResult");
  if (prev == config.end() || !prev->is_object() || !prev->contains("interfaces"))
    return names;
  for (const auto& iface : (*prev)["interfaces"])
    if (iface.is_object() && iface.value("sandbox", "").empty() &&
        iface.value("name", "") != bridge && !iface.value("name", "").empty())
      names.push_back(iface.value("name", ""));
  return names;
}

Result<std::string> del(const BridgeConf& conf, const nlohmann::json& config, const CniCall& call) {
  KEEL_TRY(release_addresses(conf.lease_dir, call.container_id, call.ifname));
  if (!call.netns.empty() && NetNs::exists(call.netns)) {
    KEEL_TRY(NetNs::run_inside(call.netns, [&]() -> Result<void> {
      auto nl = RtNetlink::open();
      if (!nl)
        return std::move(nl).error();
      if (!call.namespace_ends)
        return nl->delete_link(call.ifname);
      // The pair goes with the namespace; until then the interface keeps no address, so that
      // one leased again at once (a restart with --ip) has no twin answering ARP beside it.
      auto link = nl->link(call.ifname);
      if (!link)
        return std::move(link).error();
      if (!*link)
        return {};
      auto held = nl->addresses((*link)->index);
      if (!held)
        return std::move(held).error();
      for (const auto& [address, prefix] : *held)
        if (auto removed = nl->delete_address((*link)->index, address, prefix); !removed)
          return removed;
      return {};
    }));
    return std::string();
  }
  // The namespace is gone: its end went with it, the host end may not have yet.
  auto nl = RtNetlink::open();
  if (!nl)
    return std::move(nl).error();
  for (const auto& name : host_veths(config, conf.bridge)) {
    auto link = nl->link(name);
    if (link && *link && (*link)->type == "veth")
      KEEL_TRY(nl->delete_link(name));
  }
  return std::string();
}

Result<std::string> check(const BridgeConf& conf, const nlohmann::json& config,
                          const CniCall& call) {
  if (!config.contains("prevResult"))
    return Error::of(Errc::kInvalidArgument, "CHECK needs a prevResult");
  auto prev = cni_result_from_json(config["prevResult"]);
  if (!prev)
    return std::move(prev).error();
  const CniIp* ip = prev->container_ip(call.netns);
  if (ip == nullptr)
    return Error::of(Errc::kFailedPrecondition, "prevResult has no address for " + call.netns);
  auto bare = requested_address(ip->address);
  if (!bare)
    return Error::of(Errc::kInvalidArgument, "prevResult address " + ip->address);
  const auto leased = leased_addresses(conf.lease_dir, call.container_id, call.ifname);
  if (std::find(leased.begin(), leased.end(), *bare) == leased.end())
    return Error::of(Errc::kFailedPrecondition, ip->address + " is not leased to the container");
  auto nl = RtNetlink::open();
  if (!nl)
    return std::move(nl).error();
  auto bridge = nl->link(conf.bridge);
  if (!bridge)
    return std::move(bridge).error();
  if (!*bridge)
    return Error::of(Errc::kFailedPrecondition, "bridge " + conf.bridge + " is missing");
  for (const auto& name : host_veths(config, conf.bridge)) {
    auto link = nl->link(name);
    if (!link)
      return std::move(link).error();
    if (!*link || (*link)->master != (*bridge)->index)
      return Error::of(Errc::kFailedPrecondition, name + " is not a port of " + conf.bridge);
  }
  KEEL_TRY(NetNs::run_inside(call.netns, [&]() -> Result<void> {
    auto inside = RtNetlink::open();
    if (!inside)
      return std::move(inside).error();
    auto link = inside->link(call.ifname);
    if (!link)
      return std::move(link).error();
    if (!*link || !(*link)->up)
      return Error::of(Errc::kFailedPrecondition, call.ifname + " is missing or down");
    auto addresses = inside->addresses((*link)->index);
    if (!addresses)
      return std::move(addresses).error();
    for (const auto& [have, prefix] : *addresses)
      if (have == *bare)
        return {};
    return Error::of(Errc::kFailedPrecondition, call.ifname + " lacks " + ip->address);
  }));
  return std::string();
}

}  // namespace

bool bridge_plugin_handles(const nlohmann::json& config) {
  static const std::set<std::string> kKeys = {
      "cniVersion",  "name", "type", "bridge",        "isGateway",  "ipMasq",
      "hairpinMode", "mtu",  "ipam", "runtimeConfig", "prevResult", "capabilities"};
  static const std::set<std::string> kIpamKeys = {"type", "ranges", "routes", "dataDir", "dns"};
  if (!only_keys(config, kKeys) || config.value("ipMasq", false))
    return false;
  const auto ipam = config.find("ipam");
  if (ipam == config.end() || !only_keys(*ipam, kIpamKeys) ||
      ipam->value("type", "") != "host-local")
    return false;
  const auto ranges = ipam->find("ranges");
  if (ranges == ipam->end() || !ranges->is_array() || ranges->size() != 1 ||
      !(*ranges)[0].is_array() || (*ranges)[0].size() != 1 ||
      !only_keys((*ranges)[0][0], {"subnet", "gateway", "rangeStart", "rangeEnd"}) ||
      !parse_subnet((*ranges)[0][0].value("subnet", "")))
    return false;
  if (auto rc = config.find("runtimeConfig"); rc != config.end()) {
    if (!only_keys(*rc, {"ips"}))
      return false;
    if (rc->contains("ips")) {
      const auto& ips = (*rc)["ips"];
      if (!ips.is_array() || ips.size() > 1 || (ips.size() == 1 && !ips[0].is_string()) ||
          (ips.size() == 1 && !requested_address(ips[0].get<std::string>())))
        return false;
    }
  }
  return true;
}

Result<std::string> run_bridge_plugin(const std::string& command, const nlohmann::json& config,
                                      const CniCall& call) {
  if (command == "VERSION")
    return nlohmann::json{{"cniVersion", "1.0.0"},
                          {"supportedVersions", {"0.3.0", "0.3.1", "0.4.0", "1.0.0"}}}
        .dump();
  auto conf = parse_conf(config);
  if (!conf)
    return std::move(conf).error();
  if (command == "ADD")
    return add(*conf, call);
  if (command == "DEL")
    return del(*conf, config, call);
  if (command == "CHECK")
    return check(*conf, config, call);
  return Error::of(Errc::kInvalidArgument, "unknown CNI command \"" + command + "\"");
}

}  // namespace keel::manager::network
