// Reads Stats from v1 controller files or from one cgroup v2 directory. Absent files read as 0:
// a controller that is not mounted, or an older kernel, leaves its fields at zero.
#include <unistd.h>

#include <charconv>

#include <fmt/format.h>

#include "runtime/cgroups/cgroup_fs.h"
#include "runtime/cgroups/internal.h"

namespace keel::runtime::cgroups::detail {
namespace {

Result<uint64_t> u64_or_zero(const std::string& dir, std::string_view file) {
  auto v = read_u64(dir, file);
  if (!v)
    return std::move(v).error();
  return v->value_or(0);
}

// Assigns `file`'s value to `out`, or returns its error.
#define KEEL_READ(out, dir, file)            \
  do {                                       \
    auto keel_v_ = u64_or_zero((dir), file); \
    if (!keel_v_)                            \
      return std::move(keel_v_).error();     \
    (out) = *keel_v_;                        \
  } while (0)

uint64_t get(const std::map<std::string, uint64_t>& m, const std::string& key) {
  const auto it = m.find(key);
  return it == m.end() ? 0 : it->second;
}

std::optional<uint64_t> to_u64(std::string_view s) {
  uint64_t v = 0;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || end != s.data() + s.size())
    return std::nullopt;
  return v;
}

// "8:0" -> major, minor.
bool parse_dev(std::string_view text, BlkioEntry& e) {
  const auto colon = text.find(':');
  if (colon == std::string_view::npos)
    return false;
  const auto major = to_u64(text.substr(0, colon));
  const auto minor = to_u64(text.substr(colon + 1));
  if (!major || !minor)
    return false;
  e.major = *major;
  e.minor = *minor;
  return true;
}

// v1 blkio "8:0 Read 4096" lines; the trailing "Total N" line has no device and is skipped.
std::vector<BlkioEntry> parse_blkio_v1(std::string_view text) {
  std::vector<BlkioEntry> out;
  for (const auto& line : split(text, '\n')) {
    const auto f = split(line, ' ');
    BlkioEntry e;
    if (f.size() != 3 || !parse_dev(f[0], e))
      continue;
    const auto v = to_u64(f[2]);
    if (!v)
      continue;
    e.op = f[1];
    e.value = *v;
    out.push_back(std::move(e));
  }
  return out;
}

// The first of CFQ's, BFQ's and the throttle policy's file that has entries (runc's order).
Result<std::vector<BlkioEntry>> read_blkio_v1(const std::string& dir, std::string_view stat) {
  for (const char* prefix : {"blkio.", "blkio.bfq.", "blkio.throttle."}) {
    auto text = read_knob(dir, std::string(prefix) + std::string(stat));
    if (!text) {
      if (text.error().errnum() == ENOENT)
        continue;
      return std::move(text).error();
    }
    auto entries = parse_blkio_v1(*text);
    if (!entries.empty())
      return entries;
  }
  return std::vector<BlkioEntry>{};
}

Result<void> read_memory_entry(const std::string& dir, const std::string& prefix, MemoryEntry& e) {
  KEEL_READ(e.usage, dir, prefix + "usage_in_bytes");
  KEEL_READ(e.max_usage, dir, prefix + "max_usage_in_bytes");
  KEEL_READ(e.limit, dir, prefix + "limit_in_bytes");
  KEEL_READ(e.failcnt, dir, prefix + "failcnt");
  return {};
}

Result<void> read_memory_v1(const std::string& dir, MemoryStats& m) {
  KEEL_TRY(read_memory_entry(dir, "memory.", m.usage));
  KEEL_TRY(read_memory_entry(dir, "memory.memsw.", m.swap));
  KEEL_TRY(read_memory_entry(dir, "memory.kmem.", m.kernel));
  auto stat = read_keyed(dir, "memory.stat");
  if (!stat)
    return std::move(stat).error();
  m.stat = std::move(*stat);
  m.cache = get(m.stat, "cache");
  uint64_t hierarchy = 0;
  KEEL_READ(hierarchy, dir, "memory.use_hierarchy");
  m.use_hierarchy = hierarchy == 1;
  auto oom = read_keyed(dir, "memory.oom_control");
  if (!oom)
    return std::move(oom).error();
  m.oom_kill = get(*oom, "oom_kill");
  return {};
}

Result<void> read_cpuacct_v1(const std::string& dir, CpuStats& c) {
  KEEL_READ(c.usage_total_ns, dir, "cpuacct.usage");
  if (has_file(dir, "cpuacct.usage_user")) {
    KEEL_READ(c.usage_user_ns, dir, "cpuacct.usage_user");
    KEEL_READ(c.usage_system_ns, dir, "cpuacct.usage_sys");
  } else {
    // Before Linux 4.7: cpuacct.stat in USER_HZ ticks.
    auto stat = read_keyed(dir, "cpuacct.stat");
    if (!stat)
      return std::move(stat).error();
    const long hz = ::sysconf(_SC_CLK_TCK);
    const uint64_t ns_per_tick = hz > 0 ? 1'000'000'000ULL / static_cast<uint64_t>(hz) : 10'000'000;
    c.usage_user_ns = get(*stat, "user") * ns_per_tick;
    c.usage_system_ns = get(*stat, "system") * ns_per_tick;
  }
  auto percpu = read_knob(dir, "cpuacct.usage_percpu");
  if (!percpu && percpu.error().errnum() != ENOENT)
    return std::move(percpu).error();
  if (percpu) {
    for (const auto& field : split(*percpu, ' '))
      c.usage_percpu_ns.push_back(to_u64(field).value_or(0));
  }
  return {};
}

}  // namespace

