// The cgroup v2 manager: one directory in the cgroup2 tree, limits written to its knobs
// (config-linux.md "Control groups" mapped the way runc maps them), device rules as an eBPF
// program (device_filter.cpp), cgroup.freeze, cgroup.kill.
#include <signal.h>

#include <algorithm>
#include <set>
#include <utility>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "common/scope_guard.h"
#include "runtime/cgroups/cgroup_fs.h"
#include "runtime/cgroups/device_filter.h"
#include "runtime/cgroups/internal.h"

namespace keel::runtime::cgroups::detail {
namespace {

std::string num_or_max(int64_t v) {
  return v == -1 ? "max" : std::to_string(v);
}

// The highest directory of the cgroup2 mount holding `leaf`: only the root cgroup has no
// cgroup.type.
std::string find_root(const std::string& leaf) {
  std::string dir = leaf;
  while (dir != "/" && has_file(dir, "cgroup.type"))
    dir = parent_dir(dir);
  return dir;
}

// runc's conversion of cgroup v1 cpu.shares [2, 262144] to cgroup v2 cpu.weight [1, 10000].
uint64_t shares_to_weight(uint64_t shares) {
  if (shares < 2)
    shares = 2;
  if (shares > 262144)
    shares = 262144;
  return 1 + ((shares - 2) * 9999) / 262142;
}

// blkio.weight [10, 1000] to io.weight [1, 10000], as runc does.
Result<uint64_t> blkio_to_io_weight(uint16_t weight, std::string_view field) {
  if (weight < 10 || weight > 1000)
    return Error::of(
        Errc::kInvalidArgument,
        fmt::format("linux.resources.blockIO.{}: {} is outside [10, 1000]", field, weight));
  return 1 + (uint64_t{weight} - 10) * 9999 / 990;
}

Result<void> set_memory(const std::string& dir, const oci::Memory& m) {
  const int64_t limit = m.limit.value_or(0);  // 0: unset, as runc reads it
  const int64_t swap = m.swap.value_or(0);
  // OCI swap is memory+swap (the v1 memsw meaning); memory.swap.max is swap alone.
  std::string swap_max;
  if (limit == -1 && swap == 0) {
    swap_max = "max";  // unlimited memory, swap unspecified: unlimited both, as on v1
  } else if (swap == -1) {
    swap_max = "max";
  } else if (swap > 0) {
    if (limit <= 0)
      return Error::of(Errc::kInvalidArgument,
                       "linux.resources.memory.swap: a swap limit needs a memory limit");
    if (swap < limit)
      return Error::of(Errc::kInvalidArgument,
                       "linux.resources.memory.swap: must be >= memory.limit (it counts memory "
                       "plus swap)");
    swap_max = std::to_string(swap - limit);
  }
  if (!swap_max.empty()) {
    auto r = write_knob(dir, "memory.swap.max", swap_max);
    // No swap accounting: setting "no limit" or "no swap" changes nothing there.
    if (!r && !(r.error().errnum() == ENOENT && (swap_max == "max" || swap_max == "0")))
      return r;
  }
  if (limit != 0)
    KEEL_TRY(write_knob(dir, "memory.max", num_or_max(limit)));
  if (m.reservation.value_or(0) != 0)
    KEEL_TRY(write_knob(dir, "memory.low", num_or_max(*m.reservation)));
  if (m.swappiness)
    spdlog::debug("cgroup v2 has no memory.swappiness; linux.resources.memory.swappiness ignored");
  if (m.disable_oom_killer.value_or(false))
    spdlog::debug("cgroup v2 cannot disable the OOM killer; disableOOMKiller ignored");
  if (m.kernel || m.kernel_tcp)
    spdlog::debug("linux.resources.memory.kernel/kernelTCP are deprecated and ignored");
  return {};
}

Result<void> set_cpu(const std::string& dir, const oci::Cpu& cpu) {
  if (cpu.realtime_runtime.value_or(0) != 0 || cpu.realtime_period.value_or(0) != 0)
    return Error::of(Errc::kInvalidArgument,
                     "linux.resources.cpu.realtimeRuntime/realtimePeriod: cgroup v2 has no "
                     "realtime group scheduling knobs");
  if (cpu.cpus && !cpu.cpus->empty())
    KEEL_TRY(write_knob(dir, "cpuset.cpus", *cpu.cpus));
  if (cpu.mems && !cpu.mems->empty())
    KEEL_TRY(write_knob(dir, "cpuset.mems", *cpu.mems));
  if (cpu.idle)
    KEEL_TRY(write_knob(dir, "cpu.idle", std::to_string(*cpu.idle)));
  if (cpu.shares.value_or(0) != 0)
    KEEL_TRY(write_knob(dir, "cpu.weight", std::to_string(shares_to_weight(*cpu.shares))));

  const int64_t quota = cpu.quota.value_or(0);
  const uint64_t period = cpu.period.value_or(0);
  const bool set_max = quota != 0 || period != 0;
  bool burst_after_max = false;
  if (cpu.burst) {
    auto r = write_knob(dir, "cpu.max.burst", std::to_string(*cpu.burst));
    // A burst above the current quota is refused; it fits once the new quota is in.
    if (!r && !(r.error().errnum() == EINVAL && set_max))
      return r;
    burst_after_max = !r;
  }
  if (set_max) {
    std::string value = quota > 0 ? std::to_string(quota) : "max";
    if (period != 0)
      value += " " + std::to_string(period);
    KEEL_TRY(write_knob(dir, "cpu.max", value));
  }
  if (burst_after_max)
    KEEL_TRY(write_knob(dir, "cpu.max.burst", std::to_string(*cpu.burst)));
  return {};
}

std::string dev(int64_t major, int64_t minor) {
  return fmt::format("{}:{}", major, minor);
}

Result<void> set_io(const std::string& dir, const oci::BlockIo& io) {
  // BFQ's io.bfq.weight takes blkio's own range; io.weight (the io controller) its own.
  const bool bfq = has_file(dir, "io.bfq.weight");
  if (io.weight) {
    if (bfq) {
      KEEL_TRY(write_knob(dir, "io.bfq.weight", std::to_string(*io.weight)));
    } else {
      auto w = blkio_to_io_weight(*io.weight, "weight");
      if (!w)
        return std::move(w).error();
      KEEL_TRY(write_knob(dir, "io.weight", std::to_string(*w)));
    }
  }
  if (io.leaf_weight)
    spdlog::debug("cgroup v2 has no leaf weight; linux.resources.blockIO.leafWeight ignored");
  std::vector<std::string> weights;
  for (const auto& d : io.weight_device) {
    if (!d.weight)
      continue;
    if (bfq) {
      weights.push_back(fmt::format("{} {}", dev(d.major, d.minor), *d.weight));
    } else {
      auto w = blkio_to_io_weight(*d.weight, "weightDevice.weight");
      if (!w)
        return std::move(w).error();
      weights.push_back(fmt::format("{} {}", dev(d.major, d.minor), *w));
    }
  }
  if (!weights.empty())
    KEEL_TRY(write_knob_lines(dir, bfq ? "io.bfq.weight" : "io.weight", weights));

  std::vector<std::string> max;
  const auto add = [&max](const std::vector<oci::ThrottleDevice>& list, std::string_view key) {
    for (const auto& d : list)
      max.push_back(fmt::format("{} {}={}", dev(d.major, d.minor), key, d.rate));
  };
  add(io.throttle_read_bps_device, "rbps");
  add(io.throttle_write_bps_device, "wbps");
  add(io.throttle_read_iops_device, "riops");
  add(io.throttle_write_iops_device, "wiops");
  if (!max.empty())
    KEEL_TRY(write_knob_lines(dir, "io.max", max));
  return {};
}

Result<bool> events_frozen(const std::string& dir) {
  auto events = read_keyed(dir, "cgroup.events");
  if (!events)
    return std::move(events).error();
  const auto it = events->find("frozen");
  return it != events->end() && it->second == 1;
}

class V2Manager final : public Manager {
 public:
  V2Manager(Paths paths, std::string root) : paths_(std::move(paths)), root_(std::move(root)) {}

