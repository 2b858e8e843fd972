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

// For a network that resolves names: `dns_server` (the network's gateway, where its dnsmasq
// listens and forwards other names to the host's resolvers) as the only nameserver, with the
// host's other lines (search, options) kept.
[[nodiscard]] std::string network_resolv_conf(std::string_view host_resolv_conf,
                                              const std::string& dns_server);

// The three files in `dir` (hosts, hostname, resolv.conf), written atomically.
[[nodiscard]] Result<void> write_etc_files(const std::string& dir, const std::string& hostname,
                                           const std::vector<HostEntry>& entries,
                                           const std::string& resolv_conf);

}  // namespace keel::manager::network
