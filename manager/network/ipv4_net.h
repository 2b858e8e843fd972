// IPv4 addresses and CIDR subnets as networks use them: parsing with errors in docker's words,
// containment and overlap (network create refuses overlapping subnets), and the host's routes
// (the default network avoids subnets the host already reaches).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/error.h"

namespace keel::manager::network {

// An address in host byte order.
[[nodiscard]] Result<std::uint32_t> parse_ipv4(std::string_view text);
[[nodiscard]] std::string ipv4_to_string(std::uint32_t address);

struct Ipv4Net {
  std::uint32_t address = 0;  // the network address (host bits cleared)
  int prefix = 0;             // 0..32

  [[nodiscard]] std::uint32_t mask() const noexcept {
    return prefix == 0 ? 0 : ~std::uint32_t{0} << (32 - prefix);
  }
  [[nodiscard]] bool contains(std::uint32_t ip) const noexcept { return (ip & mask()) == address; }
  [[nodiscard]] bool overlaps(const Ipv4Net& other) const noexcept {
    const int shorter = prefix < other.prefix ? prefix : other.prefix;
    const std::uint32_t m = shorter == 0 ? 0 : ~std::uint32_t{0} << (32 - shorter);
    return (address & m) == (other.address & m);
  }
  // The n-th address of the subnet (1 is the conventional gateway).
  [[nodiscard]] std::uint32_t host(std::uint32_t n) const noexcept { return address + n; }
  [[nodiscard]] std::string str() const;
  bool operator==(const Ipv4Net&) const = default;
};

// "172.30.0.0/16". Host bits set ("10.0.0.1/8") are refused as docker refuses them, so a
// subnet always names its network. Prefixes longer than /30 leave no room for containers.
[[nodiscard]] Result<Ipv4Net> parse_subnet(std::string_view text);

// The destinations of the host's IPv4 routes (/proc/net/route), the default route left out, and
// those through `except_iface` (keeld's own default bridge, whose subnet is no conflict for it).
[[nodiscard]] std::vector<Ipv4Net> host_routes(std::string_view except_iface = {});

}  // namespace keel::manager::network
