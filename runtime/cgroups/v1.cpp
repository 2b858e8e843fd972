// The cgroup v1 manager, also used on hybrid hosts: one directory per mounted hierarchy, limits
// in each controller's knobs (mapped as runc maps them), the v1 freezer; on hybrid hosts also
// the container's directory in the unified tree, for placement and what that tree offers.
#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <utility>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "common/scope_guard.h"
#include "common/unique_fd.h"
#include "runtime/cgroups/cgroup_fs.h"
#include "runtime/cgroups/internal.h"

namespace keel::runtime::cgroups::detail {
namespace {

Error not_mounted(std::string_view field, std::string_view controller) {
  return Error::of(
      Errc::kFailedPrecondition,
      fmt::format("linux.resources.{}: the {} cgroup hierarchy is not mounted", field, controller));
}

std::string dev(int64_t major, int64_t minor) {
  return fmt::format("{}:{}", major, minor);
}

// A new cpuset cgroup starts with empty cpus and mems and then refuses tasks (ENOSPC): copy them
// from the nearest ancestor that has both, into every empty directory on the way down.
Result<void> init_cpuset(const std::string& leaf) {
  struct Level {
    std::string dir, cpus, mems;
  };
  std::vector<Level> chain;  // leaf first
  std::string cpus, mems;
  for (std::string dir = leaf;; dir = parent_dir(dir)) {
    auto c = read_knob(dir, "cpuset.cpus");
    if (!c)
      return std::move(c).error();
    auto m = read_knob(dir, "cpuset.mems");
    if (!m)
      return std::move(m).error();
    if (!c->empty() && !m->empty()) {
      cpus = std::move(*c);
      mems = std::move(*m);
      break;
    }
    chain.push_back({dir, std::move(*c), std::move(*m)});
    if (dir == "/")
      return Error::of(Errc::kInternal, fmt::format("no cpuset ancestor of \"{}\" has cpus", leaf));
  }
  for (auto it = chain.rbegin(); it != chain.rend(); ++it) {
    if (it->cpus.empty())
      KEEL_TRY(write_knob(it->dir, "cpuset.cpus", cpus));
    else
      cpus = it->cpus;
    if (it->mems.empty())
      KEEL_TRY(write_knob(it->dir, "cpuset.mems", mems));
    else
      mems = it->mems;
  }
  return {};
}

// "type major:minor access" in order, each to devices.allow or devices.deny with its own write.
Result<void> set_devices(const std::string& dir, const std::vector<oci::DeviceCgroup>& rules) {
  std::array<UniqueFd, 2> fds;  // [deny, allow], opened on first use
  for (size_t i = 0; i < rules.size(); ++i) {
    const auto& rule = rules[i];
    const std::string type = rule.type.value_or("a");
    if (type != "a" && type != "b" && type != "c")
      return Error::of(
          Errc::kInvalidArgument,
          fmt::format("linux.resources.devices[{}].type: \"{}\" is not a, b or c", i, type));
    const auto num = [](const std::optional<int64_t>& n) {
      return !n || *n == -1 ? std::string("*") : std::to_string(*n);
    };
    std::string access = rule.access.value_or("rwm");
    if (access.empty())
      access = "rwm";
    const std::string line =
        fmt::format("{} {}:{} {}", type, num(rule.major), num(rule.minor), access);
    const char* file = rule.allow ? "devices.allow" : "devices.deny";
    UniqueFd& fd = fds[rule.allow ? 1 : 0];
    const std::string path = join(dir, file);
    if (!fd.valid()) {
      fd.reset(::open(path.c_str(), O_WRONLY | O_TRUNC | O_CLOEXEC));
      if (!fd.valid())
        return Error::sys(fmt::format("open \"{}\"", path));
    }
    if (::write(fd.get(), line.data(), line.size()) < 0)
      return Error::sys(fmt::format("write \"{}\" to \"{}\"", line, path));
  }
  return {};
}

Result<void> set_memory(const std::string& dir, const oci::Memory& m) {
  int64_t limit = m.limit.value_or(0);  // 0: unset, as runc reads it
  int64_t swap = m.swap.value_or(0);    // memory+swap, the memsw meaning
  constexpr std::string_view kMemsw = "memory.memsw.limit_in_bytes";
  if ((swap != 0 || limit == -1) && !has_file(dir, kMemsw)) {
    if (swap != 0)
      spdlog::debug("no swap accounting ({} absent); linux.resources.memory.swap ignored", kMemsw);
    swap = 0;
  } else if (limit == -1 && swap == 0) {
    swap = -1;  // unlimited memory with swap unspecified: unlimited memory+swap too
  }
  // The kernel keeps limit <= memsw at every step: raise memsw first when it grows, last when
  // it shrinks.
  bool memsw_first = false;
  if (limit != 0 && swap != 0) {
    auto current = read_u64(dir, "memory.limit_in_bytes");
    if (!current)
      return std::move(current).error();
    memsw_first = swap == -1 || !*current || **current < static_cast<uint64_t>(swap);
  }
  if (memsw_first)
    KEEL_TRY(write_knob(dir, kMemsw, std::to_string(swap)));
  if (limit != 0)
    KEEL_TRY(write_knob(dir, "memory.limit_in_bytes", std::to_string(limit)));
  if (swap != 0 && !memsw_first)
    KEEL_TRY(write_knob(dir, kMemsw, std::to_string(swap)));

  if (m.reservation.value_or(0) != 0)
    KEEL_TRY(write_knob(dir, "memory.soft_limit_in_bytes", std::to_string(*m.reservation)));
  if (m.kernel)  // kernels since 5.16 refuse to set it; the spec marks it deprecated
    spdlog::debug("linux.resources.memory.kernel is deprecated and ignored");
  if (m.kernel_tcp) {
    constexpr std::string_view kTcp = "memory.kmem.tcp.limit_in_bytes";
    if (!has_file(dir, kTcp))
      return Error::of(
          Errc::kFailedPrecondition,
          fmt::format("linux.resources.memory.kernelTCP: this kernel has no {}", kTcp));
    KEEL_TRY(write_knob(dir, kTcp, std::to_string(*m.kernel_tcp)));
  }
  if (m.swappiness) {
    if (*m.swappiness > 100)
      return Error::of(
          Errc::kInvalidArgument,
          fmt::format("linux.resources.memory.swappiness: {} is above 100", *m.swappiness));
    KEEL_TRY(write_knob(dir, "memory.swappiness", std::to_string(*m.swappiness)));
  }
  if (m.disable_oom_killer.value_or(false))
    KEEL_TRY(write_knob(dir, "memory.oom_control", "1"));
  return {};
}

Result<void> set_cpu(const std::string& dir, const oci::Cpu& cpu) {
  if (cpu.shares.value_or(0) != 0)
    KEEL_TRY(write_knob(dir, "cpu.shares", std::to_string(*cpu.shares)));
  const int64_t quota = cpu.quota.value_or(0);
  const uint64_t period = cpu.period.value_or(0);
  bool period_after_quota = false;
  if (period != 0) {
    auto r = write_knob(dir, "cpu.cfs_period_us", std::to_string(period));
    // A shorter period can push old_quota/new_period over the parent's limit: retry once the new
    // quota is in.
    if (!r && !(r.error().errnum() == EINVAL && quota != 0))
      return r;
    period_after_quota = !r;
  }
  if (quota != 0)
    KEEL_TRY(write_knob(dir, "cpu.cfs_quota_us", std::to_string(quota)));
  if (period_after_quota)
    KEEL_TRY(write_knob(dir, "cpu.cfs_period_us", std::to_string(period)));
  if (cpu.burst)
    KEEL_TRY(write_knob(dir, "cpu.cfs_burst_us", std::to_string(*cpu.burst)));
  // Before the first task joins: an RT task cannot enter a group without RT runtime.
  if (cpu.realtime_period.value_or(0) != 0)
    KEEL_TRY(write_knob(dir, "cpu.rt_period_us", std::to_string(*cpu.realtime_period)));
  if (cpu.realtime_runtime.value_or(0) != 0)
    KEEL_TRY(write_knob(dir, "cpu.rt_runtime_us", std::to_string(*cpu.realtime_runtime)));
  if (cpu.idle)
    KEEL_TRY(write_knob(dir, "cpu.idle", std::to_string(*cpu.idle)));
  return {};
}

// blkio.weight belongs to CFQ, gone since Linux 5.0; BFQ offers blkio.bfq.weight instead.
Result<void> write_weight(const std::string& dir, std::string_view file,
                          const std::vector<std::string>& values) {
  if (values.empty())
    return {};
  const std::string name(file);
  if (has_file(dir, name) || !has_file(dir, "blkio.bfq." + name.substr(6)))
    return write_knob_lines(dir, name, values);
  return write_knob_lines(dir, "blkio.bfq." + name.substr(6), values);
}

Result<void> set_blkio(const std::string& dir, const oci::BlockIo& io) {
  if (io.weight)
    KEEL_TRY(write_weight(dir, "blkio.weight", {std::to_string(*io.weight)}));
  if (io.leaf_weight)
    KEEL_TRY(write_knob(dir, "blkio.leaf_weight", std::to_string(*io.leaf_weight)));
  std::vector<std::string> weights, leaf_weights;
  for (const auto& d : io.weight_device) {
    if (d.weight)
      weights.push_back(fmt::format("{} {}", dev(d.major, d.minor), *d.weight));
    if (d.leaf_weight)
      leaf_weights.push_back(fmt::format("{} {}", dev(d.major, d.minor), *d.leaf_weight));
  }
  KEEL_TRY(write_weight(dir, "blkio.weight_device", weights));
  if (!leaf_weights.empty())
    KEEL_TRY(write_knob_lines(dir, "blkio.leaf_weight_device", leaf_weights));
  const std::pair<const std::vector<oci::ThrottleDevice>*, const char*> throttles[] = {
      {&io.throttle_read_bps_device, "blkio.throttle.read_bps_device"},
      {&io.throttle_write_bps_device, "blkio.throttle.write_bps_device"},
      {&io.throttle_read_iops_device, "blkio.throttle.read_iops_device"},
      {&io.throttle_write_iops_device, "blkio.throttle.write_iops_device"},
  };
  for (const auto& [list, file] : throttles) {
    std::vector<std::string> lines;
    for (const auto& d : *list)
      lines.push_back(fmt::format("{} {}", dev(d.major, d.minor), d.rate));
    if (!lines.empty())
      KEEL_TRY(write_knob_lines(dir, file, lines));
  }
  return {};
}

Result<void> freeze_v1(const std::string& dir) {
  KEEL_TRY(write_knob(dir, "freezer.state", "FROZEN"));
  int polls = 0;
  auto frozen = wait_until(
      [&]() -> Result<bool> {
        auto state = read_knob(dir, "freezer.state");
        if (!state)
          return std::move(state).error();
        if (*state == "FROZEN")
          return true;
        // A task in an uninterruptible sleep can leave the cgroup FREEZING; asking again retries
        // the tasks that were not frozen yet.
        if (++polls % 50 == 0)
          KEEL_TRY(write_knob(dir, "freezer.state", "FROZEN"));
        return false;
      },
      kFreezeTimeout);
  if (frozen && *frozen)
    return {};
  // Rolling back a freeze that timed out: the timeout below is the error.
  (void)write_knob(dir, "freezer.state", "THAWED");
  if (!frozen)
    return std::move(frozen).error();
  return Error::of(Errc::kUnavailable, fmt::format("freeze \"{}\": still FREEZING after {} ms", dir,
                                                   kFreezeTimeout.count()));
}

class V1Manager final : public Manager {
 public:
  V1Manager(Paths paths, std::string unified_root)
      : paths_(std::move(paths)), unified_root_(std::move(unified_root)) {}

