// update_container: runc's `update`. The new limits come from the flags or from an OCI
// linux.resources document and go to the container's cgroup through Manager::apply, which writes
// only what is set; then, as runc updates the config in its state.json, they are merged into the
// linux.resources of the state directory's config.json, which later commands read.
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>

#include <spdlog/spdlog.h>

#include "common/fs.h"
#include "oci-spec/runtime_config.h"
#include "runtime/cgroups/manager.h"
#include "runtime/lifecycle/lifecycle.h"
#include "runtime/lifecycle/lifecycle_internal.h"

namespace keel::runtime {
namespace {

// runc's sizes (go-units RAMInBytes): "1024", "64m", "1.5g", "512MiB"; binary multipliers.
Result<int64_t> parse_size(const std::string& flag, const std::string& text) {
  const auto bad = [&] {
    return Error::of(Errc::kInvalidArgument, flag + " \"" + text + "\": not a size");
  };
  size_t i = 0;
  while (i < text.size() && (std::isdigit(static_cast<unsigned char>(text[i])) || text[i] == '.'))
    ++i;
  if (i == 0)
    return bad();
  char* end = nullptr;
  const double number = std::strtod(text.substr(0, i).c_str(), &end);
  if (end == nullptr || *end != '\0')
    return bad();
  std::string unit = text.substr(i);
  if (!unit.empty() && unit[0] == ' ')
    unit.erase(0, 1);
  for (auto& c : unit)
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  double multiplier = 1;
  if (!unit.empty()) {
    const std::string_view units = "kmgtp";
    const auto pos = units.find(unit[0]);
    if (pos != std::string_view::npos) {
      multiplier = std::pow(1024.0, static_cast<double>(pos + 1));
      unit.erase(0, 1);
    }
    if (unit != "" && unit != "b" && unit != "i" && unit != "ib")
      return bad();
  }
  const double bytes = number * multiplier;
  if (bytes >= 9.2e18)
    return bad();
  return static_cast<int64_t>(bytes);
}

// Parsed as the linux.resources of a config document, so the checks and JSON paths are
// the config's own.
Result<oci::Resources> resources_from_file(const std::string& path) {
  Result<std::string> text = path == "-" ? fs::read_fd(STDIN_FILENO) : fs::read_file(path);
  if (!text)
    return std::move(text).error().context("--resources");
  const std::string doc =
      R"({"ociVersion":"1.2.0","root":{"path":"rootfs"},"linux":{"resources":)" + *text + "}}";
  auto parsed = oci::parse_config(doc);
  if (!parsed)
    return std::move(parsed).error().context("--resources \"" + path + "\"");
  return parsed->linux->resources.value_or(oci::Resources{});
}

Result<void> memory_from_flags(const UpdateOptions& o, oci::Resources& r) {
  auto size = [](const std::optional<std::string>& text, const std::string& flag,
                 std::optional<int64_t>& out) -> Result<void> {
    if (!text)
      return {};
    if (*text == "-1") {
      out = -1;
      return {};
    }
    auto n = parse_size(flag, *text);
    if (!n)
      return n.error();
    out = *n;
    return {};
  };
  oci::Memory m;
  KEEL_TRY(size(o.memory, "--memory", m.limit));
  KEEL_TRY(size(o.memory_reservation, "--memory-reservation", m.reservation));
  KEEL_TRY(size(o.memory_swap, "--memory-swap", m.swap));
  if (o.kernel_memory || o.kernel_memory_tcp)
    spdlog::warn("--kernel-memory and --kernel-memory-tcp are deprecated and ignored");
  if (m.limit || m.reservation || m.swap)
    r.memory = m;
  return {};
}

Result<oci::Resources> resources_from_flags(const UpdateOptions& o) {
  oci::Resources r;
  KEEL_TRY(memory_from_flags(o, r));
  oci::Cpu cpu;
  cpu.shares = o.cpu_shares;
  cpu.quota = o.cpu_quota;
  cpu.period = o.cpu_period;
  cpu.realtime_period = o.cpu_rt_period;
  cpu.realtime_runtime = o.cpu_rt_runtime;
  cpu.cpus = o.cpuset_cpus;
  cpu.mems = o.cpuset_mems;
  if (cpu != oci::Cpu{})
    r.cpu = cpu;
  if (o.pids_limit && *o.pids_limit != 0)
    r.pids = oci::Pids{*o.pids_limit};
  if (o.blkio_weight) {
    if (*o.blkio_weight != 0 && (*o.blkio_weight < 10 || *o.blkio_weight > 1000))
      return Error::of(Errc::kInvalidArgument, "--blkio-weight " + std::to_string(*o.blkio_weight) +
                                                   ": out of range 10-1000");
    r.block_io = oci::BlockIo{};
    r.block_io->weight = o.blkio_weight;
  }
  return r;
}

template <class T>
void take(std::optional<T>& base, const std::optional<T>& update) {
  if (update)
    base = update;
}

template <class T>
void take(std::vector<T>& base, const std::vector<T>& update) {
  if (!update.empty())
    base = update;
}

template <class K, class V>
void take(std::map<K, V>& base, const std::map<K, V>& update) {
  for (const auto& [key, value] : update)
    base[key] = value;
}

// What the container's limits are after `update` applied: each field the update sets replaces the
// one before, the others stay. Lists replace lists, as a new set of rules.
oci::Resources merged(oci::Resources base, const oci::Resources& u) {
  take(base.devices, u.devices);
  if (u.memory) {
    oci::Memory& m = base.memory ? *base.memory : base.memory.emplace();
    take(m.limit, u.memory->limit);
    take(m.reservation, u.memory->reservation);
    take(m.swap, u.memory->swap);
    take(m.kernel, u.memory->kernel);
    take(m.kernel_tcp, u.memory->kernel_tcp);
    take(m.swappiness, u.memory->swappiness);
    take(m.disable_oom_killer, u.memory->disable_oom_killer);
    take(m.use_hierarchy, u.memory->use_hierarchy);
    take(m.check_before_update, u.memory->check_before_update);
  }
  if (u.cpu) {
    oci::Cpu& c = base.cpu ? *base.cpu : base.cpu.emplace();
    take(c.shares, u.cpu->shares);
    take(c.quota, u.cpu->quota);
    take(c.burst, u.cpu->burst);
    take(c.period, u.cpu->period);
    take(c.realtime_runtime, u.cpu->realtime_runtime);
    take(c.realtime_period, u.cpu->realtime_period);
    take(c.cpus, u.cpu->cpus);
    take(c.mems, u.cpu->mems);
    take(c.idle, u.cpu->idle);
  }
  take(base.pids, u.pids);
  if (u.block_io) {
    oci::BlockIo& b = base.block_io ? *base.block_io : base.block_io.emplace();
    take(b.weight, u.block_io->weight);
    take(b.leaf_weight, u.block_io->leaf_weight);
    take(b.weight_device, u.block_io->weight_device);
    take(b.throttle_read_bps_device, u.block_io->throttle_read_bps_device);
    take(b.throttle_write_bps_device, u.block_io->throttle_write_bps_device);
    take(b.throttle_read_iops_device, u.block_io->throttle_read_iops_device);
    take(b.throttle_write_iops_device, u.block_io->throttle_write_iops_device);
  }
  for (const auto& limit : u.hugepage_limits) {
    auto same = std::find_if(base.hugepage_limits.begin(), base.hugepage_limits.end(),
                             [&](const auto& l) { return l.page_size == limit.page_size; });
    if (same == base.hugepage_limits.end())
      base.hugepage_limits.push_back(limit);
    else
      *same = limit;
  }
  if (u.network) {
    oci::Network& n = base.network ? *base.network : base.network.emplace();
    take(n.class_id, u.network->class_id);
    take(n.priorities, u.network->priorities);
  }
  take(base.rdma, u.rdma);
  take(base.unified, u.unified);
  return base;
}

// After the cgroup took the limits: a failed save leaves the container limited as asked, and says
// that its recorded config is behind.
Result<void> save_resources(const ContainerDir& dir, const oci::Resources& update) {
  auto config = load_saved_config(dir);
  if (!config)
    return config.error();
  oci::Linux& section = config->linux ? *config->linux : config->linux.emplace();
  section.resources = merged(section.resources.value_or(oci::Resources{}), update);
  return fs::write_file_atomic(dir.config_path(), oci::to_json(*config));
}

}  // namespace

Result<void> update_container(const StateStore& store, const UpdateOptions& options) {
  const std::string& id = options.id;
  auto resources = options.resources_file.empty() ? resources_from_flags(options)
                                                  : resources_from_file(options.resources_file);
  if (!resources)
    return resources.error();
  auto dir = store.open(id);
  if (!dir)
    return dir.error();
  auto record = dir->load();
  if (!record)
    return record.error();
  const Status status = dir->status(*record);
  if (status == Status::kStopped)
    return Error::of(Errc::kFailedPrecondition,
                     "cannot update container \"" + id + "\": it is stopped");
  if (record->cgroup_paths.v1.empty() && record->cgroup_paths.unified.empty())
    return Error::of(Errc::kFailedPrecondition,
                     "cannot update container \"" + id + "\": it has no cgroup (rootless)");
  auto manager = cgroups::open_manager(record->cgroup_paths);
  if (!manager)
    return manager.error();
  if (auto r = (*manager)->apply(*resources); !r)
    return std::move(r).error().context("update \"" + id + "\"");
  if (auto r = save_resources(*dir, *resources); !r)
    return std::move(r).error().context("update \"" + id + "\": limits applied, not recorded");
  return {};
}

}  // namespace keel::runtime
