// The /etc/hosts, /etc/hostname and /etc/resolv.conf keeld writes for each container and binds
// over the image's, as docker does: the container's own name and address in hosts, and the
// host's resolver configuration without loopback nameservers (which would point into the
// container's own namespace and answer nothing).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "common/error.h"

namespace keel::manager::network {

struct HostEntry {
  std::string address;
  std::vector<std::string> names;
};

// localhost lines, then each entry ("172.30.0.5\tweb").
[[nodiscard]] std::string hosts_file(const std::vector<HostEntry>& entries);

// `host_resolv_conf` without nameserver lines on 127.0.0.0/8 or ::1; Google's public servers
// when none is left (docker's fallback). Other lines (search, options) are kept.
[[nodiscard]] std::string container_resolv_conf(std::string_view host_resolv_conf);

// For networks that resolve names: `dns_servers` (each network's dnsmasq on its gateway, which
// forwards other names to the host's resolvers) as the nameservers, in order and without
// repeats, with the host's other lines (search, options) kept.
[[nodiscard]] std::string network_resolv_conf(std::string_view host_resolv_conf,
                                              const std::vector<std::string>& dns_servers);

// docker's --dns, --dns-search and --dns-option: each list, when given, replaces the lines of
// its kind (nameserver, search, options) of the file keeld would write otherwise; a search of
// "." alone means no search line at all.
struct DnsOverrides {
  std::vector<std::string> servers;
  std::vector<std::string> search;
  std::vector<std::string> options;
};

// kInvalidArgument (one line, naming the flag) for a server that is not an IP address, a search
// domain with whitespace or longer than 255, an option with whitespace.
[[nodiscard]] Result<void> validate_dns_overrides(const DnsOverrides& dns);

// `resolv_conf` with the lines the overrides give replacing those of the same kind.
[[nodiscard]] std::string apply_dns_overrides(std::string_view resolv_conf,
                                              const DnsOverrides& dns);

// The resolv.conf of a container whose networks that resolve names have the DNS servers
// `network_dns` (none: the default bridge, or no network): without them, the host's file as
// container_resolv_conf() makes it with the overrides applied. With them, those servers come
// first and --dns's servers after them, so the names of the networks' containers keep resolving
// (docker keeps its embedded server and forwards other names to the --dns servers; here the
// networks' dnsmasq answers them itself through the host's resolvers, and the --dns servers are
// asked when it does not answer). --dns-search and --dns-option replace their lines as usual.
[[nodiscard]] std::string resolv_conf_for(std::string_view host_resolv_conf,
                                          const std::vector<std::string>& network_dns,
                                          const DnsOverrides& dns);

// docker's --add-host value for the gateway of the container's network.
inline constexpr std::string_view kHostGateway = "host-gateway";

// --add-host "NAME:IP" (the IP may be IPv6, "host-gateway" too; the first colon splits).
// kInvalidArgument for no colon, an empty name or a bad address.
[[nodiscard]] Result<HostEntry> parse_extra_host(std::string_view text);

// The three files in `dir` (hosts, hostname, resolv.conf), written atomically.
[[nodiscard]] Result<void> write_etc_files(const std::string& dir, const std::string& hostname,
                                           const std::vector<HostEntry>& entries,
                                           const std::string& resolv_conf);

// The hosts and resolv.conf files of a running container rewritten in place: its bind mounts
// hold the files' inodes, so a rename would not reach it. Its hostname does not change.
[[nodiscard]] Result<void> rewrite_etc_files(const std::string& dir,
                                             const std::vector<HostEntry>& entries,
                                             const std::string& resolv_conf);

}  // namespace keel::manager::network