  Result<void> create() override {
    std::vector<std::string> created;
    ScopeGuard undo([&] {
      for (const auto& dir : created)
        // Undoing a failed create: the failure that got us here is the error.
        (void)remove_cgroup_tree(dir, kRmdirTimeout);
    });
    for (const auto& [hierarchy, dir] : paths_.v1) {
      bool made = false;
      KEEL_TRY(make_cgroup_dir(dir, made));
      if (made)
        created.push_back(dir);
      const auto names = split(hierarchy, ',');
      if (std::find(names.begin(), names.end(), "cpuset") != names.end())
        KEEL_TRY(init_cpuset(dir));
    }
    if (!paths_.unified.empty()) {
      bool made = false;
      if (auto r = make_cgroup_dir(paths_.unified, made); !r) {
        // Hybrid: the unified tree only adds placement; a tree we may not write is not fatal.
        const int e = r.error().errnum();
        if (e != EACCES && e != EPERM && e != EROFS)
          return r;
        spdlog::debug("cgroup2 tree left out: {}", r.error().message());
        paths_.unified.clear();
      } else if (made) {
        created.push_back(paths_.unified);
      }
    }
    undo.release();
    return {};
  }

  Result<void> apply(const oci::Resources& r) override;

  Result<void> add_process(pid_t pid) override {
    KEEL_TRY(check_pid(pid));
    const std::string value = std::to_string(pid);
    for (const auto& [hierarchy, dir] : paths_.v1)
      KEEL_TRY(write_knob(dir, "cgroup.procs", value));
    if (!paths_.unified.empty())
      KEEL_TRY(write_knob(paths_.unified, "cgroup.procs", value));
    return {};
  }

