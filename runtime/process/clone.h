// clone3(2) used like fork(2), with namespace flags: the container's init is a direct child of
// keel, born in its new namespaces; no re-exec of /proc/self/exe (the CVE-2019-5736 class).
#pragma once

#include <sys/types.h>

#include <cstdint>

#include "common/error.h"

namespace keel::runtime {

// Returns 0 in the child and the child's pid in the parent. keel is single-threaded, so the child
// may use the heap; it must end in execve or _exit.
[[nodiscard]] Result<pid_t> clone_process(std::uint64_t flags);

}  // namespace keel::runtime
