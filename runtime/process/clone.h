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
// (CLONE_INTO_CGROUP). A kernel without it (before 5.7) fails with E2BIG or EINVAL: see
// clone_into_cgroup_unsupported.
[[nodiscard]] Result<pid_t> clone_process(std::uint64_t flags, int cgroup_fd = -1);

// True for the errors of a kernel that lacks CLONE_INTO_CGROUP: clone again without it and
// move the child from the parent.
[[nodiscard]] bool clone_into_cgroup_unsupported(const Error& error) noexcept;

}  // namespace keel::runtime