  Result<std::vector<pid_t>> pids() const override { return procs_recursive(procs_dir()); }

  Result<void> freeze() override {
    if (const auto* dir = v1_dir(paths_, "freezer"))
      return freeze_v1(*dir);
    if (!paths_.unified.empty())
      return freeze_v2(paths_.unified);
    return Error::of(Errc::kFailedPrecondition, "the freezer cgroup hierarchy is not mounted");
  }

  Result<void> thaw() override {
    if (const auto* dir = v1_dir(paths_, "freezer"))
      return write_knob(*dir, "freezer.state", "THAWED");
    if (!paths_.unified.empty())
      return thaw_v2(paths_.unified);
    return Error::of(Errc::kFailedPrecondition, "the freezer cgroup hierarchy is not mounted");
  }

  Result<bool> is_frozen() const override {
    if (const auto* dir = v1_dir(paths_, "freezer")) {
      auto state = read_knob(*dir, "freezer.state");
      if (!state)
        return std::move(state).error();
      return *state == "FROZEN";
    }
    if (!paths_.unified.empty())
      return is_frozen_v2(paths_.unified);
    return Error::of(Errc::kFailedPrecondition, "the freezer cgroup hierarchy is not mounted");
  }

  Result<Stats> stats() const override { return read_v1_stats(paths_); }