  Result<void> create() override {
    const std::string& dir = paths_.unified;
    bool created = false;
    KEEL_TRY(make_cgroup_dir(dir, created));
    ScopeGuard undo([&] {
      if (created)
        // Undoing a failed create: the failure that got us here is the error.
        (void)remove_cgroup_tree(dir, kRmdirTimeout);
    });
    KEEL_TRY(enable_controllers(root_, dir, {}));
    undo.release();
    return {};
  }

  Result<void> apply(const oci::Resources& resources) override {
    return apply_v2(paths_.unified, resources);
  }

  Result<void> add_process(pid_t pid) override {
    KEEL_TRY(check_pid(pid));
    return write_knob(paths_.unified, "cgroup.procs", std::to_string(pid));
  }

  Result<std::vector<pid_t>> pids() const override { return procs_recursive(paths_.unified); }
  Result<void> freeze() override { return freeze_v2(paths_.unified); }
  Result<void> thaw() override { return thaw_v2(paths_.unified); }
  Result<bool> is_frozen() const override { return is_frozen_v2(paths_.unified); }
  Result<Stats> stats() const override { return read_v2_stats(paths_.unified); }

  Result<uint64_t> oom_kill_count() const override {
    auto events = read_keyed(paths_.unified, "memory.events");
    if (!events)
      return std::move(events).error();
    const auto it = events->find("oom_kill");
    return it == events->end() ? uint64_t{0} : it->second;
  }