Result<Stats> read_v1_stats(const Paths& paths) {
  Stats s;
  if (const auto* dir = v1_dir(paths, "memory"))
    KEEL_TRY(read_memory_v1(*dir, s.memory));
  if (const auto* dir = v1_dir(paths, "cpuacct"))
    KEEL_TRY(read_cpuacct_v1(*dir, s.cpu));
  if (const auto* dir = v1_dir(paths, "cpu")) {
    auto stat = read_keyed(*dir, "cpu.stat");
    if (!stat)
      return std::move(stat).error();
    s.cpu.nr_periods = get(*stat, "nr_periods");
    s.cpu.nr_throttled = get(*stat, "nr_throttled");
    s.cpu.throttled_time_ns = get(*stat, "throttled_time");
  }
  if (const auto* dir = v1_dir(paths, "pids")) {
    KEEL_READ(s.pids.current, *dir, "pids.current");
    KEEL_READ(s.pids.limit, *dir, "pids.max");
    if (s.pids.limit == kMax)
      s.pids.limit = 0;
  }
  if (const auto* dir = v1_dir(paths, "blkio")) {
    auto bytes = read_blkio_v1(*dir, "io_service_bytes_recursive");
    if (!bytes)
      return std::move(bytes).error();
    s.blkio.io_service_bytes_recursive = std::move(*bytes);
    auto ios = read_blkio_v1(*dir, "io_serviced_recursive");
    if (!ios)
      return std::move(ios).error();
    s.blkio.io_serviced_recursive = std::move(*ios);
  }
  return s;
}

namespace {

Result<void> read_memory_v2(const std::string& dir, MemoryStats& m) {
  KEEL_READ(m.usage.usage, dir, "memory.current");
  KEEL_READ(m.usage.limit, dir, "memory.max");
  KEEL_READ(m.usage.max_usage, dir, "memory.peak");
  uint64_t swap_usage = 0, swap_limit = 0;
  KEEL_READ(swap_usage, dir, "memory.swap.current");
  KEEL_READ(swap_limit, dir, "memory.swap.max");
  KEEL_READ(m.swap.max_usage, dir, "memory.swap.peak");
  // runc reports v2 swap as memory+swap, the v1 memsw meaning.
  m.swap.usage = m.usage.usage + swap_usage;
  m.swap.limit = (swap_limit == kMax || m.usage.limit == kMax) ? kMax : m.usage.limit + swap_limit;
  auto events = read_keyed(dir, "memory.events");
  if (!events)
    return std::move(events).error();
  m.usage.failcnt = get(*events, "max");
  m.oom_events = get(*events, "oom");
  m.oom_kill = get(*events, "oom_kill");
  auto stat = read_keyed(dir, "memory.stat");
  if (!stat)
    return std::move(stat).error();
  m.stat = std::move(*stat);
  m.cache = get(m.stat, "file");
  m.use_hierarchy = true;
  return {};
}

// io.stat: "8:0 rbytes=1 wbytes=2 rios=3 wios=4 dbytes=5 dios=6" per device.
void parse_io_stat(std::string_view text, BlkioStats& b) {
  static constexpr std::pair<const char*, const char*> kBytes[] = {
      {"rbytes", "Read"}, {"wbytes", "Write"}, {"dbytes", "Discard"}};
  static constexpr std::pair<const char*, const char*> kIos[] = {
      {"rios", "Read"}, {"wios", "Write"}, {"dios", "Discard"}};
  for (const auto& line : split(text, '\n')) {
    const auto f = split(line, ' ');
    BlkioEntry device;
    if (f.empty() || !parse_dev(f[0], device))
      continue;
    std::map<std::string, uint64_t> kv;
    for (size_t i = 1; i < f.size(); ++i) {
      const auto eq = f[i].find('=');
      if (eq != std::string::npos)
        kv[f[i].substr(0, eq)] = to_u64(std::string_view(f[i]).substr(eq + 1)).value_or(0);
    }
    const auto emit = [&](const auto& table, std::vector<BlkioEntry>& out) {
      for (const auto& [key, op] : table) {
        if (!kv.contains(key))
          continue;
        BlkioEntry e = device;
        e.op = op;
        e.value = kv[key];
        out.push_back(std::move(e));
      }
    };
    emit(kBytes, b.io_service_bytes_recursive);
    emit(kIos, b.io_serviced_recursive);
  }
}

}  // namespace

Result<Stats> read_v2_stats(const std::string& dir) {
  Stats s;
  KEEL_TRY(read_memory_v2(dir, s.memory));
  auto cpu = read_keyed(dir, "cpu.stat");
  if (!cpu)
    return std::move(cpu).error();
  s.cpu.usage_total_ns = get(*cpu, "usage_usec") * 1000;
  s.cpu.usage_user_ns = get(*cpu, "user_usec") * 1000;
  s.cpu.usage_system_ns = get(*cpu, "system_usec") * 1000;
  s.cpu.nr_periods = get(*cpu, "nr_periods");
  s.cpu.nr_throttled = get(*cpu, "nr_throttled");
  s.cpu.throttled_time_ns = get(*cpu, "throttled_usec") * 1000;
  KEEL_READ(s.pids.current, dir, "pids.current");
  KEEL_READ(s.pids.limit, dir, "pids.max");
  if (s.pids.limit == kMax)
    s.pids.limit = 0;
  auto io = read_knob(dir, "io.stat");
  if (!io && io.error().errnum() != ENOENT)
    return std::move(io).error();
  if (io)
    parse_io_stat(*io, s.blkio);
  return s;
}

#undef KEEL_READ

}  // namespace keel::runtime::cgroups::detail