  Result<uint64_t> oom_kill_count() const override {
    const auto* dir = v1_dir(paths_, "memory");
    if (!dir)
      return Error::of(Errc::kFailedPrecondition, "the memory cgroup hierarchy is not mounted");
    auto control = read_keyed(*dir, "memory.oom_control");
    if (!control)
      return std::move(control).error();
    const auto it = control->find("oom_kill");  // Linux 4.13+
    return it == control->end() ? uint64_t{0} : it->second;
  }

  Result<void> destroy() override;
  const Paths& paths() const override { return paths_; }

 private:
  // Where to list the container's processes: any hierarchy holds them all.
  std::string procs_dir() const {
    for (const char* c : {"freezer", "pids", "memory", "devices", "cpu"}) {
      if (const auto* dir = v1_dir(paths_, c))
        return *dir;
    }
    return paths_.v1.empty() ? paths_.unified : paths_.v1.begin()->second;
  }

  Result<void> kill_all();
  Result<void> apply_unified_parts(const oci::Resources& r);

  Paths paths_;
  std::string unified_root_;
};

Result<void> V1Manager::apply(const oci::Resources& r) {
  if (r.cpu && ((r.cpu->cpus && !r.cpu->cpus->empty()) || (r.cpu->mems && !r.cpu->mems->empty()))) {
    const auto* dir = v1_dir(paths_, "cpuset");
    if (!dir)
      return not_mounted("cpu.cpus/mems", "cpuset");
    if (r.cpu->cpus && !r.cpu->cpus->empty())
      KEEL_TRY(write_knob(*dir, "cpuset.cpus", *r.cpu->cpus));
    if (r.cpu->mems && !r.cpu->mems->empty())
      KEEL_TRY(write_knob(*dir, "cpuset.mems", *r.cpu->mems));
  }
  if (!r.devices.empty()) {
    const auto* dir = v1_dir(paths_, "devices");
    if (!dir)
      return not_mounted("devices", "devices");
    KEEL_TRY(set_devices(*dir, r.devices));
  }
  if (r.memory) {
    const auto* dir = v1_dir(paths_, "memory");
    if (!dir)
      return not_mounted("memory", "memory");
    KEEL_TRY(set_memory(*dir, *r.memory));
  }
  if (r.cpu) {
    const auto& c = *r.cpu;
    if (c.shares || c.quota || c.period || c.burst || c.realtime_period || c.realtime_runtime ||
        c.idle) {
      const auto* dir = v1_dir(paths_, "cpu");
      if (!dir)
        return not_mounted("cpu", "cpu");
      KEEL_TRY(set_cpu(*dir, c));
    }
  }
  if (r.pids) {
    const auto* dir = v1_dir(paths_, "pids");
    if (!dir)
      return not_mounted("pids", "pids");
    KEEL_TRY(
        write_knob(*dir, "pids.max", r.pids->limit > 0 ? std::to_string(r.pids->limit) : "max"));
  }
  if (r.block_io) {
    const auto* dir = v1_dir(paths_, "blkio");
    if (!dir)
      return not_mounted("blockIO", "blkio");
    KEEL_TRY(set_blkio(*dir, *r.block_io));
  }
  if (r.network) {
    if (r.network->class_id) {
      const auto* dir = v1_dir(paths_, "net_cls");
      if (!dir)
        return not_mounted("network.classID", "net_cls");
      KEEL_TRY(write_knob(*dir, "net_cls.classid", std::to_string(*r.network->class_id)));
    }
    if (!r.network->priorities.empty()) {
      const auto* dir = v1_dir(paths_, "net_prio");
      if (!dir)
        return not_mounted("network.priorities", "net_prio");
      std::vector<std::string> lines;
      for (const auto& p : r.network->priorities)
        lines.push_back(fmt::format("{} {}", p.name, p.priority));
      KEEL_TRY(write_knob_lines(*dir, "net_prio.ifpriomap", lines));
    }
  }
  if (!r.rdma.empty()) {
    const auto* dir = v1_dir(paths_, "rdma");
    if (!dir)
      return not_mounted("rdma", "rdma");
    KEEL_TRY(apply_rdma(*dir, r.rdma));
  }
  return apply_unified_parts(r);
}

// hugetlb (v1 if mounted, else the unified tree on hybrid hosts) and linux.resources.unified
// (hybrid only): the controllers these need are enabled in the unified tree on demand, so a
// container that asks for neither costs no cgroup.subtree_control access.
Result<void> V1Manager::apply_unified_parts(const oci::Resources& r) {
  const auto* hugetlb = v1_dir(paths_, "hugetlb");
  const bool hugetlb_unified = !r.hugepage_limits.empty() && !hugetlb;
  if ((hugetlb_unified || !r.unified.empty()) && paths_.unified.empty())
    return hugetlb_unified ? not_mounted("hugepageLimits", "hugetlb")
                           : Error::of(Errc::kInvalidArgument,
                                       "linux.resources.unified: needs a cgroup v2 tree");
  std::vector<std::string> wanted = unified_controllers(r.unified);
  if (hugetlb_unified)
    wanted.push_back("hugetlb");
  if (!wanted.empty())
    KEEL_TRY(enable_controllers(unified_root_, paths_.unified, wanted));
  for (const auto& l : r.hugepage_limits) {
    if (!hugetlb)
      break;
    if (l.page_size.empty() || l.page_size.find('/') != std::string::npos)
      return Error::of(
          Errc::kInvalidArgument,
          fmt::format("linux.resources.hugepageLimits: bad pageSize \"{}\"", l.page_size));
    KEEL_TRY(write_knob(*hugetlb, "hugetlb." + l.page_size + ".limit_in_bytes",
                        std::to_string(l.limit)));
  }
  if (hugetlb_unified)
    KEEL_TRY(apply_hugetlb_v2(paths_.unified, r.hugepage_limits));
  return apply_unified(paths_.unified, r.unified);
}

Result<void> V1Manager::kill_all() {
  const std::string dir = procs_dir();
  const auto* freezer = v1_dir(paths_, "freezer");
  if (!paths_.unified.empty() && has_file(paths_.unified, "cgroup.kill")) {
    auto r = write_knob(paths_.unified, "cgroup.kill", "1");
    if (!r && r.error().errnum() != ENOENT)
      return r;
    // A task the v1 freezer holds (a paused container) acts on SIGKILL only once thawed.
    if (freezer)
      // Lets SIGKILL land; a cgroup left busy fails the rmdir that follows.
      (void)write_knob(*freezer, "freezer.state", "THAWED");
  } else if (freezer) {
    // Frozen, nothing forks between listing and signalling; SIGKILL lands on thaw.
    const bool frozen = freeze_v1(*freezer).has_value();
    if (auto pids = procs_recursive(dir)) {
      for (const pid_t pid : *pids)
        ::kill(pid, SIGKILL);
    }
    if (frozen)
      // Lets SIGKILL land; a cgroup left busy fails the rmdir that follows.
      (void)write_knob(*freezer, "freezer.state", "THAWED");
  }
  return kill_and_wait_empty(dir, kKillTimeout);
}

Result<void> V1Manager::destroy() {
  if (paths_.v1.empty() && paths_.unified.empty())
    return {};
  KEEL_TRY(kill_all());
  // Remove every directory even when one fails; report the first failure.
  Result<void> first;
  const auto remove = [&first](const std::string& dir) {
    auto r = remove_cgroup_tree(dir, kRmdirTimeout);
    if (!r && first)
      first = std::move(r);
  };
  for (const auto& [hierarchy, dir] : paths_.v1)
    remove(dir);
  if (!paths_.unified.empty())
    remove(paths_.unified);
  return first;
}

}  // namespace

std::unique_ptr<Manager> make_v1_manager(Paths paths, std::string unified_root) {
  return std::make_unique<V1Manager>(std::move(paths), std::move(unified_root));
}

const std::string* v1_dir(const Paths& paths, std::string_view controller) {
  for (const auto& [hierarchy, dir] : paths.v1) {
    for (const auto& name : split(hierarchy, ',')) {
      if (name == controller)
        return &dir;
    }
  }
  return nullptr;
}

}  // namespace keel::runtime::cgroups::detail
