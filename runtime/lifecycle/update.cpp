// update_container: runc's `update`. The new limits come from the flags or from an OCI
// linux.resources document and go to the container's cgroup through Manager::apply, which writes
// only what is set.
#include <unistd.h>

#include <cctype>
#include <cmath>
#include <cstdio>

#include <spdlog/spdlog.h>

#include "common/fs.h"
#include "oci-spec/runtime_config.h"
#include "runtime/cgroups/manager.h"
#include "runtime/lifecycle/lifecycle.h"

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
  return {};
}

}  // namespace keel::runtime
