// Resource usage read from a container's cgroup, shaped like runc's `events --stats` types so the
// runtime can print them with runc's JSON names.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace keel::runtime::cgroups {

// Absent files read as 0. "max" (unlimited) reads as UINT64_MAX.
struct MemoryEntry {
  uint64_t usage = 0;
  uint64_t max_usage = 0;  // v1 *.max_usage_in_bytes, v2 memory.peak / memory.swap.peak
  uint64_t limit = 0;
  uint64_t failcnt = 0;  // v1 *.failcnt, v2 memory.events "max"
};

struct MemoryStats {
  uint64_t cache = 0;  // memory.stat "cache" (v1) / "file" (v2)
  MemoryEntry usage;
  MemoryEntry swap;    // v1 memsw (memory+swap), v2 memory.swap.* plus usage, as runc reports it
  MemoryEntry kernel;  // v1 memory.kmem.*; zero on v2
  bool use_hierarchy = false;
  uint64_t oom_events = 0;  // v1 oom_control under_oom is a state, so 0; v2 memory.events "oom"
  uint64_t oom_kill = 0;
  std::map<std::string, uint64_t> stat;  // memory.stat as is
};

struct CpuStats {
  uint64_t usage_total_ns = 0;
  uint64_t usage_user_ns = 0;
  uint64_t usage_system_ns = 0;
  std::vector<uint64_t> usage_percpu_ns;  // v1 only
  uint64_t nr_periods = 0;
  uint64_t nr_throttled = 0;
  uint64_t throttled_time_ns = 0;
};

struct PidsStats {
  uint64_t current = 0;
  uint64_t limit = 0;  // 0: "max"
};

struct BlkioEntry {
  uint64_t major = 0;
  uint64_t minor = 0;
  std::string op;  // Read, Write, Sync, Async, Discard, Total
  uint64_t value = 0;
  bool operator==(const BlkioEntry&) const = default;
};

struct BlkioStats {
  std::vector<BlkioEntry> io_service_bytes_recursive;
  std::vector<BlkioEntry> io_serviced_recursive;
};

struct Stats {
  MemoryStats memory;
  CpuStats cpu;
  PidsStats pids;
  BlkioStats blkio;
};

}  // namespace keel::runtime::cgroups
