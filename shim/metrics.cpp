// metrics_from_stats: runc's stats field names mapped onto io.containerd.cgroups.v1.Metrics and
// io.containerd.cgroups.v2.Metrics (the names in proto/containerd/cgroups/).
#include "shim/metrics.h"

#include <map>
#include <utility>

#include <nlohmann/json.hpp>

#include "common/fs.h"
#include "containerd/cgroups/v1/metrics.pb.h"
#include "containerd/cgroups/v2/metrics.pb.h"
#include "shimapi/metrics.h"

namespace keel::shim {
namespace {

namespace v1 = ::io::containerd::cgroups::v1;
namespace v2 = ::io::containerd::cgroups::v2;
using nlohmann::json;

constexpr std::uint64_t kMax = ~std::uint64_t{0};  // the runtime's "max" (unlimited)

std::uint64_t u64(const json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_number() ? it->get<std::uint64_t>() : 0;
}

json object_at(const json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_object() ? *it : json::object();
}

json array_at(const json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_array() ? *it : json::array();
}

void fill_entry(v1::MemoryEntry* e, const json& j) {
  e->set_limit(u64(j, "limit"));
  e->set_usage(u64(j, "usage"));
  e->set_max(u64(j, "max"));
  e->set_failcnt(u64(j, "failcnt"));
}

void fill_memory_v1(v1::MemoryStat* m, const json& mem) {
  const json raw = object_at(mem, "raw");
  m->set_cache(u64(raw, "cache"));
  m->set_rss(u64(raw, "rss"));
  m->set_rss_huge(u64(raw, "rss_huge"));
  m->set_mapped_file(u64(raw, "mapped_file"));
  m->set_dirty(u64(raw, "dirty"));
  m->set_writeback(u64(raw, "writeback"));
  m->set_pg_pg_in(u64(raw, "pgpgin"));
  m->set_pg_pg_out(u64(raw, "pgpgout"));
  m->set_pg_fault(u64(raw, "pgfault"));
  m->set_pg_maj_fault(u64(raw, "pgmajfault"));
  m->set_inactive_anon(u64(raw, "inactive_anon"));
  m->set_active_anon(u64(raw, "active_anon"));
  m->set_inactive_file(u64(raw, "inactive_file"));
  m->set_active_file(u64(raw, "active_file"));
  m->set_unevictable(u64(raw, "unevictable"));
  m->set_hierarchical_memory_limit(u64(raw, "hierarchical_memory_limit"));
  m->set_hierarchical_swap_limit(u64(raw, "hierarchical_memsw_limit"));
  m->set_total_cache(u64(raw, "total_cache"));
  m->set_total_rss(u64(raw, "total_rss"));
  m->set_total_rss_huge(u64(raw, "total_rss_huge"));
  m->set_total_mapped_file(u64(raw, "total_mapped_file"));
  m->set_total_dirty(u64(raw, "total_dirty"));
  m->set_total_writeback(u64(raw, "total_writeback"));
  m->set_total_pg_pg_in(u64(raw, "total_pgpgin"));
  m->set_total_pg_pg_out(u64(raw, "total_pgpgout"));
  m->set_total_pg_fault(u64(raw, "total_pgfault"));
  m->set_total_pg_maj_fault(u64(raw, "total_pgmajfault"));
  m->set_total_inactive_anon(u64(raw, "total_inactive_anon"));
  m->set_total_active_anon(u64(raw, "total_active_anon"));
  m->set_total_inactive_file(u64(raw, "total_inactive_file"));
  m->set_total_active_file(u64(raw, "total_active_file"));
  m->set_total_unevictable(u64(raw, "total_unevictable"));
  fill_entry(m->mutable_usage(), object_at(mem, "usage"));
  fill_entry(m->mutable_swap(), object_at(mem, "swap"));
  fill_entry(m->mutable_kernel(), object_at(mem, "kernel"));
  fill_entry(m->mutable_kernel_tcp(), object_at(mem, "kernelTCP"));
}

void fill_blkio_v1(google::protobuf::RepeatedPtrField<v1::BlkIOEntry>* out, const json& entries) {
  for (const auto& j : entries) {
    if (!j.is_object())
      continue;
    auto* e = out->Add();
    e->set_op(j.value("op", ""));
    e->set_major(u64(j, "major"));
    e->set_minor(u64(j, "minor"));
    e->set_value(u64(j, "value"));
  }
}

std::string v1_metrics(const json& data) {
  v1::Metrics metrics;
  const json pids = object_at(data, "pids");
  metrics.mutable_pids()->set_current(u64(pids, "current"));
  metrics.mutable_pids()->set_limit(u64(pids, "limit"));
  const json cpu = object_at(data, "cpu");
  const json usage = object_at(cpu, "usage");
  auto* u = metrics.mutable_cpu()->mutable_usage();
  u->set_total(u64(usage, "total"));
  u->set_kernel(u64(usage, "kernel"));
  u->set_user(u64(usage, "user"));
  for (const auto& v : array_at(usage, "percpu"))
    u->add_per_cpu(v.is_number() ? v.get<std::uint64_t>() : 0);
  const json throttling = object_at(cpu, "throttling");
  auto* t = metrics.mutable_cpu()->mutable_throttling();
  t->set_periods(u64(throttling, "periods"));
  t->set_throttled_periods(u64(throttling, "throttledPeriods"));
  t->set_throttled_time(u64(throttling, "throttledTime"));
  fill_memory_v1(metrics.mutable_memory(), object_at(data, "memory"));
  const json blkio = object_at(data, "blkio");
  fill_blkio_v1(metrics.mutable_blkio()->mutable_io_service_bytes_recursive(),
                array_at(blkio, "ioServiceBytesRecursive"));
  fill_blkio_v1(metrics.mutable_blkio()->mutable_io_serviced_recursive(),
                array_at(blkio, "ioServicedRecursive"));
  return metrics.SerializeAsString();
}

// memory.stat's keys on v2 are the field names of v2::MemoryStat.
void fill_memory_v2(v2::MemoryStat* m, const json& mem) {
  const json raw = object_at(mem, "raw");
  using Setter = void (v2::MemoryStat::*)(std::uint64_t);
  static const std::pair<const char*, Setter> kStat[] = {
      {"anon", &v2::MemoryStat::set_anon},
      {"file", &v2::MemoryStat::set_file},
      {"kernel_stack", &v2::MemoryStat::set_kernel_stack},
      {"slab", &v2::MemoryStat::set_slab},
      {"sock", &v2::MemoryStat::set_sock},
      {"shmem", &v2::MemoryStat::set_shmem},
      {"file_mapped", &v2::MemoryStat::set_file_mapped},
      {"file_dirty", &v2::MemoryStat::set_file_dirty},
      {"file_writeback", &v2::MemoryStat::set_file_writeback},
      {"anon_thp", &v2::MemoryStat::set_anon_thp},
      {"inactive_anon", &v2::MemoryStat::set_inactive_anon},
      {"active_anon", &v2::MemoryStat::set_active_anon},
      {"inactive_file", &v2::MemoryStat::set_inactive_file},
      {"active_file", &v2::MemoryStat::set_active_file},
      {"unevictable", &v2::MemoryStat::set_unevictable},
      {"slab_reclaimable", &v2::MemoryStat::set_slab_reclaimable},
      {"slab_unreclaimable", &v2::MemoryStat::set_slab_unreclaimable},
      {"pgfault", &v2::MemoryStat::set_pgfault},
      {"pgmajfault", &v2::MemoryStat::set_pgmajfault},
      {"workingset_refault", &v2::MemoryStat::set_workingset_refault},
      {"workingset_activate", &v2::MemoryStat::set_workingset_activate},
      {"workingset_nodereclaim", &v2::MemoryStat::set_workingset_nodereclaim},
      {"pgrefill", &v2::MemoryStat::set_pgrefill},
      {"pgscan", &v2::MemoryStat::set_pgscan},
      {"pgsteal", &v2::MemoryStat::set_pgsteal},
      {"pgactivate", &v2::MemoryStat::set_pgactivate},
      {"pgdeactivate", &v2::MemoryStat::set_pgdeactivate},
      {"pglazyfree", &v2::MemoryStat::set_pglazyfree},
      {"pglazyfreed", &v2::MemoryStat::set_pglazyfreed},
      {"thp_fault_alloc", &v2::MemoryStat::set_thp_fault_alloc},
      {"thp_collapse_alloc", &v2::MemoryStat::set_thp_collapse_alloc},
  };
  for (const auto& [key, set] : kStat)
    (m->*set)(u64(raw, key));
  const json usage = object_at(mem, "usage");
  const json swap = object_at(mem, "swap");
  m->set_usage(u64(usage, "usage"));
  m->set_usage_limit(u64(usage, "limit"));
  m->set_max_usage(u64(usage, "max"));
  // runc's JSON reports v2 swap as memory+swap (v1's memsw); containerd's fields are swap alone.
  const std::uint64_t both = u64(swap, "usage");
  m->set_swap_usage(both > m->usage() ? both - m->usage() : 0);
  const std::uint64_t both_limit = u64(swap, "limit");
  // Unlimited either way reads as "max" for both; else the sum less the memory limit.
  if (both_limit == kMax || m->usage_limit() == kMax)
    m->set_swap_limit(kMax);
  else
    m->set_swap_limit(both_limit > m->usage_limit() ? both_limit - m->usage_limit() : 0);
  m->set_swap_max_usage(u64(swap, "max"));
}

// runc's JSON has one blkio entry per device and op; v2's IOEntry is one per device.
void fill_io_v2(v2::IOStat* io, const json& blkio) {
  std::map<std::pair<std::uint64_t, std::uint64_t>, v2::IOEntry> devices;
  auto add = [&](const char* list, void (v2::IOEntry::*read)(std::uint64_t),
                 void (v2::IOEntry::*write)(std::uint64_t)) {
    for (const auto& j : array_at(blkio, list)) {
      if (!j.is_object())
        continue;
      auto& entry = devices[{u64(j, "major"), u64(j, "minor")}];
      const std::string op = j.value("op", "");
      if (op == "Read")
        (entry.*read)(u64(j, "value"));
      else if (op == "Write")
        (entry.*write)(u64(j, "value"));
    }
  };
  add("ioServiceBytesRecursive", &v2::IOEntry::set_rbytes, &v2::IOEntry::set_wbytes);
  add("ioServicedRecursive", &v2::IOEntry::set_rios, &v2::IOEntry::set_wios);
  for (auto& [device, entry] : devices) {
    entry.set_major(device.first);
    entry.set_minor(device.second);
    *io->add_usage() = std::move(entry);
  }
}

// Not filled: rdma, hugetlb and memory_events, which the runtime's JSON does not carry.
std::string v2_metrics(const json& data) {
  v2::Metrics metrics;
  const json pids = object_at(data, "pids");
  metrics.mutable_pids()->set_current(u64(pids, "current"));
  metrics.mutable_pids()->set_limit(u64(pids, "limit"));
  const json cpu = object_at(data, "cpu");
  const json usage = object_at(cpu, "usage");
  const json throttling = object_at(cpu, "throttling");
  auto* c = metrics.mutable_cpu();
  c->set_usage_usec(u64(usage, "total") / 1000);
  c->set_user_usec(u64(usage, "user") / 1000);
  c->set_system_usec(u64(usage, "kernel") / 1000);
  c->set_nr_periods(u64(throttling, "periods"));
  c->set_nr_throttled(u64(throttling, "throttledPeriods"));
  c->set_throttled_usec(u64(throttling, "throttledTime") / 1000);
  fill_memory_v2(metrics.mutable_memory(), object_at(data, "memory"));
  fill_io_v2(metrics.mutable_io(), object_at(data, "blkio"));
  return metrics.SerializeAsString();
}

}  // namespace

Result<TaskMetrics> metrics_from_stats(const std::string& stats_json, bool cgroup2) {
  const json line = json::parse(stats_json, nullptr, false);
  if (!line.is_object() || line.value("type", "") != "stats" || !line.contains("data") ||
      !line["data"].is_object())
    return Error::of(Errc::kInternal, "runtime stats: not a {\"type\":\"stats\"} line");
  const json& data = line["data"];
  if (cgroup2)
    return TaskMetrics{shimapi::kCgroupV2MetricsType, v2_metrics(data)};
  return TaskMetrics{shimapi::kCgroupV1MetricsType, v1_metrics(data)};
}

bool cgroup2_unified() {
  return fs::exists("/sys/fs/cgroup/cgroup.controllers");
}

}  // namespace keel::shim
