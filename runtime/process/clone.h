// clone3(2) used like fork(2), with namespace flags: the container's init is a direct child of
// keel, born in its new namespaces; no re-exec of /proc/self/exe (the CVE-2019-5736 class).
#pragma once

#include <sys/types.h>

#include <cstdint>

#include "common/error.h"

namespace keel::runtime {

// Returns 0 in the child and the child's pid in the parent. keel is single-threaded, so the child
// may use the heap; it must end in execve or _exit.
// With `cgroup_fd` >= 0 (a cgroup2 directory), the child starts in that cgroup
// (CLONE_INTO_CGROUP).
[[nodiscard]] Result<pid_t> clone_process(std::uint64_t flags, int cgroup_fd = -1);

// clone_process into `cgroup_fd` (or no cgroup: -1). On a kernel without CLONE_INTO_CGROUP (before
// 5.7: E2BIG or EINVAL) it clones without, and sets `parent_moves_child`: the caller then moves
// the child itself (cgroups::add_to_unified).
[[nodiscard]] Result<pid_t> clone_into_cgroup(std::uint64_t flags, int cgroup_fd,
                                              bool& parent_moves_child);

}  // namespace keel::runtime
