// host_cpu_ns and online_cpus from /proc/stat and sysconf.
#include "manager/containers/host_cpu.h"

#include <unistd.h>

#include <fstream>
#include <string>

namespace keel::manager::containers {

std::uint64_t host_cpu_ns() {
  std::ifstream in("/proc/stat");
  std::string cpu;
  in >> cpu;
  std::uint64_t total = 0;
  std::uint64_t value = 0;
  for (int i = 0; i < 8 && (in >> value); ++i)
    total += value;
  const long ticks = ::sysconf(_SC_CLK_TCK);
  return total * (1'000'000'000ULL / static_cast<std::uint64_t>(ticks > 0 ? ticks : 100));
}

std::uint32_t online_cpus() {
  const long n = ::sysconf(_SC_NPROCESSORS_ONLN);
  return n > 0 ? static_cast<std::uint32_t>(n) : 1;
}

}  // namespace keel::manager::containers
