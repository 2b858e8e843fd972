// What keeld reads from a container's cgroup directly: the OOM-kill count (at exit, before the
// runtime removes the cgroup) and the figures of `docker stats`. v1 hierarchies and a pure v2
// tree both; on a hybrid host the v1 controllers hold the figures.
#pragma once

#include <cstdint>
#include <string>

#include "common/error.h"

namespace keel::manager::containers {

struct CgroupFigures {
  std::uint64_t cpu_usage_ns = 0;
  std::uint64_t memory_usage = 0;
  std::uint64_t memory_limit = 0;
  std::uint64_t pids = 0;
  std::uint64_t block_read = 0;
  std::uint64_t block_write = 0;
};

// oom_kill events of the cgroup at path (as linux.cgroupsPath, e.g. "/keel/<id>"); 0 when the
// cgroup or the counter is missing.
[[nodiscard]] std::uint64_t oom_kills(const std::string& cgroups_path,
                                      const std::string& cgroup_root = "/sys/fs/cgroup");

[[nodiscard]] Result<CgroupFigures> cgroup_figures(
    const std::string& cgroups_path, const std::string& cgroup_root = "/sys/fs/cgroup");

// Host CPU time from /proc/stat in nanoseconds, and the online CPUs: docker's CPU % divides the
// container's CPU delta by this delta.
[[nodiscard]] std::uint64_t host_cpu_ns();
[[nodiscard]] std::uint32_t online_cpus();

}  // namespace keel::manager::containers
