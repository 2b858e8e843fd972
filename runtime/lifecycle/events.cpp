// container_events: runc's `events`. One JSON object per line, {"type","id","data"}, in the
// shapes of runc's types/events.go: "stats" every interval (or once with --stats) and "oom" when
// the memory cgroup's oom_kill count grows. Streams until the container's init exits.
#include <poll.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <chrono>

#include <nlohmann/json.hpp>

#include "common/unique_fd.h"
#include "runtime/cgroups/manager.h"
#include "runtime/lifecycle/lifecycle.h"
#include "runtime/lifecycle/lifecycle_internal.h"

namespace keel::runtime {
namespace {

using nlohmann::ordered_json;
using Clock = std::chrono::steady_clock;

// Go's `json:",omitempty"`: zero numbers and empty lists are left out.
template <class T>
void set_nonzero(ordered_json& j, const char* key, const T& value) {
  if (value != T{})
    j[key] = value;
}

ordered_json memory_entry(const cgroups::MemoryEntry& e) {
  ordered_json j;
  j["limit"] = e.limit;
  set_nonzero(j, "usage", e.usage);
  set_nonzero(j, "max", e.max_usage);
  j["failcnt"] = e.failcnt;
  return j;
}

ordered_json blkio_entries(const std::vector<cgroups::BlkioEntry>& entries) {
  ordered_json list = ordered_json::array();
  for (const auto& e : entries) {
    ordered_json j = ordered_json::object();
    set_nonzero(j, "major", e.major);
    set_nonzero(j, "minor", e.minor);
    set_nonzero(j, "op", e.op);
    set_nonzero(j, "value", e.value);
    list.push_back(std::move(j));
  }
  return list;
}

ordered_json stats_data(const cgroups::Stats& s) {
  ordered_json usage = ordered_json::object();
  set_nonzero(usage, "total", s.cpu.usage_total_ns);
  set_nonzero(usage, "percpu", s.cpu.usage_percpu_ns);
  usage["kernel"] = s.cpu.usage_system_ns;
  usage["user"] = s.cpu.usage_user_ns;
  ordered_json throttling = ordered_json::object();
  set_nonzero(throttling, "periods", s.cpu.nr_periods);
  set_nonzero(throttling, "throttledPeriods", s.cpu.nr_throttled);
  set_nonzero(throttling, "throttledTime", s.cpu.throttled_time_ns);

  ordered_json memory = ordered_json::object();
  set_nonzero(memory, "cache", s.memory.cache);
  memory["usage"] = memory_entry(s.memory.usage);
  memory["swap"] = memory_entry(s.memory.swap);
  memory["kernel"] = memory_entry(s.memory.kernel);
  memory["kernelTCP"] = memory_entry(cgroups::MemoryEntry{});
  if (!s.memory.stat.empty())
    memory["raw"] = s.memory.stat;

  ordered_json pids = ordered_json::object();
  set_nonzero(pids, "current", s.pids.current);
  set_nonzero(pids, "limit", s.pids.limit);

  ordered_json blkio = ordered_json::object();
  if (!s.blkio.io_service_bytes_recursive.empty())
    blkio["ioServiceBytesRecursive"] = blkio_entries(s.blkio.io_service_bytes_recursive);
  if (!s.blkio.io_serviced_recursive.empty())
    blkio["ioServicedRecursive"] = blkio_entries(s.blkio.io_serviced_recursive);

  ordered_json data;
  data["cpu"] = {{"usage", usage}, {"throttling", throttling}};
  data["memory"] = std::move(memory);
  data["pids"] = std::move(pids);
  data["blkio"] = std::move(blkio);
  return data;
}

std::string event_line(const char* type, const std::string& id,
                       const ordered_json* data = nullptr) {
  ordered_json j;
  j["type"] = type;
  j["id"] = id;
  if (data != nullptr)
    j["data"] = *data;
  return j.dump() + "\n";
}

// What the stream needs once the state directory's lock is let go.
struct Watched {
  std::unique_ptr<cgroups::Manager> cgroup;
  UniqueFd pidfd;  // polls readable when the init exits
};

Result<Watched> watch_container(const StateStore& store, const std::string& id) {
  auto dir = store.open(id);
  if (!dir)
    return dir.error();
  auto record = dir->load();
  if (!record)
    return record.error();
  const auto not_running = [&] {
    return Error::of(Errc::kFailedPrecondition, "container \"" + id + "\" is not running");
  };
  if (dir->status(*record) == Status::kStopped)
    return not_running();
  if (record->cgroup_paths.v1.empty() && record->cgroup_paths.unified.empty())
    return Error::of(Errc::kFailedPrecondition,
                     "container \"" + id + "\" has no cgroup (rootless): no events to report");
  Watched w;
  w.pidfd.reset(static_cast<int>(::syscall(SYS_pidfd_open, record->pid, 0)));
  if (!w.pidfd.valid() || process_start_time(record->pid) != record->pid_start_time)
    return not_running();
  auto manager = cgroups::open_manager(record->cgroup_paths);
  if (!manager)
    return manager.error();
  w.cgroup = std::move(*manager);
  return w;
}

// Emits an "oom" event per OOM kill counted since `last`.
void report_ooms(const Watched& w, const std::string& id, uint64_t& last,
                 const std::function<void(std::string_view)>& emit) {
  auto count = w.cgroup->oom_kill_count();
  if (!count)
    return;  // the cgroup is gone with the container
  for (; last < *count; ++last)
    emit(event_line("oom", id));
}

}  // namespace

Result<uint64_t> parse_interval_ms(const std::string& text) {
  static constexpr std::pair<std::string_view, double> kUnits[] = {
      {"ns", 1e-6}, {"us", 1e-3}, {"µs", 1e-3}, {"ms", 1}, {"s", 1e3}, {"m", 6e4}, {"h", 3.6e6}};
  const auto bad = [&] {
    return Error::of(Errc::kInvalidArgument, "--interval \"" + text + "\": not a duration");
  };
  double total = 0;
  std::string_view rest = text;
  if (rest.empty())
    return bad();
  while (!rest.empty()) {
    size_t n = 0;
    while (n < rest.size() && (std::isdigit(static_cast<unsigned char>(rest[n])) || rest[n] == '.'))
      ++n;
    if (n == 0)
      return bad();
    const double number = std::strtod(std::string(rest.substr(0, n)).c_str(), nullptr);
    rest.remove_prefix(n);
    size_t u = 0;
    while (u < rest.size() && !std::isdigit(static_cast<unsigned char>(rest[u])) && rest[u] != '.')
      ++u;
    const auto unit = rest.substr(0, u);
    const auto* it = std::find_if(std::begin(kUnits), std::end(kUnits),
                                  [&](const auto& k) { return k.first == unit; });
    if (it == std::end(kUnits))
      return bad();
    total += number * it->second;
    rest.remove_prefix(u);
  }
  if (total < 1)
    return Error::of(Errc::kInvalidArgument, "--interval \"" + text + "\": must be at least 1ms");
  return static_cast<uint64_t>(total);
}

Result<void> container_events(const StateStore& store, const EventsOptions& options,
                              const std::function<void(std::string_view)>& emit) {
  const std::string& id = options.id;
  auto watched = watch_container(store, id);
  if (!watched)
    return watched.error();
  const Watched& w = *watched;
  if (options.stats) {
    auto stats = w.cgroup->stats();
    if (!stats)
      return std::move(stats).error().context("stats of \"" + id + "\"");
    const ordered_json data = stats_data(*stats);
    emit(event_line("stats", id, &data));
    return {};
  }
  // Without a notifier (no memory controller) OOMs go unreported; stats still flow.
  auto notifier = cgroups::open_oom_notifier(w.cgroup->paths());
  auto initial = w.cgroup->oom_kill_count();
  uint64_t ooms = initial ? *initial : 0;
  const auto interval = std::chrono::milliseconds(options.interval_ms);
  auto next_stats = Clock::now() + interval;
  for (;;) {
    const auto wait =
        std::chrono::duration_cast<std::chrono::milliseconds>(next_stats - Clock::now());
    struct pollfd fds[2] = {{w.pidfd.get(), POLLIN, 0},
                            {notifier ? notifier->get() : -1, POLLIN, 0}};
    const int n = ::poll(fds, 2, static_cast<int>(std::max<int64_t>(wait.count(), 0)));
    if (n < 0 && errno != EINTR)
      return Error::sys("wait for events of \"" + id + "\"");
    if (n > 0 && (fds[1].revents & POLLIN) != 0) {
      cgroups::drain_oom_notifier(fds[1].fd);
      report_ooms(w, id, ooms, emit);
    }
    if (n > 0 && (fds[0].revents & POLLIN) != 0) {
      report_ooms(w, id, ooms, emit);  // an OOM that killed the init itself
      return {};
    }
    if (Clock::now() >= next_stats) {
      next_stats = Clock::now() + interval;
      report_ooms(w, id, ooms, emit);  // in case the notifier is missing or missed one
      auto stats = w.cgroup->stats();
      if (!stats) {
        warn(std::move(stats).error().context("stats of \"" + id + "\""));
        continue;
      }
      const ordered_json data = stats_data(*stats);
      emit(event_line("stats", id, &data));
    }
  }
}

}  // namespace keel::runtime
