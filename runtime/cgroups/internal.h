// Internal to runtime/cgroups: the manager constructors behind make_manager/open_manager, the v2
// writers a hybrid host reuses on its unified tree, the stats readers and the layout parser.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/error.h"
#include "oci-spec/runtime_config.h"
#include "runtime/cgroups/manager.h"

namespace keel::runtime::cgroups::detail {

// v1.cpp: v1 hierarchies plus, on a hybrid host, the unified dir. `unified_root` is the cgroup2
// mountpoint when known (make_manager) or empty (open_manager: found by walking up if needed).
[[nodiscard]] std::unique_ptr<Manager> make_v1_manager(Paths paths, std::string unified_root);
// v2.cpp: pure cgroup v2; `root` as above.
[[nodiscard]] std::unique_ptr<Manager> make_v2_manager(Paths paths, std::string root);

// The directory of `controller` ("cpu", "net_cls") among v1 hierarchies keyed "cpu,cpuacct"...
[[nodiscard]] const std::string* v1_dir(const Paths& paths, std::string_view controller);

// v2.cpp, also used by v1.cpp on hybrid hosts.
// Enables `wanted` (empty: every controller the root offers) in cgroup.subtree_control from the
// highest ancestor of `leaf` that lacks one down to leaf's parent. Reads stop at the first
// ancestor that already has them all. Per-controller failures are left for the knob write to
// report: a controller bound to v1 or not delegated cannot be enabled, and that is not an error
// until a limit needs it.
[[nodiscard]] Result<void> enable_controllers(const std::string& root, const std::string& leaf,
                                              std::vector<std::string> wanted);
[[nodiscard]] Result<void> apply_v2(const std::string& dir, const oci::Resources& resources);
[[nodiscard]] Result<void> apply_hugetlb_v2(const std::string& dir,
                                            const std::vector<oci::HugepageLimit>& limits);
[[nodiscard]] Result<void> apply_unified(const std::string& dir,
                                         const std::map<std::string, std::string>& unified);
[[nodiscard]] Result<void> apply_rdma(const std::string& dir,
                                      const std::map<std::string, oci::Rdma>& rdma);
[[nodiscard]] Result<void> freeze_v2(const std::string& dir);
[[nodiscard]] Result<void> thaw_v2(const std::string& dir);
[[nodiscard]] Result<bool> is_frozen_v2(const std::string& dir);
// Controllers the keys of linux.resources.unified belong to ("memory.high" -> "memory").
[[nodiscard]] std::vector<std::string> unified_controllers(
    const std::map<std::string, std::string>& unified);

// stats.cpp
[[nodiscard]] Result<Stats> read_v1_stats(const Paths& paths);
[[nodiscard]] Result<Stats> read_v2_stats(const std::string& dir);

// detect.cpp: the v1 or hybrid layout at the usual places, found from /proc/self/cgroup text and
// statfs alone: each hierarchy at /sys/fs/cgroup/<controllers> ("systemd" for name=systemd),
// a distinct cgroup mount showing our own cgroup below it, cgroup2 (if there) at
// /sys/fs/cgroup/unified. nullopt for anything else; then mountinfo decides.
[[nodiscard]] std::optional<Layout> conventional_layout(std::string_view proc_self_cgroup);
// detect.cpp: the layout described by /proc/self/mountinfo and /proc/self/cgroup text.
[[nodiscard]] Result<Layout> parse_layout(std::string_view mountinfo,
                                          std::string_view proc_self_cgroup);

}  // namespace keel::runtime::cgroups::detail
