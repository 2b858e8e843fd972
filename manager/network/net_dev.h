// A container's interface counters for `docker stats` (NET I/O) and the API's per-interface
// figures, from /proc/<pid>/net/dev: the file shows the network namespace of the process that
// reads through it, so the counters of a container's interfaces need no setns.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/error.h"

namespace keel::manager::network {

struct InterfaceCounters {
  std::string name;  // "eth0"
  std::uint64_t rx_bytes = 0;
  std::uint64_t rx_packets = 0;
  std::uint64_t rx_errors = 0;
  std::uint64_t rx_dropped = 0;
  std::uint64_t tx_bytes = 0;
  std::uint64_t tx_packets = 0;
  std::uint64_t tx_errors = 0;
  std::uint64_t tx_dropped = 0;
  bool operator==(const InterfaceCounters&) const = default;
};

// The rows of a /proc/net/dev text in its order, `lo` left out as docker leaves it out. Two
// header lines, then "name: 16 numbers" (receive: bytes packets errs drop fifo frame compressed
// multicast; transmit: bytes packets errs drop fifo colls carrier compressed). kInvalidArgument
// for a row without its colon or with fewer than 16 numbers.
[[nodiscard]] Result<std::vector<InterfaceCounters>> parse_net_dev(std::string_view text);

// parse_net_dev over /proc/<pid>/net/dev.
[[nodiscard]] Result<std::vector<InterfaceCounters>> read_net_dev(int pid);

}  // namespace keel::manager::network
