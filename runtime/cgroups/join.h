// How a new container process enters its cgroups without its parent writing the pid to
// cgroup.procs. That write migrates a whole thread group, so the kernel takes the global
// cgroup_threadgroup_rwsem for writing, and taking it waits for an RCU grace period: on this
// 2-core host 10 ms at p90 (15 ms max) for a write that otherwise takes 0.13 ms. Two ways skip the
// lock: a single-threaded process writing "0" (itself) into a v1 hierarchy's `tasks` file, and
// clone3(CLONE_INTO_CGROUP), which places the child in the cgroup2 tree at birth.
#pragma once

#include <sys/types.h>

#include <vector>

#include "common/error.h"
#include "common/unique_fd.h"
#include "runtime/cgroups/manager.h"

namespace keel::runtime::cgroups {

// Opened by the parent before clone (so the opener's credentials, root's, are the ones the
// kernel checks) and inherited by the child. Close-on-exec.
struct JoinHandles {
  std::vector<UniqueFd> v1_tasks;  // <dir>/tasks of every v1 hierarchy, open for writing
  UniqueFd unified_dir;            // the cgroup2 directory for CLONE_INTO_CGROUP, or invalid

  // The raw fds the child writes to (they stay owned here).
  [[nodiscard]] std::vector<int> v1_task_fds() const;
  // For clone_into_cgroup: the cgroup2 directory, or -1.
  [[nodiscard]] int unified_fd() const { return unified_dir.valid() ? unified_dir.get() : -1; }
};

// Empty handles for empty paths (no cgroup of its own: rootless).
[[nodiscard]] Result<JoinHandles> open_join_handles(const Paths& paths);

// In the cloned child, which must be single-threaded: moves the calling process into each v1
// hierarchy behind `fds` and closes them. Async-signal-safe apart from building the error.
[[nodiscard]] Result<void> join_v1_as_self(const std::vector<int>& fds);

// The fallback for kernels without CLONE_INTO_CGROUP (before 5.7): the parent writes the pid to
// the cgroup2 directory's cgroup.procs, waiting for the lock as runc and crun do.
[[nodiscard]] Result<void> add_to_unified(const Paths& paths, pid_t pid);

}  // namespace keel::runtime::cgroups
