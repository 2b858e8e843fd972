// The cgroup manager interface the runtime codes against, its v1/v2/hybrid factories and layout
// detection. Implementations: v1.cpp (v1 and hybrid), v2.cpp (pure v2).
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/error.h"
#include "common/unique_fd.h"
#include "oci-spec/runtime_config.h"
#include "runtime/cgroups/stats.h"

namespace keel::runtime::cgroups {

// Where one container's cgroup lives. Persisted by the runtime in state.json, so later commands
// (kill --all, pause, delete, ps, events) open the same directories without reading mountinfo.
struct Paths {
  // v1 hierarchy as named in /proc/self/cgroup ("memory", "cpu,cpuacct", "name=systemd") ->
  // absolute directory. Empty on a pure v2 host.
  std::map<std::string, std::string> v1;
  // Absolute directory in the cgroup2 tree, or empty (pure v1, or hybrid with an unusable tree).
  std::string unified;
  bool operator==(const Paths&) const = default;
};

[[nodiscard]] std::string to_json(const Paths& paths);
[[nodiscard]] Result<Paths> parse_paths(std::string_view json);

// Lifecycle: make_manager -> create -> apply -> (the init joins itself: join.h) -> ... -> destroy.
// Every method names the file it failed on. None of them throws.
class Manager {
 public:
  virtual ~Manager() = default;

  // mkdir the container's directory (and parents) in every mounted hierarchy; idempotent.
  [[nodiscard]] virtual Result<void> create() = 0;
  // Writes every limit the config sets and nothing else.
  [[nodiscard]] virtual Result<void> apply(const oci::Resources& resources) = 0;
  // Moves `pid` (the whole thread group) into every hierarchy from outside. Waits for the kernel's
  // threadgroup lock; new container processes join themselves instead (join.h).
  [[nodiscard]] virtual Result<void> add_process(pid_t pid) = 0;
  // Every process in the container's cgroup and its descendants, sorted, no duplicates.
  [[nodiscard]] virtual Result<std::vector<pid_t>> pids() const = 0;
  // Returns once the kernel reports the cgroup FROZEN (bounded wait, then an error and a thaw).
  [[nodiscard]] virtual Result<void> freeze() = 0;
  [[nodiscard]] virtual Result<void> thaw() = 0;
  [[nodiscard]] virtual Result<bool> is_frozen() const = 0;
  [[nodiscard]] virtual Result<Stats> stats() const = 0;
  // Processes the OOM killer killed in this cgroup (v1 memory.oom_control, v2 memory.events).
  [[nodiscard]] virtual Result<uint64_t> oom_kill_count() const = 0;
  // SIGKILLs what is left, waits (bounded) until empty, removes every directory including child
  // cgroups. Idempotent: directories already gone are fine.
  [[nodiscard]] virtual Result<void> destroy() = 0;
  [[nodiscard]] virtual const Paths& paths() const = 0;
};

// What is mounted where, read once per command (detect_layout caches it for the process).
struct Layout {
  enum class Mode { kV1, kV2, kHybrid };
  Mode mode = Mode::kV2;
  // v1 hierarchy ("memory", "cpu,cpuacct", "name=systemd") -> its mountpoint.
  std::map<std::string, std::string> v1_mounts;
  // cgroup2 mountpoint: /sys/fs/cgroup on v2, /sys/fs/cgroup/unified on hybrid, empty on v1.
  std::string unified_mount;
  // The calling process's own cgroup per hierarchy, relative to that hierarchy's mountpoint
  // ("" key: the cgroup2 tree). A hierarchy missing here counts as "/".
  std::map<std::string, std::string> self_cgroup;
};

// statfs(/sys/fs/cgroup) first: on a pure v2 host that is all it reads besides /proc/self/cgroup.
// Otherwise one read of /proc/self/mountinfo. Cached after the first successful call.
[[nodiscard]] Result<Layout> detect_layout();

// cgroups_path as runc reads it: absolute -> used as is under each hierarchy's mountpoint;
// relative -> under the caller's own cgroup of that hierarchy; absent -> "/keel/<id>".
[[nodiscard]] Result<std::unique_ptr<Manager>> make_manager(
    const std::optional<std::string>& cgroups_path, const std::string& id);
// The same over an injected layout (unit tests over a fake cgroupfs; nothing read from /proc).
[[nodiscard]] Result<std::unique_ptr<Manager>> make_manager(
    const Layout& layout, const std::optional<std::string>& cgroups_path, const std::string& id);
// For later commands, from the persisted Paths: v1 manager when `v1` is non-empty, else v2.
[[nodiscard]] Result<std::unique_ptr<Manager>> open_manager(const Paths& paths);

// A non-blocking fd that polls readable after an OOM in the container's memory cgroup (v1: an
// eventfd on memory.oom_control; v2: inotify on memory.events), and also when the cgroup goes
// away. Wakes only: the caller drains it and reads Manager::oom_kill_count.
[[nodiscard]] Result<UniqueFd> open_oom_notifier(const Paths& paths);
void drain_oom_notifier(int fd) noexcept;

// The absolute directories make_manager would use (exposed for tests and `keel features`).
[[nodiscard]] Result<Paths> resolve_paths(const Layout& layout,
                                          const std::optional<std::string>& cgroups_path,
                                          const std::string& id);

}  // namespace keel::runtime::cgroups
