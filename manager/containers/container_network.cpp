#include "manager/containers/container_network.h"

#include <unistd.h>

#include <algorithm>
#include <optional>

#include <spdlog/spdlog.h>

#include "common/fs.h"
#include "manager/network/dnsname.h"
#include "manager/network/etc_files.h"
#include "manager/network/ipv4_net.h"
#include "manager/network/mac_address.h"
#include "manager/network/netns.h"
#include "manager/network/network_events.h"

namespace keel::manager::containers {

bool uses_cni(const ContainerRecord& record) {
  return record.network_mode != "none" && record.network_mode != "host" &&
         !record.network_mode.starts_with("container:");
}

namespace {

// The namespace of another container, for --network container:ID: its bound file when keeld
// made it one, else its init's.
Result<std::string> joined_netns(ServiceState& state, const std::string& other_name,
                                 ContainerRecord& record) {
  auto other = state.store.find(other_name);
  if (!other)
    return std::move(other).error();
  if (other->id == record.id)
    return Error::of(Errc::kInvalidArgument, "cannot join own network namespace");
  if (!is_live(other->state.status))
    return Error::of(Errc::kFailedPrecondition,
                     "cannot join network namespace of a non running container: " + other->name);
  record.network_mode = "container:" + other->id;
  if (other->attachment)
    return other->attachment->netns;
  if (other->network_mode == "host")
    return Error::of(Errc::kInvalidArgument,
                     "cannot join the network of container " + other->name +
                         ": it uses the host's network; use --network host");
  return "/proc/" + std::to_string(other->state.pid) + "/ns/net";
}

// -p's mappings, then with -P each port the image EXPOSEs that no -p names, on a free host port
// (chosen at each start, as docker does).
Result<std::vector<network::PortMapping>> published_ports(const ImageConfig& image,
                                                          const RunOptions& run) {
  std::vector<network::PortMapping> ports = run.publish;
  if (!run.publish_all)
    return ports;
  for (const auto& exposed : image.exposed_ports) {
    auto parsed = network::parse_publish(exposed);
    if (!parsed)
      return std::move(parsed).error().context("image EXPOSE");
    for (const auto& port : *parsed) {
      const bool named = std::any_of(ports.begin(), ports.end(), [&](const auto& p) {
        return p.container_port == port.container_port && p.protocol == port.protocol;
      });
      if (!named)
        ports.push_back(port);
    }
  }
  return ports;
}

std::string host_name() {
  char name[256] = {};
  if (::gethostname(name, sizeof name - 1) != 0)
    return "localhost";
  return name;
}

// docker's host-gateway: the gateway of the container's network, the default network's when
// the container has none of its own (host, none). Empty when keeld runs without networks.
std::string host_gateway(const ServiceState& state, const ContainerRecord& record) {
  if (record.attachment && !record.attachment->gateway().empty())
    return record.attachment->gateway();
  if (state.options.networks == nullptr)
    return "";
  auto found = state.options.networks->get(uses_cni(record) ? record.network_mode : "bridge");
  return found ? found->gateway : "";
}

// --add-host's entries, host-gateway resolved.
Result<std::vector<network::HostEntry>> extra_hosts(const ServiceState& state,
                                                    const ContainerRecord& record) {
  std::vector<network::HostEntry> entries = record.extra_hosts;
  for (auto& entry : entries) {
    if (entry.address != network::kHostGateway)
      continue;
    entry.address = host_gateway(state, record);
    if (entry.address.empty())
      return Error::of(Errc::kFailedPrecondition,
                       "--add-host host-gateway: keeld runs without networks, so there is no "
                       "gateway");
  }
  return entries;
}

// The DNS servers of the container's networks that resolve names (their dnsmasq, on each
// gateway), its --network's first, then those joined with network connect, as docker's embedded
// server answers for every network of the container. Each dnsmasq knows its own network's names
// only, and resolvers stop at the first answer, so names of a later network resolve only where
// the earlier ones have no such name; glibc reads the first three nameservers.
std::vector<std::string> network_dns_servers(const ContainerRecord& record) {
  std::vector<std::string> servers;
  const auto add = [&](const network::Attachment& a) {
    if (!a.name.empty() && !a.gateway().empty())
      servers.push_back(a.gateway());
  };
  if (record.attachment)
    add(*record.attachment);
  for (const auto& a : record.connected_attachments)
    add(a);
  return servers;
}

// How write_etc reaches the files: a new file renamed over the old one before the task is
// created, the same file rewritten once a running container has it bind-mounted.
enum class EtcWrite { kReplace, kInPlace };

Result<void> write_etc(const ServiceState& state, const ContainerRecord& record,
                       EtcWrite how = EtcWrite::kReplace) {
  const std::string dir = state.dir_of(record.id);
  auto host_resolv = fs::read_file("/etc/resolv.conf");
  const std::string resolv = host_resolv ? *host_resolv : std::string();
  auto extra = extra_hosts(state, record);
  if (!extra)
    return std::move(extra).error();
  if (record.network_mode == "host") {
    // The host's own view: its hosts file and its resolvers, loopback ones included.
    auto hosts = fs::read_file("/etc/hosts");
    std::string text = hosts ? *hosts : network::hosts_file({});
    if (!text.empty() && !text.ends_with('\n'))
      text += '\n';
    for (const auto& entry : *extra)
      text += entry.address + "\t" + entry.names.front() + "\n";
    KEEL_TRY(fs::write_file_atomic(dir + "/hosts", text, 0644));
    KEEL_TRY(fs::write_file_atomic(dir + "/hostname", record.hostname + "\n", 0644));
    KEEL_TRY(fs::write_file_atomic(dir + "/resolv.conf",
                                   network::apply_dns_overrides(resolv, record.dns), 0644));
    return {};
  }
  // The container's names on each of its addresses, as docker adds a line for each network.
  std::vector<std::string> names = {record.hostname};
  if (record.name != record.hostname)
    names.push_back(record.name);
  std::vector<network::HostEntry> entries;
  if (record.attachment && !record.attachment->ip_address().empty())
    entries.push_back({record.attachment->ip_address(), names});
  for (const auto& a : record.connected_attachments)
    if (!a.ip_address().empty())
      entries.push_back({a.ip_address(), names});
  entries.insert(entries.end(), extra->begin(), extra->end());
  const std::string resolv_conf =
      network::resolv_conf_for(resolv, network_dns_servers(record), record.dns);
  if (how == EtcWrite::kInPlace)
    return network::rewrite_etc_files(dir, entries, resolv_conf);
  return network::write_etc_files(dir, record.hostname, entries, resolv_conf);
}

// docker's refusal of --ip outside a user network.
Error ip_needs_user_network() {
  return Error::of(Errc::kInvalidArgument,
                   "user specified IP address is supported on user defined networks only");
}

// --ip on `network`: an IPv4 address of its subnet a container may hold (not the network's
// own address, its broadcast or its gateway).
Result<std::string> checked_ip(const network::Network& network, const std::string& text) {
  auto ip = network::parse_ipv4(text);
  if (!ip)
    return Error::of(Errc::kInvalidArgument, "invalid IPv4 address: " + text);
  auto subnet = network::parse_subnet(network.subnet);
  if (!subnet)
    return std::move(subnet).error();
  if (!subnet->contains(*ip))
    return Error::of(Errc::kInvalidArgument, "invalid address " + text +
                                                 ": it does not belong to the subnet " +
                                                 network.subnet + " of network " + network.name);
  const std::uint32_t broadcast = subnet->address | ~subnet->mask();
  if (*ip == subnet->address || *ip == broadcast || text == network.gateway)
    return Error::of(Errc::kInvalidArgument, "invalid address " + text + ": it is the " +
                                                 (text == network.gateway ? "gateway"
                                                  : *ip == broadcast      ? "broadcast address"
                                                                          : "network address") +
                                                 " of network " + network.name);
  return network::ipv4_to_string(*ip);
}

// The flags that shape the container's own files and interface, checked and kept in the record
// before anything is made.
Result<void> take_endpoint_flags(const RunOptions& run, ContainerRecord& record) {
  KEEL_TRY(network::validate_dns_overrides(run.dns));
  std::vector<network::HostEntry> extra;
  for (const auto& text : run.extra_hosts) {
    auto entry = network::parse_extra_host(text);
    if (!entry)
      return std::move(entry).error();
    extra.push_back(std::move(*entry));
  }
  std::string mac;
  if (!run.mac_address.empty()) {
    auto parsed = network::parse_mac_address(run.mac_address);
    if (!parsed)
      return std::move(parsed).error();
    mac = std::move(*parsed);
  }
  // docker's refusals: a joined namespace has its owner's files and interface.
  if (run.network == NetworkMode::kContainer) {
    if (!run.dns.servers.empty() || !run.dns.search.empty() || !run.dns.options.empty())
      return Error::of(Errc::kInvalidArgument, "conflicting options: dns and the network mode");
    if (!extra.empty())
      return Error::of(Errc::kInvalidArgument,
                       "conflicting options: custom host-to-IP mapping and the network mode");
  }
  if (!mac.empty() && run.network != NetworkMode::kBridge)
    return Error::of(Errc::kInvalidArgument,
                     "conflicting options: mac-address and the network mode");
  if (!run.ip.empty() && run.network != NetworkMode::kBridge)
    return ip_needs_user_network();
  record.dns = run.dns;
  record.extra_hosts = std::move(extra);
  record.mac_address = std::move(mac);
  return {};
}

// docker's rule: names resolve on user networks only, so aliases mean nothing elsewhere.
Error aliases_need_user_network() {
  return Error::of(Errc::kInvalidArgument,
                   "network-scoped alias is supported only for containers in user defined "
                   "networks");
}

network::Endpoint endpoint_of(const ContainerRecord& record,
                              const std::vector<std::string>& aliases, const std::string& ip = "") {
  return {.name = record.name, .aliases = aliases, .ip = ip, .mac = ""};
}

// The first of eth1, eth2, ... no attachment of the container uses.
std::string free_ifname(const ContainerRecord& record) {
  for (int i = 1;; ++i) {
    const std::string name = "eth" + std::to_string(i);
    const bool used =
        std::any_of(record.connected_attachments.begin(), record.connected_attachments.end(),
                    [&](const auto& a) { return a.ifname == name; });
    if (!used)
      return name;
  }
}

// The attachment of a container whose --network was disconnected: its namespace only, with lo.
network::Attachment bare_namespace(std::string netns) {
  network::Attachment a;
  a.netns = std::move(netns);
  a.ifname.clear();
  return a;
}

bool is_bare(const network::Attachment& a) {
  return a.network_id.empty();
}

void publish_attachment_event(ServiceState& state, const ContainerRecord& record,
                              const network::Attachment& a, const std::string& action) {
  if (!is_bare(a))
    network::publish_network_event(state.bus, action, a.network_id, a.network, record.id);
}

// Each network connect'ed network wired again into the new namespace. Mutex held.
Result<void> attach_connected(ServiceState& state, ContainerRecord& record) {
  for (const auto& connection : record.connected) {
    auto attachment = state.options.networks->connect(
        record.id, connection.network, record.attachment->netns, free_ifname(record),
        endpoint_of(record, connection.aliases, connection.ip));
    if (!attachment)
      return std::move(attachment).error();
    record.connected_attachments.push_back(std::move(*attachment));
  }
  return {};
}

// The namespace of a container without its --network (network disconnect): made bare, lo up.
Result<network::Attachment> make_bare_namespace(ServiceState& state,
                                                const ContainerRecord& record) {
  const std::string path = state.options.networks->netns_path(record.id);
  auto ns = network::NetNs::create(path);
  if (!ns)
    return std::move(ns).error();
  ns->release();
  return bare_namespace(path);
}

// CNI DEL of one interface of a running container. With --force a failure is logged and the
// interface forgotten anyway (docker's disconnect -f); without, it is the error.
Result<void> remove_interface(ServiceState& state, const ContainerRecord& record,
                              const network::Attachment& attachment, bool force) {
  auto done = state.options.networks->disconnect(record.id, attachment);
  if (done || !force)
    return done;
  spdlog::warn("container {}: {} (forgotten: --force)", record.id, done.error().message());
  return {};
}

// The hosts and resolv.conf of a container whose networks changed while it runs. The change is
// made already, so a failure here is logged rather than undoing it.
void rewrite_etc(const ServiceState& state, const ContainerRecord& record) {
  if (auto written = write_etc(state, record, EtcWrite::kInPlace); !written)
    spdlog::warn("container {}: rewriting its hosts and resolv.conf: {}", record.id,
                 written.error().message());
}

}  // namespace

Result<void> prepare_network(ServiceState& state, const ImageConfig& image, const RunOptions& run,
                             ContainerRecord& record, SpecContext& context) {
  record.ports.clear();
  record.network_disconnected = false;
  KEEL_TRY(take_endpoint_flags(run, record));
  switch (run.network) {
    case NetworkMode::kNone:
      record.network_mode = "none";
      break;
    case NetworkMode::kHost:
      record.network_mode = "host";
      record.hostname = host_name();
      break;
    case NetworkMode::kContainer: {
      auto path = joined_netns(state, run.network_name, record);
      if (!path)
        return std::move(path).error();
      context.netns_path = *path;
      break;
    }
    case NetworkMode::kBridge: {
      if (state.options.networks == nullptr)
        return Error::of(Errc::kFailedPrecondition,
                         "network " + run.network_name + ": keeld runs without networks");
      auto found = state.options.networks->get(run.network_name);
      if (!found)
        return std::move(found).error();
      record.network_mode = found->name;
      if (!run.network_aliases.empty() && found->is_default())
        return aliases_need_user_network();
      for (const auto& alias : run.network_aliases)
        KEEL_TRY(network::validate_alias(alias));
      record.network_aliases = run.network_aliases;
      record.ip.clear();
      if (!run.ip.empty()) {
        if (found->is_default())
          return ip_needs_user_network();
        auto ip = checked_ip(*found, run.ip);
        if (!ip)
          return std::move(ip).error();
        record.ip = std::move(*ip);
      }
      auto ports = published_ports(image, run);
      if (!ports)
        return std::move(ports).error();
      // Refused now, as docker refuses the run, rather than at the first start.
      auto checked = state.options.networks->check_ports(*ports, record.id);
      if (!checked)
        return std::move(checked).error();
      record.ports = std::move(*ports);
      context.netns_path = state.options.networks->netns_path(record.id);
      break;
    }
  }
  if (!run.network_aliases.empty() && run.network != NetworkMode::kBridge)
    return aliases_need_user_network();
  if (!run.publish.empty() && run.network != NetworkMode::kBridge)
    spdlog::info("container {}: -p ignored with --network {}", record.id, record.network_mode);
  if (record.hostname.empty())
    record.hostname = run.hostname.empty() ? record.id.substr(0, 12) : run.hostname;
  context.etc_dir = state.dir_of(record.id);
  return write_etc(state, record);
}

Result<void> attach_network(ServiceState& state, ContainerRecord& record,
                            const std::function<void()>& on_namespace) {
  if (!uses_cni(record))
    return {};
  if (state.options.networks == nullptr)
    return Error::of(Errc::kFailedPrecondition,
                     "network " + record.network_mode + ": keeld runs without networks");
  if (record.attachment)
    detach_network(state, record);  // left by a start that did not finish
  if (record.network_disconnected) {
    auto bare = make_bare_namespace(state, record);
    if (!bare)
      return std::move(bare).error();
    record.attachment = std::move(*bare);
    if (on_namespace)
      on_namespace();
  } else {
    network::Endpoint endpoint = endpoint_of(record, record.network_aliases);
    endpoint.ip = record.ip;
    endpoint.mac = record.mac_address;
    auto attachment = state.options.networks->attach(record.id, record.network_mode, record.ports,
                                                     endpoint, on_namespace);
    if (!attachment)
      return std::move(attachment).error();
    record.attachment = std::move(*attachment);
  }
  if (auto connected = attach_connected(state, record); !connected) {
    detach_network(state, record);
    return connected;
  }
  // Deferred: a crash keeps it (the WAL is written), and if a power cut drops it, the namespace
  // and veths are gone with the boot and recovery releases the lease no record holds.
  if (auto saved = state.save(record, store::Durability::kDeferred); !saved) {
    detach_network(state, record);
    return saved;
  }
  if (auto written = write_etc(state, record, EtcWrite::kInPlace); !written) {
    detach_network(state, record);
    (void)state.save(record);
    return written;
  }
  publish_attachment_event(state, record, *record.attachment, "connect");
  for (const auto& a : record.connected_attachments)
    publish_attachment_event(state, record, a, "connect");
  return {};
}

void detach_network(ServiceState& state, ContainerRecord& record) {
  // The connected interfaces first: they live in the namespace the first network's detach
  // removes, so they may go with it.
  const bool namespace_ends = record.attachment.has_value();
  for (auto it = record.connected_attachments.rbegin(); it != record.connected_attachments.rend();
       ++it) {
    if (state.options.networks == nullptr)
      continue;
    if (auto done = state.options.networks->disconnect(record.id, *it, namespace_ends); !done)
      spdlog::warn("container {}: {}", record.id, done.error().message());
    publish_attachment_event(state, record, *it, "disconnect");
  }
  record.connected_attachments.clear();
  if (!record.attachment)
    return;
  if (is_bare(*record.attachment)) {
    if (auto removed = network::NetNs::remove(record.attachment->netns); !removed)
      spdlog::warn("container {}: {}", record.id, removed.error().message());
  } else if (state.options.networks != nullptr) {
    if (auto done = state.options.networks->detach(record.id, *record.attachment); !done)
      spdlog::warn("container {}: {}", record.id, done.error().message());
    publish_attachment_event(state, record, *record.attachment, "disconnect");
  }
  record.attachment.reset();
}

Result<void> connect_network(ServiceState& state, ContainerRecord& record,
                             const std::string& network_name,
                             const std::vector<std::string>& aliases, const std::string& ip_text) {
  if (state.options.networks == nullptr)
    return Error::of(Errc::kFailedPrecondition,
                     "network " + network_name + ": keeld runs without networks");
  if (!uses_cni(record))
    return Error::of(Errc::kFailedPrecondition, "container " + record.name + " uses network mode " +
                                                    record.network_mode +
                                                    ": it cannot be connected to other networks");
  auto found = state.options.networks->get(network_name);
  if (!found)
    return std::move(found).error();
  const bool already =
      (record.network_mode == found->name && !record.network_disconnected) ||
      std::any_of(record.connected.begin(), record.connected.end(),
                  [&](const auto& connection) { return connection.network == found->name; });
  if (already)
    return Error::of(Errc::kAlreadyExists, "endpoint with name " + record.name +
                                               " already exists in network " + found->name);
  if (!aliases.empty() && found->is_default())
    return aliases_need_user_network();
  for (const auto& alias : aliases)
    KEEL_TRY(network::validate_alias(alias));
  std::string ip;
  if (!ip_text.empty()) {
    if (found->is_default())
      return ip_needs_user_network();
    auto checked = checked_ip(*found, ip_text);
    if (!checked)
      return std::move(checked).error();
    ip = std::move(*checked);
  }
  // A stopped container only records it; its next start attaches it with the rest.
  if (record.attachment) {
    auto attachment =
        state.options.networks->connect(record.id, found->name, record.attachment->netns,
                                        free_ifname(record), endpoint_of(record, aliases, ip));
    if (!attachment)
      return std::move(attachment).error();
    record.connected_attachments.push_back(std::move(*attachment));
  }
  record.connected.push_back({.network = found->name, .aliases = aliases, .ip = ip});
  if (auto saved = state.save(record); !saved) {
    if (record.attachment) {
      (void)state.options.networks->disconnect(record.id, record.connected_attachments.back());
      record.connected_attachments.pop_back();
    }
    record.connected.pop_back();
    return saved;
  }
  if (record.attachment) {
    publish_attachment_event(state, record, record.connected_attachments.back(), "connect");
    rewrite_etc(state, record);
  }
  return {};
}

Result<void> disconnect_network(ServiceState& state, ContainerRecord& record,
                                const std::string& network_name, bool force) {
  if (state.options.networks == nullptr)
    return Error::of(Errc::kFailedPrecondition,
                     "network " + network_name + ": keeld runs without networks");
  auto found = state.options.networks->get(network_name);
  if (!found)
    return std::move(found).error();
  std::optional<network::Attachment> removed;
  if (record.network_mode == found->name && !record.network_disconnected) {
    // Its --network: the interface goes, the namespace stays (the container runs in it) and
    // is removed at exit as usual; later starts make it without that network.
    if (record.attachment) {
      KEEL_TRY(remove_interface(state, record, *record.attachment, force));
      removed = std::move(*record.attachment);
      record.attachment = bare_namespace(removed->netns);
    }
    record.network_disconnected = true;
  } else {
    auto connection = std::find_if(record.connected.begin(), record.connected.end(),
                                   [&](const auto& c) { return c.network == found->name; });
    if (connection == record.connected.end())
      return Error::of(Errc::kNotFound,
                       "container " + record.name + " is not connected to network " + found->name);
    auto attachment =
        std::find_if(record.connected_attachments.begin(), record.connected_attachments.end(),
                     [&](const auto& a) { return a.network_id == found->id; });
    if (attachment != record.connected_attachments.end()) {
      KEEL_TRY(remove_interface(state, record, *attachment, force));
      removed = std::move(*attachment);
      record.connected_attachments.erase(attachment);
    }
    record.connected.erase(connection);
  }
  KEEL_TRY(state.save(record));
  if (removed) {
    publish_attachment_event(state, record, *removed, "disconnect");
    rewrite_etc(state, record);
  }
  return {};
}

}  // namespace keel::manager::containers
