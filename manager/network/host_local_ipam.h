// IPv4 leases kept as the CNI host-local IPAM plugin keeps them, so that keeld and the plugin
// binary honour each other's leases (an upgrade, an operator's own CNI runs): under
// <dataDir>/<network>/, one file per leased address named after it and holding
// "<container id>\r\n<ifname>" (an older plugin wrote the id alone), "last_reserved_ip.0" with the
// address leased last so that allocation goes round the range instead of reusing a just-released
// address, and every change made holding an exclusive flock on the "lock" file.
#pragma once

#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "common/error.h"
#include "manager/network/ipv4_net.h"

namespace keel::manager::network {

// One host-local range: addresses from `start` to `end`, both leasable, the gateway skipped.
struct Ipv4Range {
  Ipv4Net subnet;
  std::uint32_t start = 0;  // default: the subnet's first host
  std::uint32_t end = 0;    // default: the last address before broadcast
  std::uint32_t gateway = 0;

  // host-local's range JSON ({"subnet", "gateway", "rangeStart", "rangeEnd"}); kInvalidArgument
  // for a field that is not an IPv4 address in the subnet.
  [[nodiscard]] static Result<Ipv4Range> from_json(const std::string& subnet,
                                                   const std::string& gateway,
                                                   const std::string& range_start,
                                                   const std::string& range_end);
  [[nodiscard]] bool contains(std::uint32_t ip) const noexcept { return ip >= start && ip <= end; }
  // "10.0.0.1-10.0.0.254", as host-local names a range in its errors.
  [[nodiscard]] std::string str() const;
};

// Leases an address of `range` to `container_id` and `ifname` in `dir` (<dataDir>/<network>):
// `requested` when given (--ip), else the next free one after the last leased. kAlreadyExists
// when the requested address is leased, or when the pair already holds an address there (CNI
// forbids a second ADD); kInvalidArgument for a requested address outside the range or the
// gateway; kUnavailable when the range is full.
[[nodiscard]] Result<std::uint32_t> lease_address(const std::string& dir, const Ipv4Range& range,
                                                  const std::string& container_id,
                                                  const std::string& ifname,
                                                  std::optional<std::uint32_t> requested);

// Removes every lease of `container_id` and `ifname` in `dir` (an id-only lease of an older plugin
// when none names the interface). Nothing leased, or no `dir`, is not an error.
[[nodiscard]] Result<void> release_addresses(const std::string& dir,
                                             const std::string& container_id,
                                             const std::string& ifname);

// Removes the leases in `dir` whose container (the id on a lease's first line) is not one of
// `holders`, and returns how many went. For keeld starting up: an address leased just before a
// crash, whose attachment never reached the container's record, goes back to the range.
[[nodiscard]] Result<std::size_t> release_leases_not_held(const std::string& dir,
                                                          const std::set<std::string>& holders);

// The addresses leased to `container_id` and `ifname` in `dir`.
[[nodiscard]] std::vector<std::uint32_t> leased_addresses(const std::string& dir,
                                                          const std::string& container_id,
                                                          const std::string& ifname);

}  // namespace keel::manager::network
