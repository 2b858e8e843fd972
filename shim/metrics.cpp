// metrics_from_stats: runc's stats field names mapped onto io.containerd.cgroups.v1.Metrics.
#include "shim/metrics.h"

#include <nlohmann/json.hpp>

#include "containerd/cgroups/v1/metrics.pb.h"

namespace keel::shim {
namespace {

namespace v1 = ::io::containerd::cgroups::v1;
using nlohmann::json;

std::uint64_t u64(const json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_number() ? it->get<std::uint64_t>() : 0;
}

void fill_entry(v1::MemoryEntry* e, const json& j) {
  e->set_limit(u64(j, "limit"));
  e->set_usage(u64(j, "usage"));
  e->set_max(u64(j, "max"));
  e->set_failcnt(u64(j, "failcnt"));
}

void fill_memory(v1::MemoryStat* m, const json& mem) {
  const json raw = mem.value("raw", json::object());
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
  fill_entry(m->mutable_usage(), mem.value("usage", json::object()));
  fill_entry(m->mutable_swap(), mem.value("swap", json::object()));
  fill_entry(m->mutable_kernel(), mem.value("kernel", json::object()));
  fill_entry(m->mutable_kernel_tcp(), mem.value("kernelTCP", json::object()));
}

}  // namespace

Result<std::string> metrics_from_stats(const std::string& stats_json) {
  const json line = json::parse(stats_json, nullptr, false);
  if (!line.is_object() || line.value("type", "") != "stats" || !line.contains("data") ||
      !line["data"].is_object())
    return Error::of(Errc::kInternal, "runtime stats: not a {\"type\":\"stats\"} line");
  const json& data = line["data"];
  v1::Metrics metrics;
  const json pids = data.value("pids", json::object());
  metrics.mutable_pids()->set_current(u64(pids, "current"));
  metrics.mutable_pids()->set_limit(u64(pids, "limit"));
  const json cpu = data.value("cpu", json::object());
  const json usage = cpu.value("usage", json::object());
  auto* u = metrics.mutable_cpu()->mutable_usage();
  u->set_total(u64(usage, "total"));
  u->set_kernel(u64(usage, "kernel"));
  u->set_user(u64(usage, "user"));
  for (const auto& v : usage.value("percpu", json::array()))
    u->add_per_cpu(v.is_number() ? v.get<std::uint64_t>() : 0);
  const json throttling = cpu.value("throttling", json::object());
  auto* t = metrics.mutable_cpu()->mutable_throttling();
  t->set_periods(u64(throttling, "periods"));
  t->set_throttled_periods(u64(throttling, "throttled_periods"));
  t->set_throttled_time(u64(throttling, "throttled_time"));
  fill_memory(metrics.mutable_memory(), data.value("memory", json::object()));
  return metrics.SerializeAsString();
}

}  // namespace keel::shim
