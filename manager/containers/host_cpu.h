// The host side of `docker stats`: docker's CPU % divides the container's CPU delta by the host's.
#pragma once

#include <cstdint>

namespace keel::manager::containers {

// Host CPU time from /proc/stat in nanoseconds, and the online CPUs.
[[nodiscard]] std::uint64_t host_cpu_ns();
[[nodiscard]] std::uint32_t online_cpus();

}  // namespace keel::manager::containers