  Result<void> destroy() override {
    const std::string& dir = paths_.unified;
    if (!has_file(dir, "cgroup.procs"))
      return remove_cgroup_tree(dir, kRmdirTimeout);  // gone already, or never populated
    if (has_file(dir, "cgroup.kill")) {
      auto r = write_knob(dir, "cgroup.kill", "1");
      if (!r && r.error().errnum() != ENOENT)
        return r;
    } else {
      // Before cgroup.kill (Linux 5.14): freeze so nothing forks between listing and signalling.
      const bool frozen = freeze_v2(dir).has_value();
      if (auto pids = procs_recursive(dir)) {
        for (const pid_t pid : *pids)
          ::kill(pid, SIGKILL);
      }
      if (frozen)
        // Lets SIGKILL land; a cgroup left busy fails the rmdir that follows.
        (void)thaw_v2(dir);
    }
    KEEL_TRY(kill_and_wait_empty(dir, kKillTimeout));
    return remove_cgroup_tree(dir, kRmdirTimeout);
  }

  const Paths& paths() const override { return paths_; }

 private:
  Paths paths_;
  std::string root_;
};

}  // namespace

std::unique_ptr<Manager> make_v2_manager(Paths paths, std::string root) {
  return std::make_unique<V2Manager>(std::move(paths), std::move(root));
}

Result<void> enable_controllers(const std::string& root, const std::string& leaf,
                                std::vector<std::string> wanted) {
  const std::string top = root.empty() ? find_root(leaf) : root;
  if (wanted.empty()) {
    auto offered = read_knob(top, "cgroup.controllers");
    if (!offered)
      return std::move(offered).error();
    wanted = split(*offered, ' ');
  }
  // Bottom-up until an ancestor already delegates everything wanted: then so do those above it.
  std::vector<std::pair<std::string, std::vector<std::string>>> todo;
  for (std::string dir = parent_dir(leaf);; dir = parent_dir(dir)) {
    auto enabled = read_knob(dir, "cgroup.subtree_control");
    if (!enabled)
      return std::move(enabled).error();
    const auto have = split(*enabled, ' ');
    std::vector<std::string> missing;
    for (const auto& c : wanted) {
      if (std::find(have.begin(), have.end(), c) == have.end())
        missing.push_back(c);
    }
    if (missing.empty())
      break;
    todo.emplace_back(dir, std::move(missing));
    if (dir == top || dir == "/")
      break;
  }
  for (auto it = todo.rbegin(); it != todo.rend(); ++it) {
    std::string all;
    for (const auto& c : it->second)
      all += (all.empty() ? "+" : " +") + c;
    if (write_knob(it->first, "cgroup.subtree_control", all))
      continue;
    for (const auto& c : it->second) {
      if (auto r = write_knob(it->first, "cgroup.subtree_control", "+" + c); !r)
        spdlog::debug("enable {}: {}", c, r.error().message());
    }
  }
  return {};
}

Result<void> apply_v2(const std::string& dir, const oci::Resources& r) {
  // Empty: leave the filter alone (an update of other limits), as runc keeps its rules.
  if (!r.devices.empty())
    KEEL_TRY(apply_device_filter(dir, r.devices));
  if (r.cpu)
    KEEL_TRY(set_cpu(dir, *r.cpu));
  if (r.memory)
    KEEL_TRY(set_memory(dir, *r.memory));
  if (r.pids)
    KEEL_TRY(
        write_knob(dir, "pids.max", r.pids->limit > 0 ? std::to_string(r.pids->limit) : "max"));
  if (r.block_io)
    KEEL_TRY(set_io(dir, *r.block_io));
  KEEL_TRY(apply_hugetlb_v2(dir, r.hugepage_limits));
  if (r.network && (r.network->class_id || !r.network->priorities.empty()))
    return Error::of(Errc::kInvalidArgument,
                     "linux.resources.network: cgroup v2 has no net_cls/net_prio controllers");
  KEEL_TRY(apply_rdma(dir, r.rdma));
  // Last, so that explicit unified values win over the mapped ones above.
  return apply_unified(dir, r.unified);
}

Result<void> apply_hugetlb_v2(const std::string& dir,
                              const std::vector<oci::HugepageLimit>& limits) {
  for (const auto& l : limits) {
    if (l.page_size.empty() || l.page_size.find('/') != std::string::npos)
      return Error::of(
          Errc::kInvalidArgument,
          fmt::format("linux.resources.hugepageLimits: bad pageSize \"{}\"", l.page_size));
    KEEL_TRY(write_knob(dir, "hugetlb." + l.page_size + ".max", std::to_string(l.limit)));
  }
  return {};
}

Result<void> apply_rdma(const std::string& dir, const std::map<std::string, oci::Rdma>& rdma) {
  for (const auto& [device, limits] : rdma) {
    std::string value = device;
    if (limits.hca_handles)
      value += fmt::format(" hca_handle={}", *limits.hca_handles);
    if (limits.hca_objects)
      value += fmt::format(" hca_object={}", *limits.hca_objects);
    if (value != device)
      KEEL_TRY(write_knob(dir, "rdma.max", value));
  }
  return {};
}

std::vector<std::string> unified_controllers(const std::map<std::string, std::string>& unified) {
  std::set<std::string> out;
  for (const auto& [key, value] : unified) {
    const auto dot = key.find('.');
    if (dot != std::string::npos && dot > 0 && key.compare(0, dot, "cgroup") != 0)
      out.insert(key.substr(0, dot));
  }
  return {out.begin(), out.end()};
}

Result<void> apply_unified(const std::string& dir,
                           const std::map<std::string, std::string>& unified) {
  for (const auto& [key, value] : unified) {
    if (key.empty() || key.find('/') != std::string::npos || key == "." || key == "..")
      return Error::of(Errc::kInvalidArgument,
                       fmt::format("linux.resources.unified: bad file name \"{}\"", key));
    auto r = write_knob(dir, key, value);
    if (!r && r.error().errnum() == ENOENT)
      return Error::with_errno(
          Errc::kFailedPrecondition,
          fmt::format("linux.resources.unified[\"{}\"]: no such knob in \"{}\" (controller not "
                      "enabled there?)",
                      key, dir),
          ENOENT);
    if (!r)
      return r;
  }
  return {};
}

Result<void> freeze_v2(const std::string& dir) {
  KEEL_TRY(write_knob(dir, "cgroup.freeze", "1"));
  auto frozen = wait_until([&] { return events_frozen(dir); }, kFreezeTimeout);
  if (frozen && *frozen)
    return {};
  // Rolling back a freeze that timed out: the timeout below is the error.
  (void)write_knob(dir, "cgroup.freeze", "0");
  if (!frozen)
    return std::move(frozen).error();
  return Error::of(Errc::kUnavailable, fmt::format("freeze \"{}\": not frozen after {} ms", dir,
                                                   kFreezeTimeout.count()));
}

Result<void> thaw_v2(const std::string& dir) {
  return write_knob(dir, "cgroup.freeze", "0");
}

Result<bool> is_frozen_v2(const std::string& dir) {
  auto want = read_knob(dir, "cgroup.freeze");
  if (!want)
    return std::move(want).error();
  if (*want != "1")
    return false;
  return events_frozen(dir);  // "1" asked for it; cgroup.events says whether it took effect
}

}  // namespace keel::runtime::cgroups::detail
