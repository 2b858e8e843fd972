// The payload of the task API's Stats call: containerd's cgroup metrics in a typed Any, v1 or v2
// by type URL, and what a manager reads from it (the figures of `docker stats`).
#pragma once

#include <cstdint>
#include <string>

#include "common/error.h"

namespace keel::shimapi {

inline constexpr const char* kCgroupV1MetricsType = "io.containerd.cgroups.v1.Metrics";
inline constexpr const char* kCgroupV2MetricsType = "io.containerd.cgroups.v2.Metrics";

struct TaskFigures {
  std::uint64_t cpu_usage_ns = 0;
  std::uint64_t memory_usage = 0;
  std::uint64_t memory_limit = 0;  // 0: unlimited ("max" on v2)
  std::uint64_t pids = 0;
  std::uint64_t block_read = 0;   // bytes, all devices
  std::uint64_t block_write = 0;  // bytes, all devices
};

// kInvalidArgument for another type URL or a value that does not parse.
[[nodiscard]] Result<TaskFigures> figures_of_metrics(const std::string& type_url,
                                                     const std::string& value);

}  // namespace keel::shimapi
